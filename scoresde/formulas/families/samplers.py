"""Continuous-time samplers: Euler–Maruyama, Langevin corrector, SNR rule, annealed Langevin."""
from __future__ import annotations

from typing import List

import sympy as sp

from .. import canon as C
from ..entry import Entry
from ..ties_more import tie_anneal, tie_langevin, tie_snr
from ._common import SONG, b, beta, collector, g2, h, s, S, xc, xp

ENTRIES: List[Entry] = []
_add = collector(ENTRIES)

_add(name="vp.euler_maruyama", title="Euler–Maruyama step of the reverse VP SDE", source=f"{SONG}, Eq. 6 and 11 (Euler–Maruyama, Kloeden & Platen 1992, Eq. 9.1.1)",
     kind="step", family="vp", mode="discrete-continuous",
     latex=r"x_{i-1} = x_i + [\frac{1}{2}\beta(t_i) x_i + \beta(t_i) s_\theta(x_i, t_i)]\Delta t + \sqrt{\beta(t_i)\Delta t} z_i",
     relation="x − [f x − g² s] Δt + g √Δt z with (f, g²) = (VPSDE.drift_coeff, VPSDE.diffusion_sq)", direction="reverse",
     lhs="x_prev", mean={xc: 1 + beta * h / 2, s: beta * h}, var=[beta * h], tie=None)
_add(name="euler_maruyama", title="Euler–Maruyama step of the reverse SDE", source=f"{SONG}, Eq. 6 (Euler–Maruyama, Kloeden & Platen 1992, Eq. 9.1.1)",
     kind="step", family="generic", mode="discrete-continuous",
     latex=r"x_{i-1} = x_i - [f(x_i, t_i) - g(t_i)^2 s_\theta(x_i, t_i)]\Delta t + g(t_i)\sqrt{\Delta t} z_i",
     relation="ReverseSDE.sde drift and diffusion times Δt", direction="reverse",
     lhs="x_prev", mean={xc: sp.Integer(1), C.FX: -h, s: g2 * h}, var=[g2 * h], tie=None)
_add(name="euler_maruyama.forward", title="Euler–Maruyama step of the forward SDE",
     source=f"{SONG}, Eq. 5 (Euler–Maruyama, Kloeden & Platen 1992, Eq. 9.1.1; Murphy 2023, Sec. 25.4.1)",
     kind="step", family="generic", mode="discrete-continuous",
     latex=r"x_{i+1} = x_i + f(x_i, t_i)\Delta t + g(t_i)\sqrt{\Delta t} z_i",
     relation="LinearSDE.sde drift and diffusion times Δt, forward in time", direction="forward",
     lhs="x_cur", mean={xp: sp.Integer(1), C.FX: h}, var=[g2 * h], tie=None)
_add(name="vp.pf_euler", title="Euler step of the VP probability-flow ODE", source=f"{SONG}, Eq. 13 (Euler's method, negative time step)",
     kind="step", family="vp", mode="discrete-continuous",
     latex=r"x_{i-1} = x_i + \frac{1}{2}\beta(t_i)[x_i + s_\theta(x_i, t_i)]\Delta t",
     relation="x − [f x − ½ g² s] Δt with (f, g²) = (VPSDE.drift_coeff, VPSDE.diffusion_sq); solvers 'ode_euler'", direction="reverse",
     lhs="x_prev", mean={xc: 1 + beta * h / 2, s: beta * h / 2}, var=[sp.Integer(0)], tie=None)
_add(name="pf_euler", title="Euler step of the probability-flow ODE", source=f"{SONG}, Eq. 13 (Euler's method, negative time step)",
     kind="step", family="generic", mode="discrete-continuous",
     latex=r"x_{i-1} = x_i - [f(x_i, t_i) - \frac{1}{2}g(t_i)^2 s_\theta(x_i, t_i)]\Delta t",
     relation="ReverseSDE(probability_flow=True).sde drift times Δt; solvers 'ode_euler'", direction="reverse",
     lhs="x_prev", mean={xc: sp.Integer(1), C.FX: -h, s: g2 * h / 2}, var=[sp.Integer(0)], tie=None)
_add(name="langevin", title="Langevin corrector step", source=f"{SONG}, Alg. 4-5; Song & Ermon 2019, Eq. 4 (ε/2 convention)",
     kind="langevin", family="generic",
     latex=r"x_{t} = x_{t-1} + \epsilon\nabla_x \log p(x_{t-1}) + \sqrt{2\epsilon} z_t",
     relation="stationary variance with the exact Gaussian score → c² as ε → 0", direction="langevin", lhs="x_cur",
     mean={xc: sp.Integer(1), s: C.lstep}, var=[2 * C.lstep], tie=tie_langevin)
_add(name="vp.langevin_snr", title="Langevin step size from the SNR rule (VP)", source=f"{SONG}, Alg. 5 (α_i = 1 − β_i)",
     kind="scalar", family="vp", latex=r"\epsilon = 2\alpha_i (r \|z\|_2 / \|s_\theta\|_2)^2",
     relation="α_i = a_i² of VPSDE.chain(N); SNR of the step = √α r", lhs="eps_snr",
     rhs=2 * (1 - b) * (C.snr * C.NORM_Z / C.NORM_S) ** 2, tie=tie_snr)
_add(name="ve.langevin_snr", title="Langevin step size from the SNR rule (VE)", source=f"{SONG}, Alg. 4 (α = 1 for VE)",
     kind="scalar", family="ve", latex=r"\epsilon = 2 (r \|z\|_2 / \|s_\theta\|_2)^2",
     relation="SNR of the corrector step = r", lhs="eps_snr", rhs=2 * (C.snr * C.NORM_Z / C.NORM_S) ** 2, tie=tie_snr)
_add(name="smld.annealed_step", title="annealed Langevin step size", source="Song & Ermon 2019, Alg. 1", kind="scalar",
     family="ve", latex=r"\alpha_i = \epsilon \cdot \sigma_i^2 / \sigma_L^2", relation="MarkovChain.song_ermon2019() noise levels",
     lhs="alpha_anneal", rhs=C.lstep * S**2 / sp.Symbol("σ_L", positive=True) ** 2, tie=tie_anneal)
