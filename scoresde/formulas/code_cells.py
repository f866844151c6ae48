"""A cell of code statements (``beta_t = …; drift = …; diffusion = …``) read as the mathematics it computes.

* Statements run in order (Python semantics): a name assigned once and used by a later statement of the cell is an
  intermediate, substituted (parenthesised) into the statements after it and not judged on its own.
* The names the official score_sde code gives the pieces of an SDE are those pieces: ``drift`` is f(x, t) and
  ``diffusion`` is g(t) (``SDE.sde`` returns ``drift, diffusion``, Song et al. 2021, Eq. 5); ``dx_dt`` is dx/dt.
  ``beta_0``, ``beta_1`` are β_min, β_max (``VPSDE.__init__`` stores ``self.beta_0 = beta_min``,
  ``self.beta_1 = beta_max``; DPM-Solver's code does the same).
* Broadcasting (``[:, None, None, None]``) and ``zeros_like(x)`` carry no mathematics: a per-sample scalar and 0.
Only cells whose every statement is plain code (no LaTeX) are touched.
"""
from __future__ import annotations

import re
from typing import List, Tuple

from .tokens import looks_plain, plain_to_latex

__all__ = ["inline_code"]

_ASSIGN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*(.+)$", re.S)
_BROADCAST = re.compile(r"\[\s*(?:\.\.\.|:)\s*(?:,\s*(?:None|:|\.\.\.)\s*)+\]")
_ZEROS = re.compile(r"\b(?:torch\.|np\.|numpy\.)?zeros_like\s*\([^()]*\)")
_PIECES = {"drift": "f(x, t)", "diffusion": "g(t)", "dx_dt": "dx/dt"}
_CODE_NAMES = {"beta_0": "beta_min", "beta_1": "beta_max"}


def _clean(expr: str) -> str:
    expr = _BROADCAST.sub("", expr)
    expr = _ZEROS.sub("0", expr)
    expr = re.sub(r"(?<![\w.])(\d+)\.(?![\d\w])", r"\1", expr)  # Python's float literal 1. is 1
    for a_, b_ in _CODE_NAMES.items():
        expr = re.sub(rf"\b{a_}\b", b_, expr)
    return expr.strip()


def inline_code(eqs: List[str]) -> Tuple[List[str], List[str]]:
    """(the cell's statements with intermediates substituted and SDE pieces named, notes); other cells unchanged."""
    if not eqs or any("\\" in e or not _ASSIGN.match(e) for e in eqs):
        return eqs, []
    if not (len(eqs) > 1 or _ASSIGN.match(eqs[0]).group(1) in _PIECES) or not any(looks_plain(e) for e in eqs):
        return eqs, []
    stmts = [(m.group(1), _clean(m.group(2))) for m in (_ASSIGN.match(e) for e in eqs)]
    names = [n for n, _ in stmts]
    notes: List[str] = []
    out: List[Tuple[str, str]] = []
    for k, (name, body) in enumerate(stmts):
        if name == "dt" and re.fullmatch(r"-?\s*\(?\s*[\w.]+\s*/\s*\w+\s*\)?", body):
            # the time step of the code's uniform grid (Song et al. 2021's code: dt = −1/N, negative in reverse time)
            body = "(-DELTAT)" if body.startswith("-") else "DELTAT"
            notes.append("dt read as the (signed) time step Δt of the code's grid")
        later = [j for j in range(k + 1, len(stmts)) if re.search(rf"\b{re.escape(name)}\b", stmts[j][1])]
        if later and names.count(name) == 1:
            for j in later:
                stmts[j] = (stmts[j][0], re.sub(rf"\b{re.escape(name)}\b(?!\s*\()", lambda _m: f"({body})", stmts[j][1]))
            notes.append(f"the code's intermediate {name} is substituted into the statements that use it")
            continue
        out.append((name, body))
    kept = [n for n, _ in out]
    if kept.count("mean") == 1 and kept.count("std") == 1:
        # score_sde's SDE.marginal_prob(x, t) returns the mean and std of p_0t(x(t) | x(0) = x) (Song et al. 2021,
        # Eq. 29): one perturbation kernel x(t) = mean + std·z, its input x being x(0)
        mean, std = (dict(out)[k] for k in ("mean", "std"))
        mean = re.sub(r"\bx\b(?!\s*\()", "x_0", mean)
        out = [(n, b) for n, b in out if n not in ("mean", "std")] + [("x(t)", f"{mean} + ({std}) * z")]
        notes.append("mean and std read as the perturbation kernel x(t) = mean + std·z of x(0) = x (score_sde's marginal_prob)")
    grid = any(re.search(r"\b[xt]_next\b", n + " " + b) for n, b in out)
    res = []
    for name, body in out:
        if name in _PIECES:
            notes.append(f"{name} read as {_PIECES[name]} (score_sde's SDE.sde)" if name != "dx_dt" else "dx_dt read as dx/dt")
        stmt = f"{_PIECES.get(name, name)} = {body}"
        if grid:  # x, t and x_next, t_next: the points i and i + 1 of a sampler's grid (EDM's code, Alg. 1)
            stmt = re.sub(r"\b([xt])_next\b", lambda m_: m_.group(1).upper() + "NEXT", stmt)
            stmt = re.sub(r"\b([xt])\b(?!\s*\()", lambda m_: m_.group(1).upper() + "CUR", stmt)
            stmt = re.sub(r"\bD\s*\(", "DTHETA(", plain_to_latex(stmt))
            for k_, v_ in (("XNEXT", "x_{i+1}"), ("TNEXT", "t_{i+1}"), ("XCUR", "x_i"), ("TCUR", "t_i"), ("DTHETA", r"D_\theta")):
                stmt = stmt.replace(r"\text{" + k_ + "}", v_).replace(k_, v_)
            notes.append("x, t and x_next, t_next read as the grid points x_i, t_i and x_{i+1}, t_{i+1}")
        if "DELTAT" in stmt:  # written in LaTeX here: the placeholder of Δt has no plain-code spelling
            stmt = plain_to_latex(stmt).replace(r"\text{DELTAT}", r"\Delta t")
        res.append(stmt)
    return res, list(dict.fromkeys(notes))
