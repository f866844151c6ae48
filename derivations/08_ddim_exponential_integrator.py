#!/usr/bin/env python
"""08. DDIM is the exponential integrator of the probability-flow ODE.

Claim: In the variables y = x/m and sigma = s/m the PF-ODE of any linear SDE is dy/dsigma =
eps_hat(x, t) (eps_hat = -s score). Holding eps_hat fixed over a step (the first-order
exponential integrator, DPM-Solver-1) gives x_t = m_t x0_hat + s_t eps_hat with x0_hat = (x_s -
s_s eps_hat)/m_s: DDIM's update with eta = 0. It is first order in general and exact when
eps_hat is constant along the path (point-mass data).

Sources: Song, Meng & Ermon 2021 (DDIM), Eq. 12-14; Lu et al. 2022 (DPM-Solver), Eq. 3.4-3.7;
Karras et al. 2022 (EDM), Eq. 4 and Sec. 3

Run:   python derivations/08_ddim_exponential_integrator.py [--fast] [--figures DIR]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t08_ddim.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("08"))
