#!/usr/bin/env python
"""07. SMLD annealed Langevin dynamics is a corrector-only sampler of the VE SDE.

Claim: Song & Ermon's Algorithm 1 (for each noise level sigma_i, from largest to smallest: T
steps of x <- x + alpha_i/2 s(x, sigma_i) + sqrt(alpha_i) z, alpha_i = eps sigma_i^2/sigma_L^2)
is the predictor-corrector sampler of the VE SDE with no predictor and a Langevin corrector, on
the grid of the VE SDE's discrete twin. Each corrector targets the VE marginal p_{t_i}; on a
Gaussian its stationary variance is v/(1 - alpha/(4v)): exact only as alpha -> 0.

Sources: Song & Ermon 2019, Alg. 1; Song et al. 2021 (score SDE), Sec. 4.2 and Appendix G;
Roberts & Tweedie 1996 (unadjusted Langevin)

Run:   python derivations/07_smld_annealed_langevin.py [--fast] [--figures DIR]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t07_annealed_langevin.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("07"))
