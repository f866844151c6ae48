#!/usr/bin/env python
"""09. VP <-> VE by a change of variables: the same noise lands on the same points.

Claim: For any linear SDE with kernel (m, s), y = x/m follows the VE-type process with noise
level sigma = s/m: y_t ~ p_data * N(0, sigma^2). Its PF-ODE becomes dy/dsigma = -sigma grad log
p_sigma(y), which no longer mentions m. So the VP PF-ODE started at x_T and the VE PF-ODE
started at y_T = x_T/m(T) at the same noise level trace the same curves in (sigma, y) and land
on the same points up to the scale m.

Sources: Karras et al. 2022 (EDM), Eq. 4 and Table 1; Song et al. 2021 (score SDE), Eq. 13;
Song, Meng & Ermon 2021 (DDIM), Eq. 14

Run:   python derivations/09_vp_ve_change_of_variables.py [--fast] [--figures DIR]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t09_vp_ve_change_of_variables.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("09"))
