"""Markup and connectives with no mathematical content of their own, read before the formula is split and parsed.

Each rule is general LaTeX usage (or one paper's stated convention, cited), never a rule for one formula:

* colour markup: ``\\color{cyan}{X}``, ``{\\color{red} X}``, ``\\textcolor{red}{X}``, ``\\colorbox{yellow}{X}`` are X
  (blog posts colour the terms they discuss: Weng 2021 colours μ̃_t's coefficients);
* an implication between two formulas, ``A \\Rightarrow B`` (``\\implies``, ``\\Longrightarrow``, ``\\therefore``): two
  formulas, each judged (Song 2021 blog: "dx = e^t dw ⇒ p_0t(x(t) | x(0)) = …");
* the per-step α clipped from below, ``\\max(ᾱ_{j−1}/ᾱ_j, C_1)`` or ``\\max(ᾱ_{t}/ᾱ_{t−1}, 0.001)``: the ratio itself
  (Karras et al. 2022, Table 1, iDDPM column: C_1 = 0.001 keeps α_j ≥ C_1, i.e. β ≤ 0.999, the clip of Nichol & Dhariwal
  2021, Sec. 3.2, which the verifier reads as the unclipped value, as it reads ``\\min(β, 0.999)``);
* the denoising notation of Vincent 2011 (Sec. 4.2) and Song & Ermon 2019 (Sec. 2.2, q_σ(x̃ | x) = N(x̃; x, σ²I)):
  the clean x and the perturbed x̃, so ``\\mathbb{E}[x | x̃]`` is the posterior mean of the clean data given the noisy
  sample, x̂_0 (Tweedie's formula, Efron 2011, Eq. 2.8; Song & Ermon 2019 write it for the denoised samples);
* a process indexed by its log-SNR, z_λ, α_λ, σ_λ (Kingma & Gao 2023, Sec. 2: q(z_λ | x) = N(α_λ x, σ_λ² I); Ho &
  Salimans 2022, Sec. 2): λ is a strictly monotone reparametrisation of the time, so where λ appears only as that
  index, the formula is the same statement at time t (z_t, α_t, σ_t, VDM's notation, Kingma et al. 2021, Eq. 1);
* ``\\tan^{-1}``, ``\\sin^{-1}``, ``\\cos^{-1}`` before an argument are the inverse functions arctan, arcsin, arccos
  (the usual convention, ISO 80000-2 item 2-13.x; never the reciprocal, which is written (tan x)^{-1} or cot);
* consistency models' multistep sampling (Song et al. 2023, Alg. 1: x̂_{τ_n} ← x + √(τ_n² − ε²) z): the times are EDM's
  noise levels (σ(t) = t), ε the smallest one, and x (no index) the consistency output f_θ, a sample at level ε; where
  ε is squared beside a squared τ_n the step is the VE perturbation from level ε to level τ_n, read as the SMLD forward
  step from σ_{i−1} = ε to σ_i = τ_n (Song & Ermon 2019; Song et al. 2021, Eq. 8);
* Analytic-DPM's notation (Bao et al. 2022, Sec. 2): steps indexed by n, ᾱ_n = ∏ α_i and β̄_n := 1 − ᾱ_n; a β̄ indexed
  by n (or n ± 1) is that (Su's β̄_t = √(1 − ᾱ_t²) and Song et al.'s β̄_i = Nβ_i use other letters);
* the signal-to-noise ratio written without an upright font (``SNR(t)``: three italic letters are never a product of
  S, N, R in these papers) or with its time as a subscript (``\\mathrm{SNR}_t``, ``\\mathrm{SNR}_{t-1}``) is SNR(t)
  (Kingma et al. 2021, Eq. 2);
* in the preconditioning of EDM and consistency models (c_skip, c_out, c_in, c_noise, λ(σ), w(λ)) ``σ_d`` is the data
  standard deviation σ_data (Karras et al. 2022, Eq. 7 and Table 1; the shorthand of many write-ups).
"""
from __future__ import annotations

import re

from .edm_iddpm import iddpm_abar_text
from .grid_functions import grid_calls
from .hs_lambda import hs_lambda_notation
from .kg_weighting import inline_lambda_density

__all__ = ["strip_markup"]

_COLOR_ARG = re.compile(r"\\(?:textcolor|colorbox)\s*\{[^{}]*\}\s*(?=\{)")
_COLOR_SWITCH = re.compile(r"\\color\s*\{[^{}]*\}")
_IMPLIES = re.compile(r"(?:\\[;,:! ]|\\q?quad|\s)*\\(?:Rightarrow|implies|Longrightarrow|Longleftrightarrow|iff|therefore)(?![a-zA-Z])(?:\\[;,:! ]|\\q?quad|\s)*")
_SMALL = r"(?:0?\.0*[1-9]\d*(?:\s*\\times\s*10\s*\^\s*\{?-\d+\}?)?|10\s*\^\s*\{\s*-\s*\d+\s*\}|C_\s*(?:\{\s*1\s*\}|1))"
_ABAR = r"\\(?:bar|overline)\s*\{?\s*\\alpha\s*\}?\s*_\s*(?:\{[^{}]*\}|\w)"
_MAX_CLIP = re.compile(r"\\max\s*(?:\\left|\\big|\\Big)?\s*\(\s*(?P<x>" + _ABAR + r"\s*/\s*" + _ABAR + r"|\\frac\s*\{\s*" + _ABAR + r"\s*\}\s*\{\s*" + _ABAR + r"\s*\})\s*,(?:\s|\\[,;: !])*"
                       + _SMALL + r"\s*(?:\\right|\\big|\\Big)?\s*\)")


_X = r"(?:\\(?:mathbf|boldsymbol|bm|vb|pmb)\s*\{\s*x\s*\}|\\(?:mathbf|boldsymbol|bm)\s+x|x)"
_TWEEDIE = re.compile(r"\\mathbb\s*\{\s*E\s*\}\s*(?:\\left)?\s*\[\s*" + _X + r"\s*(?:\||\\mid|\\vert)\s*\\tilde\s*\{?\s*" + _X
                      + r"\s*\}?\s*(?:\\right)?\s*\]")


#: the symbols a λ index may carry (the state and its schedule: z_λ, x_λ, α_λ, σ_λ, ε_λ); f_λ(t) names a function
_LAMBDA_BASE = re.compile(r"(?:(?<![A-Za-z\\])[xz]|\\(?:alpha|sigma|epsilon|varepsilon))\s*\}?\s*\}?\s*$")
_LAMBDA_SUB = re.compile(r"_\s*(?:\{\s*\\lambda\s*\}|\\lambda(?![a-zA-Z]))")


_INVERSE_TRIG = re.compile(r"\\(tan|sin|cos)\s*\^\s*(?:\{\s*-\s*1\s*\}|-\s*1)")


_TAU = r"\\tau\s*_\s*(?:\{\s*([a-z])\s*\}|([a-z]))"
_CM_STEP = re.compile(r"^\s*(?:\\hat\s*\{\s*(?:\\mathbf\s*\{\s*x\s*\}|x)\s*\}|\\hat\s*x)\s*_\s*\{\s*" + _TAU + r"\s*\}\s*(?:=|\\leftarrow|\\gets)(?P<rhs>.*)$")
_CM_X = re.compile(r"(?:\\mathbf\s*\{\s*x\s*\}|(?<![\\a-zA-Z])x)(?!\s*_)")
_EPS2 = re.compile(r"\\(?:epsilon|varepsilon)\s*\^\s*(?:\{\s*2\s*\}|2)")


def _cm_step(s: str) -> str:
    m = _CM_STEP.match(s)
    if m is None or not _EPS2.search(m.group("rhs")) or not re.search(_TAU + r"\s*\^\s*(?:\{\s*2\s*\}|2)", m.group("rhs")):
        return s
    rhs = re.sub(_TAU, r"\\sigma_i", m.group("rhs"))
    rhs = _EPS2.sub(r"\\sigma_{i-1}^2", rhs)
    return "x_i = " + _CM_X.sub("x_{i-1}", rhs)


_BBAR_N = re.compile(r"\\(?:overline|bar)\s*\{?\s*\\beta\s*\}?\s*_\s*(\{\s*n\s*(?:[-+]\s*1\s*)?\}|n(?![a-zA-Z]))")


_SNR_PLAIN = re.compile(r"(?<![A-Za-z\\{])(?<!\{ )(?<!\{  )SNR(?![A-Za-z])")
_SNR_SUB = re.compile(r"(\\(?:mathrm|text|operatorname|textrm)\s*\{\s*SNR\s*\})\s*_\s*(?:\{\s*([a-z](?:\s*[-+]\s*1)?)\s*\}|([a-z])(?![a-zA-Z]))(?!\s*\()")


_SIGMA_D = re.compile(r"\\sigma\s*_\s*(?:\{\s*(?:\\(?:mathrm|text|rm)\s*\{\s*d\s*\}|d)\s*\}|d(?![a-zA-Z]))")
_PRECOND = re.compile(r"c\s*_\s*\{?\s*(?:\\(?:text|mathrm|operatorname|textrm)\s*\{\s*)?(?:skip|out|in|noise)\b|^\s*w\s*\(\s*\\lambda|^\s*\\lambda\s*\(\s*\\sigma")


def strip_markup(s: str) -> str:
    """The rules of the module docstring, applied in order (idempotent)."""
    if "\\color" in s or "\\textcolor" in s or "\\colorbox" in s:
        s = _COLOR_ARG.sub("", s)
        s = _COLOR_SWITCH.sub("", s)
    if "\\max" in s:
        s = _MAX_CLIP.sub(lambda m: "(" + m.group("x") + ")", s)
    if "\\tilde" in s and "\\mathbb" in s:
        s = _TWEEDIE.sub(r"\\hat{x}_0", s)
    s = hs_lambda_notation(s)  # z_λ, α_λ with a bare λ or a λ': Ho & Salimans' notation in time indices (hs_lambda.py)
    if "\\lambda" in s and s.count("\\lambda") == len(_LAMBDA_SUB.findall(s)) and not re.search(r"_\s*\{?\s*t\b", s) \
            and all(_LAMBDA_BASE.search(s[:m.start()]) for m in _LAMBDA_SUB.finditer(s)):
        s = _LAMBDA_SUB.sub("_t", s)  # z_λ, α_λ, σ_λ with λ only an index: the time index
    if "\\tau" in s and "\\hat" in s:
        s = _cm_step(s)
    if "alpha" in s and "M" in s:
        s = iddpm_abar_text(s)  # EDM's ᾱ_j of the iDDPM column (edm_iddpm.py)
    if "beta" in s and _BBAR_N.search(s):
        s = _BBAR_N.sub(lambda m: "(1 - \\bar\\alpha_" + m.group(1) + ")", s)  # Analytic-DPM's β̄_n = 1 − ᾱ_n
    if s.lstrip().startswith("w"):
        s = inline_lambda_density(s)  # w(λ) = p_F(λ)·…, p_F(λ) = N(λ; m, s²): the density in place (kg_weighting.py)
    s = grid_calls(s)  # ᾱ(i/T) is the chain's ᾱ_i (guided-diffusion's betas_for_alpha_bar; grid_functions.py)
    if "SNR" in s:
        s = _SNR_SUB.sub(lambda m: m.group(1) + "(" + (m.group(2) or m.group(3)) + ")", _SNR_PLAIN.sub(r"\\mathrm{SNR}", s))
    if "sigma" in s and _SIGMA_D.search(s) and _PRECOND.search(s) and "data" not in s:
        s = _SIGMA_D.sub(r"\\sigma_{\\text{data}}", s)  # σ_d of the preconditioning is σ_data
    s = _INVERSE_TRIG.sub(lambda m: "\\arc" + m.group(1) + " ", s)
    return _IMPLIES.sub(r" \\quad ", s)
