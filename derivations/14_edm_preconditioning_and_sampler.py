#!/usr/bin/env python
"""14. EDM's sigma-view: preconditioning, the rho time steps, the churn sampler.

Claim: Write the denoiser as D(x; sigma) = c_skip x + c_out F(c_in x; c_noise). Asking for
unit-variance network inputs and training targets, and for the smallest c_out (least amplification
of F's errors), gives c_in = 1/sqrt(sigma^2 + sigma_data^2), c_skip = sigma_data^2/(sigma^2 +
sigma_data^2), c_out = sigma sigma_data/sqrt(sigma^2 + sigma_data^2) and loss weight 1/c_out^2;
c_noise = ln(sigma)/4 is a choice, not a derivation. The PF-ODE is dx/dsigma = (x - D(x;
sigma))/sigma. The rho-schedule interpolates uniform (rho = 1) and geometric (rho -> inf) steps;
Heun on it is second order. The churn step x^ = x + sqrt(sigma^^2 - sigma^2) z maps p_sigma exactly
to p_sigma^, so the stochastic sampler keeps the right marginals.

Sources: Karras, Aittala, Aila & Laine 2022 (EDM), Eq. 3-5, 7-8, Table 1, Sec. 5 and App. B.6
(preconditioning), Alg. 1 (Heun) and Alg. 2 (churn)

Run:   python derivations/14_edm_preconditioning_and_sampler.py [--fast] [--figures DIR] [--format markdown]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t14_edm.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("14"))
