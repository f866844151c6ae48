"""Euler–Maruyama updates written as assignments with a signed time step (Song 2021, blog, 'How to solve the reverse
SDE': Δx ← [f(x, t) − g²(t) s_θ(x, t)] Δt + g(t) √|Δt| z_t, x ← x + Δx, t ← t + Δt, with Δt < 0).

* the increment ``Δx = A`` (alone, or followed by ``x = x + Δx``) and the in-place update ``x = x + A`` are the
  step x_{t+Δt} = x_t + A of the state (Kloeden & Platen 1992, Eq. 9.1.1); the time update t ← t + Δt is dropped
  by :mod:`~scoresde.formulas.normalize` (a range/prose rule);
* a ``|Δt|`` in the step says that Δt is signed: with a score in the drift (a reverse-time SDE) time runs backward,
  Δt = −h with h = |Δt| > 0, and the step is x_{t−h} = x_t + A(Δt = −h), the registry's reverse Euler–Maruyama step;
  otherwise |Δt| = Δt.
The reading is said in the notes; anything else is returned unchanged.
"""
from __future__ import annotations

import re
from typing import List, Tuple

__all__ = ["signed_step", "step_letter"]

_X = r"(\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|x)"
_INC = re.compile(r"^\s*\\Delta\s*" + _X + r"\s*=(?!=)\s*(?P<a>.+?)\s*$", re.S)
_ADD = re.compile(r"^\s*" + _X + r"\s*=(?!=)\s*" + _X + r"\s*\+\s*(?P<a>.+?)\s*$", re.S)
_ABS_DT = re.compile(r"\|\s*\\Delta\s*t\s*\|")
_DT = re.compile(r"\\Delta\s*t(?![a-zA-Z])")
_SCORE = re.compile(r"s\s*\}?\s*_\s*\{?\s*\\theta|\\nabla|\\epsilon\s*_\s*\{?\s*\\theta")


def _same(a: str, b: str) -> bool:
    return re.sub(r"\s|\\(?:mathbf|boldsymbol|bm)|[{}]", "", a) == re.sub(r"\s|\\(?:mathbf|boldsymbol|bm)|[{}]", "", b)


def signed_step(text: str) -> Tuple[str, List[str]]:
    """(the update as x_{t±Δt} = x_t + …, notes), or (text, []) when ``text`` is not such an update."""
    parts = [q.strip().rstrip(",;").strip() for q in re.split(r"\\quad(?![a-zA-Z])", text) if q.strip()]
    body = x = None
    m = _INC.match(parts[0]) if parts else None
    if m and len(parts) == 1:
        x, body = m.group(1), m.group("a")
    elif m and len(parts) == 2:
        m2 = _ADD.match(parts[1])
        if m2 and _same(m2.group(1), m.group(1)) and _same(m2.group(2), m.group(1)) and _same(m2.group("a"), r"\Delta " + m.group(1)):
            x, body = m.group(1), m.group("a")
    elif len(parts) == 1:
        m2 = _ADD.match(parts[0])
        if m2 and _same(m2.group(1), m2.group(2)) and _DT.search(m2.group("a")):
            x, body = m2.group(1), m2.group("a")
    if body is None or not _DT.search(body):
        return text, []
    notes = [f"the update of {x} read as the step x_{{t+Δt}} = x_t + … (an Euler–Maruyama step written as an assignment)"]
    lhs = "t+\\Delta t"
    if _ABS_DT.search(body) and _SCORE.search(body):
        body = _DT.sub(r"(-\\Delta t)", _ABS_DT.sub("HSTEP", body)).replace("HSTEP", r"\Delta t")
        lhs = "t-\\Delta t"
        notes.append("|Δt| marks a signed time step; with the score in the drift time runs backward (Δt < 0): read with "
                     "h = |Δt| as the step from t to t − h")
    elif _ABS_DT.search(body):
        body = _ABS_DT.sub(r"\\Delta t", body)
    return f"{x}_{{{lhs}}} = {x}_t + \\left({body}\\right)", notes


#: x_{t − h}, \mathbf{x}_{t+h}, x(t + h): the state at a time offset by a one-letter step
_OFFSET = re.compile(r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|(?<![A-Za-z\\])x)\s*(?:_\s*\{|\()\s*t\s*[-+]\s*"
                     r"(?P<h>h|\\delta)\s*[})]")


def step_letter(text: str) -> Tuple[str, List[str]]:
    """A one-letter step in the time index of the state, x_{t−h} (Jolicoeur-Martineau et al. 2021, Alg. 1; Kloeden &
    Platen 1992 write h for the step of Eq. 9.1.1), is the time step Δt > 0 of the registry's Euler–Maruyama steps:
    written as Δt throughout the cell, and said so."""
    m = _OFFSET.search(text)
    if m is None or "\\Delta" in text:
        return text, []
    letter = m.group("h")
    pat = re.escape(letter) + r"(?![A-Za-z])" if letter.startswith("\\") else r"(?<![A-Za-z\\])h(?![A-Za-z])"
    return re.sub(pat, r"\\Delta t", text), [f"{letter} in the state's time index x_{{t±{letter}}} read as the time step Δt"]


def time_subscript_coefficients(p, syms) -> bool:
    """f_t(x_t) and g_t in a step with a time step Δt are the SDE's f(x_t, t) and g(t): Su Jianlin writes the SDE's
    coefficients with the time as a subscript (生成扩散模型漫谈（五）, dx = f_t(x)dt + g_t dw, and its discretisation
    x_{t+Δt} − x_t = f_t(x_t)Δt + g_t√Δt ε), where the subscript is the continuous time, not a step index (Song et
    al. 2021, App. E's f_i, G_i carry no Δt). The atoms are re-read in place; returns whether any was."""
    from .atoms import Atom

    steps = [s_ for s_ in syms if s_ in p.atoms and p.atoms[s_].base == "h" and not p.atoms[s_].sub
             and p.atoms[s_].args is None and not p.atoms[s_].deco]
    if steps and any(s_ in p.atoms and re.fullmatch(r"t\s*[+-]\s*h", p.atoms[s_].sub or "") for s_ in p.atoms):
        # X_{t+h} = X_t + h u_t(X_t) + √h σ_t ε_t (Holderrieth & Erives 2025, MIT 6.S184, Alg. 2): h is the time step
        for s_ in steps:
            p.atoms[s_] = Atom("Δt")
    if not any(s_ in p.atoms and p.atoms[s_].base in ("Δt", "Δ") for s_ in syms):
        return False
    done = False
    # the vector field u_t(x) of the flow-matching notation is the SDE's drift, and beside it σ_t is the diffusion
    # coefficient (dX_t = u_t(X_t) dt + σ_t dW_t, Holderrieth & Erives 2025, Sec. 2; Lipman et al. 2023 write u_t)
    field = [s_ for s_ in syms if s_ in p.atoms and p.atoms[s_].base == "u" and p.atoms[s_].sub == "t"
             and p.atoms[s_].args is not None and len(p.atoms[s_].args) == 1 and not p.atoms[s_].deco]
    for s_ in field:
        p.atoms[s_] = Atom("f", args=(p.atoms[s_].args[0], "t"))
        done = True
    for s_ in syms if field else ():
        at = p.atoms.get(s_)
        if at is not None and at.base == "σ" and at.sub == "t" and at.args is None and not at.deco and not at.sup:
            p.atoms[s_] = Atom("g", args=("t",))
    for s_ in syms:
        at = p.atoms.get(s_)
        if at is None or at.deco or at.sup or at.sub != "t":
            continue
        if at.base == "g" and at.args is None:
            p.atoms[s_] = Atom("g", args=("t",))
            done = True
        elif at.base == "f" and at.args is not None and len(at.args) == 1 and at.args[0].strip().startswith("x"):
            p.atoms[s_] = Atom("f", args=(at.args[0], "t"))
            done = True
    return done
