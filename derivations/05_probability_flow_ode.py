#!/usr/bin/env python
"""05. The probability-flow ODE has the same marginals.

Claim: The deterministic ODE dx/dt = f(t) x - g(t)^2/2 grad log p_t(x) moves probability mass
with velocity field v; its continuity equation d_t p = -div(v p) is the forward Fokker-Planck
equation, so pushing p_T back along the ODE gives p_t at every t, although each path is
deterministic where the SDE's paths spread.

Sources: Song et al. 2021 (score SDE), Eq. 13 and Appendix D.1; Maoutsa, Reich & Opper 2020;
Chen et al. 2018 (continuity / instantaneous change of variables)

Run:   python derivations/05_probability_flow_ode.py [--fast] [--figures DIR]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t05_pf_ode.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("05"))
