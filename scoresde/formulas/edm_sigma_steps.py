"""EDM's samplers written in noise levels σ_i: the σ_i of a denoiser step is Alg. 1's time point t_i.

Karras et al. 2022 (EDM) choose σ(t) = t and s(t) = 1 (Table 1, "ours"), so Alg. 1-2 run on the time points t_i = σ_i
(Eq. 5). The code that implements them names those points as noise levels -- k-diffusion's ``sigmas[i]``,
``sigma_hat`` (k_diffusion/sampling.py: sample_euler, sample_heun, sample_dpmpp_2m), diffusers' ``sigmas[step_index]``
(EulerDiscreteScheduler.step) -- and formulas copied from it write σ_i, σ_{i+1}, σ̂_i. Reading rules for a cell that
evaluates the denoiser D(·; σ_j) / D_θ(·; σ_j) at an indexed noise level and writes no indexed time t_j of its own:

* every indexed σ_j is t_j (σ̂_j, the churned level, is t̂_j; a cell that writes σ̂_j is Alg. 2 in noise levels even
  without its denoiser line); σ, σ_data, σ_min, σ_max (no running index) stay; a cell counting with one other index
  letter (σ_n, x_{n+1}) is read with i, as Alg. 1-2 count; the ideal denoiser D written in a step is the network
  D_θ that Alg. 1-2 evaluate;
* a step size ``h`` / ``h_i`` defined in the cell (DPM-Solver++'s h = λ_{i+1} − λ_i with λ = −log σ, Lu et al. 2022b,
  Eq. 9; k-diffusion's sample_dpmpp_2m: t = −log σ, h = t_next − t) is substituted into the update that uses it;
* Heun's predictor written under its own name (x̃_{i+1}, x̂_{i+1}, x̄_{i+1}, x'_{i+1}: k-diffusion's ``x_2``) is Alg. 1's
  x_{i+1} of line 5, and a second slope written inline in the corrector, (x_{i+1} − D(x_{i+1}; t_{i+1}))/t_{i+1}, is
  Alg. 1's d'_i of line 7: the corrector is read as line 8, x_{i+1} = x_i + (t_{i+1} − t_i)(½ d_i + ½ d'_i), with d'_i
  its own line (judged too).
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

__all__ = ["sigma_levels_as_times"]

_IDX = r"[ijkn]"
#: D(...; σ_j) or D_θ(...; σ̂_j): the denoiser at an indexed noise level
_DENOISER = re.compile(r"(?<![A-Za-z\\])D\s*(?:_\s*(?:\\theta|\{\s*\\theta\s*\}))?\s*(?:\\(?:left|big|Big|bigl|Bigl)\s*)?\(")
_AT_SIGMA = re.compile(r";\s*(?:\\,\s*)?(?:\\hat\s*\{?\s*)?\\sigma\s*\}?\s*_\s*\{?\s*" + _IDX + r"(?![A-Za-z])")
#: σ̂_i, EDM Alg. 2's churned level t̂_i written as a noise level (k-diffusion's sigma_hat)
_HAT_SIGMA = re.compile(r"\\hat\s*\{?\s*\\sigma\s*\}?\s*_\s*\{?\s*" + _IDX + r"(?![A-Za-z])")
_IDEAL_D = re.compile(r"(?<![A-Za-z\\])D\s*(?:\\left\s*)?\(")
_OWN_T = re.compile(r"(?<![A-Za-z\\])t\s*_\s*\{?\s*" + _IDX + r"(?![A-Za-z])")
#: σ_j, σ_{j±1}, \hat\sigma_j, \hat{\sigma}_j (the hat is kept on t)
_SIGMA_J = re.compile(r"(\\hat\s*\{\s*\\sigma\s*\}|\\hat\s*\\sigma|\\sigma)\s*_\s*(\{\s*" + _IDX + r"\s*(?:[+-]\s*\d+\s*)?\}|"
                      + _IDX + r"(?![A-Za-z]))")
_STEP_DEF = re.compile(r"^\s*h(?:\s*_\s*(?:\{\s*" + _IDX + r"\s*(?:[+-]\s*\d+\s*)?\}|" + _IDX + r"))?\s*(?::=|=)(?!=)\s*(?P<body>[^=]+)$")
_H = r"(?<![A-Za-z\\])h(?:\s*_\s*(?:\{\s*" + _IDX + r"\s*(?:[+-]\s*\d+\s*)?\}|" + _IDX + r"(?![A-Za-z])))?(?![A-Za-z])"
_STATE_IN = re.compile(r"(?<![A-Za-z\\])x(?![A-Za-z])")
_FONT = r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{?\s*)?"
#: a decorated next state: \tilde x_{i+1}, \hat{\mathbf{x}}_{i+1}, \bar x_{i+1}, x'_{i+1}, x^\prime_{i+1}
_PRED = re.compile(r"(?:\\(?:tilde|hat|bar)\s*\{?\s*" + _FONT + r"x\s*\}?\s*\}?|" + _FONT + r"x\s*\}?\s*(?:'|\^\s*\{?\s*\\prime\s*\}?))"
                   r"\s*_\s*\{\s*i\s*\+\s*1\s*\}")
_NEXT = "x_{i+1}"
_BOLD = re.compile(r"\\(?:mathbf|boldsymbol|bm)\s*(?:\{\s*([A-Za-z])\s*\}|\s([A-Za-z])(?![A-Za-z]))")


def _split(text: str) -> List[str]:
    from .tokens import split_equations

    return split_equations(text)


def _join(eqs: List[str]) -> str:
    return r", \quad ".join(eqs)


def _step_size(eqs: List[str]) -> Tuple[List[str], List[str]]:
    defs = [k for k, e in enumerate(eqs) if _STEP_DEF.match(e) and not _STATE_IN.search(_STEP_DEF.match(e).group("body"))]
    if len(defs) != 1:
        return eqs, []
    body = _STEP_DEF.match(eqs[defs[0]]).group("body").strip()
    users = [k for k, e in enumerate(eqs) if k != defs[0] and "=" in e and re.search(_H, e.partition("=")[2])]
    if not users:
        return eqs, []
    out = []
    for k, e in enumerate(eqs):
        if k == defs[0]:
            continue
        if k in users:
            lhs, _, rhs = e.partition("=")
            e = lhs + "=" + re.sub(_H, lambda _m: r"\left(" + body + r"\right)", rhs)
        out.append(e)
    return out, ["the step size h defined in the same formula was substituted into the update"]


def _close(text: str, i: int) -> Optional[int]:
    """Index of the bracket closing the one opened at ``text[i]``."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    depth = 0
    for j in range(i, len(text)):
        c = text[j]
        if c in pairs:
            depth += 1
        elif c in ")}]":
            depth -= 1
            if depth == 0:
                return j
    return None


_SLOPE_HEAD = re.compile(r"(?:\\left\s*)?\(\s*" + re.escape(_NEXT) + r"\s*-\s*D")
_FRAC_HEAD = re.compile(r"\\frac\s*\{\s*" + re.escape(_NEXT) + r"\s*-\s*D")
_NEXT_T = re.compile(r"^\s*(?:/\s*(?:t_\s*\{\s*i\s*\+\s*1\s*\})|\{\s*t_\s*\{\s*i\s*\+\s*1\s*\}\s*\})")


def _inline_slope(eq: str) -> Optional[Tuple[str, str]]:
    """(corrector with d'_i, d'_i's body) for a corrector with (x_{i+1} − D(x_{i+1}; t_{i+1}))/t_{i+1} written inline."""
    for head in (_SLOPE_HEAD, _FRAC_HEAD):
        for m in head.finditer(eq):
            start = m.start()
            o = eq.index("{" if head is _FRAC_HEAD else "(", start)
            c = _close(eq, o)
            if c is None:
                continue
            rest = eq[c + 1:]
            tail = _NEXT_T.match(rest)
            if not tail:
                continue
            span = eq[start:c + 1 + tail.end()]
            return eq[:start] + " d'_i " + eq[c + 1 + tail.end():], span
    return None


def _heun(eqs: List[str]) -> Tuple[List[str], List[str]]:
    if not any(_PRED.search(e) for e in eqs):
        return eqs, []
    eqs = [_PRED.sub(_NEXT, e) for e in eqs]
    out, notes = [], []
    for e in eqs:
        lhs, _, rhs = e.partition("=")
        got = _inline_slope(rhs) if re.fullmatch(r"\s*x\s*_\s*\{\s*i\s*\+\s*1\s*\}\s*", lhs) and "d_i" in rhs.replace(" ", "") else None
        if got:
            out += ["d'_i = " + got[1].replace(r"\left(", "(").replace(r"\right)", ")"), lhs + "=" + got[0]]
            notes.append("Heun's predictor is Alg. 1's x_{i+1} and the slope written inline in the corrector is its d'_i "
                         "(Karras et al. 2022, Alg. 1 lines 5, 7-8)")
        else:
            out.append(e)
    return out, notes


def _one_index(text: str) -> str:
    """The cell's running index renamed i where it uses one other letter (σ_n, x_{n+1}): Alg. 1-2 count with i."""
    used = set(re.findall(r"_\s*\{?\s*([ijkn])(?![A-Za-z])", text))
    if len(used) != 1 or "i" in used:
        return text
    (k,) = used
    return re.sub(r"(_\s*\{?\s*)" + k + r"(?![A-Za-z])", lambda m: m.group(1) + "i", text)


_SPLIT_NAME = re.compile(r"^\s*\\sigma\s*_\s*\{\s*(?:\\(?:text|mathrm)\s*\{\s*)?(up|down)\s*\}?\s*\}\s*=(?!=)\s*(?P<body>.+)$", re.S)
_SPLIT_USE = r"\\sigma\s*_\s*\{\s*(?:\\(?:text|mathrm)\s*\{\s*)?%s\s*\}?\s*\}"
_NOISE = re.compile(r"(?<![A-Za-z\\])z(?:\s*_\s*\{?\s*i\s*\}?)?(?![A-Za-z_])|\\(?:var)?epsilon(?!\s*_)(?![A-Za-z])")
_STATE_LHS = re.compile(r"^\s*x\s*_\s*\{\s*i\s*\+\s*1\s*\}\s*=")


def _ancestral(eqs: List[str], rep) -> Tuple[List[str], List[str]]:
    """k-diffusion's split σ_up, σ_down defined in the cell substituted (in t) into the step that uses them; the step's
    fresh noise z (or an unindexed ε) is Alg. 2's ε_i. The definitions stay, each judged as written in σ."""
    defs = {m.group(1): m.group("body").strip() for e in eqs if (m := _SPLIT_NAME.match(e))}
    if not defs:
        return [_SIGMA_J.sub(rep, e) for e in eqs], []
    out, used = [], False
    for e in eqs:
        if _SPLIT_NAME.match(e):
            out.append(e)
            continue
        e = _SIGMA_J.sub(rep, e)
        if _STATE_LHS.match(e):
            lhs, _, rhs = e.partition("=")
            for name in ("down", "up"):  # σ_down's body may use σ_up: substitute it first
                if name in defs and re.search(_SPLIT_USE % name, rhs):
                    body = _SIGMA_J.sub(rep, defs[name])
                    if name == "down" and "up" in defs:
                        body = re.sub(_SPLIT_USE % "up", lambda _m: r"\left(" + _SIGMA_J.sub(rep, defs["up"]) + r"\right)", body)
                    rhs = re.sub(_SPLIT_USE % name, lambda _m: r"\left(" + body + r"\right)", rhs)
                    used = True
            if used and r"\epsilon_i" not in rhs:
                rhs = _NOISE.sub(lambda _m: r"\epsilon_i", rhs)
            e = lhs + "=" + rhs
        out.append(e)
    return out, (["σ_up, σ_down of the same formula substituted into the step (k-diffusion's get_ancestral_step)"] if used else [])


def sigma_levels_as_times(text: str) -> Tuple[str, List[str]]:
    """(text with σ_j read as t_j, notes) where the cell is an EDM denoiser step in noise levels; else (text, [])."""
    if not ((_DENOISER.search(text) and _AT_SIGMA.search(text)) or _HAT_SIGMA.search(text)) or _OWN_T.search(text):
        return text, []
    text = _one_index(text)

    def rep(m: re.Match) -> str:
        return (r" \hat{t}" if m.group(1).startswith(r"\hat") else " t") + "_" + m.group(2)

    out = _BOLD.sub(lambda m: m.group(1) or m.group(2), text)  # fonts carry no meaning here (x, d_i as the algorithm writes them)
    out = _IDEAL_D.sub(lambda _m: r"D_\theta(", out)  # a step evaluates the network: the ideal D of Eq. 1-3 is Alg. 1's D_θ
    notes = ["σ_i read as EDM's time point t_i (Karras et al. 2022, Table 1 and Alg. 1-2: σ(t) = t, so t_i = σ_i; "
             "k-diffusion and diffusers name the time points sigmas)"]
    eqs, anc = _ancestral(_split(out), rep)
    eqs, more = _step_size(eqs)
    eqs, heun = _heun(eqs)
    return _join(eqs), notes + anc + more + heun
