#!/usr/bin/env python
"""02. The SMLD forward chain becomes the VE SDE.

Claim: With sigma_i = sigma(t_i), the SMLD chain x_i = x_{i-1} + sqrt(sigma_i^2 - sigma_{i-1}^2)
z has increments of mean 0 and variance d[sigma^2]/dt dt + O(dt^2): it discretises dx =
sqrt(d[sigma(t)^2]/dt) dw. Its marginals N(x_0, sigma_i^2) are those of the VE SDE at t_i
exactly, at every N (the sums telescope), with the SMLD convention s(t) = sigma(t);
Euler-Maruyama on the same SDE is only first-order accurate.

Sources: Song & Ermon 2019, Sec. 4.2 (noise levels); Song et al. 2021 (score SDE), Eq. 8-9 and
Appendix B; Song et al. 2021, Eq. 31 (VE kernel)

Run:   python derivations/02_smld_chain_to_ve_sde.py [--fast] [--figures DIR]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t02_smld_to_ve.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("02"))
