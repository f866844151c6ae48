#!/usr/bin/env python
"""04. The reverse-time SDE (Anderson), checked through Fokker-Planck.

Claim: If p_t solves the Fokker-Planck equation of dx = f x dt + g dw, then p_{T-tau} solves the
Fokker-Planck equation of the process run backwards, dx = [f x - g^2 grad log p_t(x)] dt + g
dw_bar (dt < 0): the reverse SDE has the same marginals. More generally dx = [f x - (1 +
lam^2)/2 g^2 grad log p_t] dt + lam g dw_bar works for every lam >= 0, and no other coefficient
does (lam = 1: Anderson; lam = 0: the probability-flow ODE).

Sources: Anderson 1982 (reverse-time diffusion equation models); Song et al. 2021 (score SDE),
Eq. 6 and Appendix D.1; Fokker-Planck equation: Särkkä & Solin 2019, Ch. 5

Run:   python derivations/04_reverse_time_sde.py [--fast] [--figures DIR]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t04_reverse_sde.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("04"))
