#!/usr/bin/env python
"""16. The exponential integrator and DPM-Solver: variation of constants in lambda, multistep orders 2 and 3.

Claim: With lambda = log(m/s) and the data prediction D = x0_hat(x, t), the PF-ODE of any linear SDE
is d(x/s)/dlambda = e^lambda D exactly, so x_t = (s_t/s_s) x_s + s_t int_{lambda_s}^{lambda_t}
e^lambda D dlambda (variation of constants: the linear part is solved exactly). Expanding D in a
Taylor series in lambda gives the integrals m_t phi_k(h): order 1 is DDIM / DPM-Solver++1, and
replacing D', D'' by backward differences of past D's (one evaluation per step) leaves a local error
O(h^{k+1}), so k-step multistep methods have global order k = 1, 2, 3 (measured). The package's
DPM-Solver++(2M) is the 2-step method with the D' coefficient m_t (1 - e^-h) h/2, which matches m_t
phi_2(h) to O(h^3).

Sources: Lu et al. 2022 (DPM-Solver), Eq. 3.4-3.6 and Sec. 3.2; Lu et al. 2022b (DPM-Solver++), Eq.
8-9, Alg. 1-2 and Sec. 4.2 (multistep); Zhang & Chen 2023 (DEIS), Sec. 3; Hochbruck & Ostermann 2010
(exponential integrators), Sec. 2

Run:   python derivations/16_exponential_integrator_dpm_solver.py [--fast] [--figures DIR] [--format markdown]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t16_dpm_solver.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("16"))
