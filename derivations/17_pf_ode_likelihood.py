#!/usr/bin/env python
"""17. PF-ODE likelihood: the instantaneous change of variables.

Claim: Along a path of dx/dt = v(x, t) the density transported by the flow obeys d/dt log p_t(x(t))
= -div v(x(t), t) (continuity equation + chain rule), so log p_eps(x) = log p_T(x(T)) + int_eps^T
div v dt with v the PF-ODE drift f x - g^2/2 score. For a Gaussian the integral is the
log-determinant of the linear flow. Hutchinson's E[z^T J z] = tr J (E z z^T = I) gives an unbiased
divergence from one vector-Jacobian product. With the exact mixture score the integral reproduces
the exact log p_eps on gmm2d (the remaining error is the prior mismatch p_T vs N(0, s_T^2) and the
solver tolerance).

Sources: Chen et al. 2018 (neural ODEs), Theorem 1 (instantaneous change of variables); Grathwohl et
al. 2019 (FFJORD), Eq. 5-7 (Hutchinson trace estimator); Song et al. 2021 (score SDE), Sec. 4.3 and
App. D.2, Eq. 39-40; Hutchinson 1990

Run:   python derivations/17_pf_ode_likelihood.py [--fast] [--figures DIR] [--format markdown]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t17_likelihood.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("17"))
