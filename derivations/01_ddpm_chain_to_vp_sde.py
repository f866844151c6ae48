#!/usr/bin/env python
"""01. The DDPM forward chain becomes the VP SDE as N -> infinity.

Claim: With beta_i = beta(t_i) dt (dt = T/N), one DDPM step x_i = sqrt(1 - beta_i) x_{i-1} +
sqrt(beta_i) z is an Euler-Maruyama step of dx = -beta(t) x/2 dt + sqrt(beta(t)) dw up to
O(dt^2), so the chain's marginals converge to the VP SDE's at rate 1/N. Choosing beta_i = 1 -
abar(t_i)/abar(t_{i-1}) instead (the package's 'discrete twin') makes them equal at every N.

Sources: Ho et al. 2020, Eq. 2 and 4; Song et al. 2021 (score SDE), Eq. 10-11 and Appendix B;
Song et al. 2021, Appendix C (beta_min = 0.1, beta_max = 20 is DDPM's schedule)

Run:   python derivations/01_ddpm_chain_to_vp_sde.py [--fast] [--figures DIR]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t01_ddpm_to_vp.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("01"))
