#!/usr/bin/env python
"""15. Guidance: classifier guidance and classifier-free guidance as sums of scores.

Claim: By Bayes, grad log p_t(x|y) = grad log p_t(x) + grad log p_t(y|x). Classifier guidance with
scale w uses grad log p_t(x) + w grad log p_t(y|x) = grad log [p_t(x) p_t(y|x)^w]; classifier-free
guidance (1 + w) grad log p_t(x|y) - w grad log p_t(x) is the same field with scale 1 + w, built
from two denoisers instead of a classifier. Classifier guidance with scale 1 (CFG with w = 0) is the
conditional score and samples p(x|y) exactly. For w > 0 the guided field is not the score of any
diffused density: the PF-ODE does not sample the tilted p(x) p(y|x)^(1+w)/Z at t = 0 -- it
concentrates on the class more than the tilt -- shown on a labelled mixture whose conditional scores
are exact.

Sources: Song et al. 2021 (score SDE), Sec. 5 and App. I (conditional sampling, Eq. 14); Dhariwal &
Nichol 2021, Sec. 4 and Alg. 1-2 (classifier guidance); Ho & Salimans 2022, Eq. 6 (classifier-free
guidance); Chidambaram et al. 2024 and Bradley & Nakkiran 2024 (guidance does not sample the tilted
density)

Run:   python derivations/15_classifier_and_cfg_guidance.py [--fast] [--figures DIR] [--format markdown]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t15_guidance.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("15"))
