#!/usr/bin/env python
"""00. On-ramp: the score, Langevin dynamics and the Fokker-Planck equation.

Claim: The score s(x) = d/dx log p(x) needs no normalising constant; for a Gaussian mixture it is
the responsibility-weighted sum of the components' scores -(x - mu_k)/sigma_k^2. Langevin dynamics
dx = s(x) dt + sqrt(2) dw has p as its stationary law (the Fokker-Planck equation's right side
vanishes), so a score alone samples p -- but only as fast as the walkers cross between modes;
smoothing p (adding noise, as diffusion models do) and annealing the noise down fixes the mode
weights. The forward noising process moves densities by the Fokker-Planck equation, which the exact
diffused mixture solves.

Sources: Hyvarinen 2005 (score); Roberts & Tweedie 1996 and Welling & Teh 2011 (Langevin dynamics,
unadjusted step); Risken 1989, Ch. 4 (Fokker-Planck); Song & Ermon 2019, Sec. 3 (why plain Langevin
misses mode weights) and Alg. 1 (annealing)

Run:   python derivations/00_onramp_score_langevin_fokker_planck.py [--fast] [--figures DIR] [--format markdown]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t00_onramp.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("00"))
