"""The YAML claims file of seeds 000 and 001 gets the right verdicts; schema errors name the field."""
import os

import pytest

from scoresde.formulas import Budget, parse_claims, verify_claims_file

CLAIMS = os.path.join(os.path.dirname(__file__), "claims", "seeds_000_001.yaml")


@pytest.fixture(scope="module")
def results():
    # a generous budget: the repair diagnoses asserted below are skipped when a formula has used most of its
    # budget, and this shared 2-core machine is often several times slower than a workstation
    return verify_claims_file(CLAIMS, numeric=False, budget=Budget(time_s=30))


def test_seed_claims_get_the_expected_verdicts(results):
    assert results
    wrong = [(spec.name, spec.expect, v.verdict, v.detail) for spec, v in results if spec.expect != v.verdict]
    assert not wrong, wrong


def test_seed_claims_explain_the_errors(results):
    by = {spec.name: v for spec, v in results}
    assert "uses α_t where ᾱ_t is needed" in by["s000-mu-theta"].detail
    assert "division by zero" in by["s001-cosine-abar"].detail and "square is missing" in by["s001-cosine-abar"].detail
    snippet = by["s001-sampling-update"].detail
    assert "coefficient of x_t" in snippet and "noise variance" in snippet and "ᾱ_t where α_t is needed" in snippet


@pytest.mark.parametrize("data, field", [
    ({"claims": [{"name": "a"}]}, "'latex' or 'math'"),
    ([{"name": "a", "latex": "x = 1", "target": "nope"}], "'target'"),
    ([{"name": "a", "latex": "x = 1", "notation": "ho"}], "'notation'"),
    ([{"name": "a", "latex": "x = 1", "colour": 1}], "unknown field 'colour'"),
    ([{"name": "a", "latex": "x = 1"}, {"name": "a", "latex": "y = 1"}], "duplicate"),
    ({"other": []}, "'claims'"),
])
def test_schema_errors_name_the_field(data, field):
    with pytest.raises(ValueError, match=field.replace("(", r"\(")):
        parse_claims(data)


def test_notation_and_ignore_fields():
    specs = parse_claims([
        {"name": "ddim", "notation": "ddim",
         "latex": r"x_{t-1} = \sqrt{\alpha_{t-1}}\frac{x_t - \sqrt{1-\alpha_t}\epsilon_\theta}{\sqrt{\alpha_t}} + \sqrt{1-\alpha_{t-1}}\epsilon_\theta"},
        {"name": "stray", "symbols": {"K": "ignore"}, "latex": r"dx = -\frac{1}{2}K\beta(t)x\,dt + \sqrt{\beta(t)}dw"},
    ])
    from scoresde.formulas import verify_claims

    got = {spec.name: v.verdict for spec, v in verify_claims(specs, numeric=False)}
    assert got == {"ddim": "exact", "stray": "exact"}
