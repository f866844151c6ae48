#!/usr/bin/env python
"""12. The variational view: DDPM's ELBO -> KL terms between Gaussians -> L_simple.

Claim: The negative ELBO E_q[log q(x_{1:T}|x_0) - log p(x_{0:T})] >= -log p(x_0) splits into L_T +
sum_t L_{t-1} + L_0, each L_{t-1} a KL between the Gaussian posterior q(x_{t-1}|x_t, x_0) = N(mu~_t,
beta~_t) and the model N(mu_theta, sigma_t^2). With the same variance it is |mu~ - mu_theta|^2/(2
sigma_t^2) + const, and with mu_theta = (x_t - beta_t/sqrt(1 - abar_t) eps_theta)/sqrt(alpha_t) it
is lambda_t |eps - eps_theta|^2 + const, lambda_t = beta_t^2/(2 sigma_t^2 alpha_t (1 - abar_t));
L_simple sets lambda_t = 1. Checked in closed form on Gaussian data, where the model built from the
exact score is a linear-Gaussian chain whose likelihood is exact.

Sources: Ho et al. 2020, Eq. 3, 5, 6-7, 8, 10-12 and 14; Sohl-Dickstein et al. 2015, Sec. 2.4 (the
bound)

Run:   python derivations/12_ddpm_elbo_to_l_simple.py [--fast] [--figures DIR] [--format markdown]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t12_elbo.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("12"))
