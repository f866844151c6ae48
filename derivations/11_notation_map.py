#!/usr/bin/env python
"""11. The notation map: one kernel x_t = m x_0 + s eps, five spellings.

Claim: Every paper writes the same Gaussian kernel x_t = m(t) x_0 + s(t) eps, but the letters
move: DDPM's alpha_t is the one-step factor 1 - beta_t and abar_t = m^2; DDIM's alpha_t is
DDPM's abar_t; VDM's and DPM-Solver's alpha_t is m = sqrt(abar_t) with sigma_t = s; EDM's
sigma(t) is the noise level s/m and its s(t) is m. The map below is checked against the
package's m, s, noise level and log-SNR.

Sources: Ho et al. 2020, Sec. 2 and Eq. 4; Song, Meng & Ermon 2021 (DDIM), Sec. 2 and Eq. 12;
Kingma et al. 2021 (VDM), Sec. 2; Lu et al. 2022 (DPM-Solver), Sec. 2; Karras et al. 2022 (EDM),
Eq. 4 and Table 1; Song et al. 2021 (score SDE), Eq. 29; Nichol & Dhariwal 2021, Eq. 17

Run:   python derivations/11_notation_map.py [--fast] [--figures DIR]
Exit status 0 when every check passes, 1 when one fails (the failing checks are listed on stderr).
The derivation itself -- the sympy algebra and the numerical confirmation against the exact
Gaussian-mixture score -- is scoresde/teach/t11_notation.py: read it next to this script's output.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from scoresde.teach import script_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(script_main("11"))
