"""Keep the README true: its sampler table matches the registries, and its example runs."""
from __future__ import annotations

import re
from pathlib import Path

import scoresde as sd
from scoresde import solvers as S

README = Path(__file__).resolve().parents[1] / "README.md"


def _sampler_rows():
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- sampler-table")[1].split("\n\n")[0]
    rows = {}
    for line in block.splitlines():
        m = re.match(r"\| `([a-z_0-9]+)` \| ([^|]+)\| ([^|]+)\| ([^|]+)\| ([^|]+)\|", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.groups()[1:]]
    return rows


def test_readme_sampler_table_matches_registry():
    rows = _sampler_rows()
    registry = {**S.PREDICTORS, **S.CORRECTORS}
    assert set(rows) == set(registry), set(rows) ^ set(registry)
    for name, cls in registry.items():
        kind, order, nfe, sdes = rows[name]
        step = cls()
        if step.order is None:
            assert order == "–"
        else:
            assert order.split()[0] == f"{step.order:g}", name
        if isinstance(type(step).__dict__.get("nfe_per_step"), property):
            assert nfe == "n_steps"
        else:
            assert nfe == str(step.nfe_per_step), name
        ve_only = sdes == "VE"
        rejects_vp = True
        try:
            step.check(sd.VPSDE(), sd.grids.uniform(sd.VPSDE(), 4))
            rejects_vp = False
        except ValueError:
            pass
        assert ve_only == rejects_vp, name


def test_readme_example_runs():
    text = README.read_text(encoding="utf-8")
    code = text.split("## A first example")[1].split("```python")[1].split("```")[0]
    code = code.replace("10_000", "500").replace("grids.twin(sde, 1000)", "grids.twin(sde, 100)")
    ns: dict = {}
    exec(compile(code, "README example", "exec"), ns)
    assert ns["res"].nfe == 50 and ns["ddpm"].nfe == 100 and ns["smld"].nfe == 1000


def test_readme_claims_example_gets_its_verdicts(tmp_path):
    from scoresde.formulas import verify_claims_file

    text = README.read_text(encoding="utf-8")
    yaml_text = text.split("```yaml\n# claims.yaml\n")[1].split("```")[0]
    path = tmp_path / "claims.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    verdicts = [v.verdict for _, v in verify_claims_file(str(path), numeric=False)]
    assert verdicts == ["exact", "inconsistent"]
