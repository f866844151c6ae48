"""Code that reads schedule values at the step before using them unindexed (code_latex.py, code_names.py)."""
import pytest

from scoresde.formulas import verify_formula

# dome272/Diffusion-Models-pytorch's names: alpha = 1 - beta, alpha_hat = cumprod(alpha), predicted_noise = model(x, t);
# the loop body uses alpha, beta, alpha_hat after reading them at the step t (Ho et al. 2020, Alg. 2 and Eq. 4)
CASES = [
    ("x = 1 / torch.sqrt(alpha) * (x - ((1 - alpha) / (torch.sqrt(1 - alpha_hat))) * predicted_noise) + torch.sqrt(beta) * noise",
     "exact", []),
    ("self.alpha_hat = torch.cumprod(self.alpha, dim=0)", "exact", []),
    ("alpha_hat = torch.cumprod(1 - beta, dim=0)", "exact", []),
    ("x = torch.sqrt(alpha_bar) * x0 + torch.sqrt(1 - alpha_bar) * eps", "exact", []),
    # wrong variants: a β product, a square root inside the product, ᾱ for α in the noise, a dropped square root
    ("alpha_hat = torch.cumprod(beta, dim=0)", "inconsistent", ["rhs"]),
    ("alpha_hat = torch.cumprod(torch.sqrt(alpha), dim=0)", "inconsistent", ["rhs"]),
    ("x = 1 / torch.sqrt(alpha) * (x - ((1 - alpha) / (torch.sqrt(1 - alpha_hat))) * predicted_noise) + torch.sqrt(1 - alpha_hat) * noise",
     "inconsistent", ["variance"]),
    ("x = 1 / torch.sqrt(alpha) * (x - ((1 - alpha) / (1 - alpha_hat)) * predicted_noise) + torch.sqrt(beta) * noise",
     "inconsistent", ["mean.eps"]),
]


@pytest.mark.parametrize("code,verdict,terms", CASES)
def test_unindexed_schedule_values_in_a_step_are_the_steps(code, verdict, terms):
    vs = verify_formula(code, numeric=False)
    assert [(v.verdict, v.terms) for v in vs] == [(verdict, terms)], vs[0].detail
