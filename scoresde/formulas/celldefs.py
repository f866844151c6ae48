"""Functions defined in the same cell, substituted where the cell uses them.

``ᾱ_t = f(t)/f(0), \\quad f(t) = \\cos(…)^2`` (Nichol & Dhariwal 2021, Eq. 17), or a general SDE with its drift and
diffusion given beside it (``dx = f(x, t) dt + g(t) dw, \\quad f(x, t) = …, \\quad g(t) = …``): the definition
``f(t) = body`` (a one-letter name with one-letter parameters) is substituted into the cell's other equations
(``f(0)`` is the body with t = 0) and is not judged on its own. Densities p, q, the differential d and N(·) are
never such definitions.
"""
from __future__ import annotations

import re
from typing import Dict, List, Sequence, Tuple

from .applied import close_paren, split_args
from .celldefs_named import inline_named_quantities
from .code_words import code_temporaries
from .kernel_named_mean import inline_kernel_mean

__all__ = ["inline_definitions", "inline_intermediates"]


_DEF = re.compile(r"^\s*([A-Za-z])\s*\(\s*([A-Za-z](?:\s*,\s*[A-Za-z])*)\s*\)\s*(?::=|=)(?!=)\s*(.+)$", re.S)
_TOK = re.compile(r"\\[a-zA-Z]+|\\.|[A-Za-z]|[^A-Za-z\\]")


def _subst_vars(body: str, params: Sequence[str], args: Sequence[str]) -> str:
    """Replace the parameter letters of ``body`` (standalone letters, not parts of commands) by the arguments."""
    # a parameter called with itself (f(x, t) used as f(x, t)) is left as written: t also sits in dt, d/dt
    table = {q: a_.strip() for q, a_ in zip(params, args) if a_.strip().replace(" ", "") != q}
    if not table:
        return body
    out: List[str] = []
    toks = _TOK.findall(body)
    for k, tok in enumerate(toks):
        if tok in table:
            prev = toks[k - 1] if k else ""
            arg = table[tok]
            single = re.fullmatch(r"[A-Za-z0-9.]+|\\[A-Za-z]+", arg) is not None
            out.append("{" + arg + "}" if prev == "_" else (arg if single and not arg.startswith("-") else "(" + arg + ")"))
        else:
            out.append(tok)
    return "".join(out)


def _call_rx(name: str) -> "re.Pattern[str]":
    """``name(`` as written, also in a font (\\mathbf{f}(, \\boldsymbol{f}\\left()."""
    return re.compile(r"(?:\\(?:mathbf|boldsymbol|bm|mathrm|mathit)\s*\{\s*" + name + r"\s*\}|(?<![A-Za-z\\])" + name
                      + r")\s*(?:\\left)?\s*\(")


def _uses(text: str, name: str) -> bool:
    return _call_rx(name).search(text) is not None


def _expand_calls(text: str, name: str, params: Sequence[str], body: str) -> str:
    pat = _call_rx(name)
    out, pos = [], 0
    while True:
        m = pat.search(text, pos)
        if m is None:
            break
        i = m.end() - 1
        j = close_paren(text, i)
        if j < 0:
            break
        inner = text[i + 1:j]
        if inner.rstrip().endswith("\\right"):
            inner = inner.rstrip()[:-len("\\right")]
        args = split_args(inner)
        if len(args) != len(params):
            out.append(text[pos:j + 1])
            pos = j + 1
            continue
        out.append(text[pos:m.start()] + "\\left(" + _subst_vars(body, params, args) + "\\right)")
        pos = j + 1
    out.append(text[pos:])
    return "".join(out)


#: ``s = 0.008`` beside the formula that uses s (Nichol & Dhariwal 2021, Sec. 3.2): a constant's value. Plain
#: lower-case letters only: the index and count letters (t, i, n, k, N, T, L) keep their own readings.
_CONST = re.compile(r"^\s*([a-hj-mo-su-z])\s*=\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$")


def _constants(eqs: List[str]) -> Tuple[List[str], List[str]]:
    """A constant's value given in the cell substituted into the equations that use the letter (its value is then
    judged with the formula: a published value is recognised, any other is not)."""
    consts = {k: m.groups() for k, eq in enumerate(eqs) if (m := _CONST.match(eq))}
    if not consts or len(consts) == len(eqs):
        return eqs, []
    rest = [e for k, e in enumerate(eqs) if k not in consts]
    out, notes = [], []
    for k, (name, val) in consts.items():
        if not any(name in _TOK.findall(e) for e in rest):
            out.append(eqs[k])  # used by no other equation: judged on its own
            continue
        notes.append(f"{name} = {val} is given in the same formula and was substituted")
        rest = [_subst_vars(e, [name], [val]) for e in rest]
    return rest + out, notes


#: ``dz(t)/dt = f(z(t), t)``: an ODE whose right side is one call of a one-letter function and nothing else
_ODE_DEF = re.compile(r"^\s*\\frac\s*\{\s*d\s*(?P<v>[^{}=]*(?:\{[^{}]*\}[^{}=]*)*)\}\s*\{\s*d\s*t\s*\}\s*=\s*"
                      r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*)?(?P<f>[A-Za-z])\s*\}?\s*(?:\\left)?\s*\((?P<a>.*)\)\s*$", re.S)


def _ode_definitions(eqs: List[str]) -> Tuple[List[str], List[str]]:
    """``dz/dt = f(z(t), t)`` beside an equation about f (Chen et al. 2018: the ODE and its log-density): the ODE
    names the vector field f, it states nothing to check; it is dropped with a note."""
    out, notes = [], []
    for k, eq in enumerate(eqs):
        m = _ODE_DEF.match(eq)
        f = m.group("f") if m else ""
        if m and f not in "pqdN" and m.group("v").strip() and any(f in _TOK.findall(e) for j, e in enumerate(eqs) if j != k):
            notes.append(f"d{m.group('v').strip()}/dt = {f}(…) names the vector field {f} of the other equation")
            continue
        out.append(eq)
    return out, notes


def inline_definitions(eqs: List[str]) -> Tuple[List[str], List[str]]:
    eqs, tnotes = code_temporaries(eqs)  # x_mean = …; x = x_mean + …: statements of code run in order
    eqs, onotes = _ode_definitions(eqs) if len(eqs) > 1 else (eqs, [])
    eqs, cnotes = _constants(eqs)
    out, notes = _inline_functions(eqs)
    out, nnotes = inline_named_quantities(out)  # β̃_t = … beside the update that uses it
    out, knotes = inline_kernel_mean(out)  # N(μ̃(z_t, x), …) with μ̃ = … beside it (kernel_named_mean.py)
    return out, tnotes + onotes + cnotes + notes + nnotes + knotes


def _inline_functions(eqs: List[str]) -> Tuple[List[str], List[str]]:
    """(equations with the cell's own function definitions substituted and the used definitions removed, notes).

    A definition is ``f(t) = body`` with a one-letter name and one-letter parameters, used as ``f(…)`` by another
    equation of the same cell; one that no other equation uses is left to be judged as it is."""
    if len(eqs) < 2:
        return eqs, []
    defs: Dict[int, Tuple[str, List[str], str]] = {}
    eqs = [_square_definition(eq) for eq in eqs]
    for k, eq in enumerate(eqs):
        m = _DEF.match(eq)
        if m and m.group(1) not in "pqdN":  # densities p, q (the score reads ∇ log p), the differential d, N(·)
            defs[k] = (m.group(1), [q.strip() for q in m.group(2).split(",")], m.group(3).strip())
    if not defs:
        return eqs, []
    used = {k for k, (name, _, _) in defs.items() if any(_uses(e, name) for j, e in enumerate(eqs) if j != k and j not in defs)}
    if not used:
        return eqs, []
    out, notes = [], []
    for j, eq in enumerate(eqs):
        if j in used:
            continue
        for k in used:
            name, params, body = defs[k]
            if _uses(eq, name):
                eq = _expand_calls(eq, name, params, body)
                notes.append(f"{name}({', '.join(params)}) is defined in the same formula and was substituted")
        out.append(eq)
    return out, list(dict.fromkeys(notes))


_SQUARE_DEF = re.compile(r"^\s*([A-Za-z])\s*(?:\^\s*\{?\s*2\s*\}?\s*(\([^()]*\))|(\([^()]*\))\s*\^\s*\{?\s*2\s*\}?)"
                         r"\s*(?::=|=)(?!=)\s*(.+)$", re.S)


def _square_definition(eq: str) -> str:
    """``g^2(t) = E`` or ``g(t)^2 = E`` (DPM-Solver's g²(t) = dσ_t²/dt − 2 d log α_t/dt σ_t², Lu et al. 2022a, Eq. 2.3):
    the definition of g(t) = √E, the non-negative root a diffusion coefficient is; anything else unchanged."""
    m = _SQUARE_DEF.match(eq)
    if not m:
        return eq
    return f"{m.group(1)}{m.group(2) or m.group(3)} = \\sqrt{{{m.group(4).strip()}}}"


_PRIMED = re.compile(r"^\s*(?P<lhs>(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*)?[xz]\s*\}?\s*(?:'|\^\s*\{?\s*\\prime\s*\}?)?\s*"
                     r"(?:_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?\s*(?:'|\^\s*\{?\s*\\prime\s*\}?)?)\s*=(?!=)\s*(?P<body>.+)$", re.S)


def _squash(text: str) -> str:
    return re.sub(r"\s+|\\[,;:! ]", "", text)


def inline_intermediates(eqs: List[str]) -> Tuple[List[str], List[str]]:
    """(equations with a primed intermediate state substituted, notes): ``x'_i = A, \\quad x_i = x'_i + B`` (a
    predictor then its noise, Song et al. 2021, Alg. 2-3 written as a pair) is the one update ``x_i = (A) + B``. Only a
    primed state (x', x^\\prime) that exactly one other equation uses is substituted; everything else is left as it is."""
    if len(eqs) < 2:
        return eqs, []
    out, notes, used = list(eqs), [], set()
    for k, eq in enumerate(eqs):
        m = _PRIMED.match(eq)
        if m is None or not re.search(r"'|\\prime", m.group("lhs")):
            continue
        name = _squash(m.group("lhs"))
        users = [j for j, e in enumerate(eqs) if j != k and name in _squash(e.split("=", 1)[-1])]
        if len(users) != 1:
            continue
        j = users[0]
        lhs_j, _, rhs_j = out[j].partition("=")
        pos = _squash(rhs_j).find(name)
        # rebuild the right side with the intermediate replaced (on the squashed text: spacing carries no meaning)
        sq = _squash(rhs_j)
        out[j] = lhs_j + "= " + sq[:pos] + r"\left(" + m.group("body").strip() + r"\right)" + sq[pos + len(name):]
        used.add(k)
        notes.append(f"the intermediate {m.group('lhs').strip()} is substituted into the next update (one step)")
    return [e for k, e in enumerate(out) if k not in used], notes
