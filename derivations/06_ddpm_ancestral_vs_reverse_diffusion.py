#!/usr/bin/env python
"""06. DDPM ancestral sampling vs reverse diffusion: which is exact for what.

Claim: Both x_{i-1} = (x_i + beta_i s)/sqrt(1 - beta_i) + sigma_i z (DDPM ancestral, Ho et al.
Alg. 2) and x_{i-1} = (2 - sqrt(1 - beta_i)) x_i + beta_i s + sqrt(beta_i) z (reverse diffusion)
are first-order discretisations of the reverse VP SDE and agree with each other only to first
order in beta. With the exact score, the ancestral step's mean is the exact E[x_{i-1} | x_i] for
any data; its variance is exact for unit-variance Gaussian data with sigma_i^2 = beta_i and for
point-mass data with sigma_i^2 = beta~_i. Reverse diffusion is exact in neither case.

Sources: Ho et al. 2020, Eq. 6-7, 11, Alg. 2 and Sec. 3.2 (the two variance choices); Song et
al. 2021 (score SDE), Eq. 4 (the ancestral step in score form), Eq. 46-47 and Appendix E-F
(reverse diffusion, SMLD ancestral sampling)

Run:   python derivations/06_ddpm_ancestral_vs_reverse_diffusion.py [--fast] [--figures DIR]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t06_ddpm_samplers.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("06"))
