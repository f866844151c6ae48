#!/usr/bin/env python
"""03. Perturbation kernels from the mean and variance ODEs.

Claim: For a linear SDE dx = f(t) x dt + g(t) dw started at x_0, x_t is Gaussian with mean m(t)
x_0 and variance v(t), where m' = f m (m(0) = 1) and v' = 2 f v + g^2 (v(0) = 0). Solving them
gives the kernels: VP m = exp(-B/2), v = 1 - exp(-B); sub-VP v = (1 - exp(-B))^2; VE v =
sigma(t)^2 - sigma(0)^2 (B = int_0^t beta).

Sources: Särkkä & Solin 2019, Eq. 5.50-5.51 and 6.6-6.7; Song et al. 2021 (score SDE), Eq. 29,
31-33 and Appendix B

Run:   python derivations/03_kernels_from_moment_odes.py [--fast] [--figures DIR]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t03_kernels.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("03"))
