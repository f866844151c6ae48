#!/usr/bin/env python
"""10. score <-> eps <-> x0 <-> v, and Tweedie's formula.

Claim: With x_t = m x_0 + s eps, the four things a network can predict are linear in one another
at fixed (x_t, t): score = -E[eps | x_t]/s, E[x_0 | x_t] = (x_t + s^2 score)/m (Tweedie), v = m
eps - s x_0. The optimal predictions (conditional means) satisfy the same relations, so a model
trained on any one gives the others.

Sources: Efron 2011 (Tweedie's formula), Eq. 2.8; Vincent 2011 (denoising score matching); Ho et
al. 2020, Eq. 11-12; Song et al. 2021 (score SDE), Eq. 7; Salimans & Ho 2022, Sec. 4 and App. D

Run:   python derivations/10_score_eps_x0_v_tweedie.py [--fast] [--figures DIR]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t10_parameterisations.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("10"))
