#!/usr/bin/env python
"""13. Learning the score: DSM = explicit score matching + const; sigma^2, eps and g^2 weightings.

Claim: Denoising score matching E|s_theta(x~) - grad log q(x~|x)|^2 equals explicit score matching
E|s_theta(x~) - grad log q_sigma(x~)|^2 plus a constant independent of theta, so both have the same
minimiser, the score of the noised data. NCSN's weighting lambda(sigma) = sigma^2 makes every
level's loss O(1); the eps-prediction loss |eps_theta - eps|^2 is DSM weighted by s(t)^2. With
lambda = g^2 the weighted loss bounds the KL: for a model whose score is that of a diffused density
q_t, KL(p_0||q_0) = KL(p_T||q_T) + (1/2) int_0^T g^2 E_{p_t}|grad log p_t - grad log q_t|^2 dt
exactly (checked by quadrature on two mixtures).

Sources: Hyvarinen 2005 (explicit score matching); Vincent 2011, Sec. 4 and App. (DSM); Song & Ermon
2019, Eq. 2 and Sec. 4.2 (lambda(sigma) = sigma^2); Ho et al. 2020, Eq. 14 (eps-loss); Song et al.
2021 (score SDE), Eq. 7; Song, Durkan, Murray & Ermon 2021 (maximum likelihood training), Theorem 1
and Eq. 8-9

Run:   python derivations/13_learning_the_score.py [--fast] [--figures DIR] [--format markdown]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t13_score_matching.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("13"))
