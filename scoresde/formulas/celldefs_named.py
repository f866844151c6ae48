"""A schedule quantity defined in the same cell as the update that uses it, substituted into that update.

``x_{t−1} = … + √β̃_t z, \\quad β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) β_t`` (Ho et al. 2020, Alg. 2 with Eq. 7 beside it): the
cell states one update whose noise is the written definition, so the update is judged with the definition written
out (a wrong definition is a wrong variance of the update) and the definition is not judged on its own. Only a
schedule symbol (β, α, σ, γ, λ, with a decoration and subscript as written) defined by a body free of states, and
used with the same subscript on the right of an update (a state or mean on its left), is substituted.

The same holds for a Gaussian kernel whose coefficients are named by their role and defined beside it
(``q(x_t | x_0) = N(x_t; γ_t x_0, σ_t² I), \\quad γ_t = e^{−½∫β}, \\quad σ_t² = 1 − e^{−∫β}``, the CVPR 2022
tutorial's and Särkkä & Solin's way of writing the VP kernel, Song et al. 2021, Eq. 29): the kernel is judged with the
definitions written out, whatever letters name them. A definition of a square (``σ_t^2 = body``) replaces σ_t² by the
body and σ_t by its square root.
"""
from __future__ import annotations

import re
from typing import List, Tuple

__all__ = ["inline_named_quantities"]

_LHS = re.compile(r"^\s*(?P<name>(?:\\(?:tilde|bar|hat)\s*\{?\s*)?\\(?:beta|alpha|sigma|gamma|lambda)\s*\}?\s*"
                  r"(?:_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?)(?P<sq>\s*\^\s*\{?\s*2\s*\}?)?\s*(?::=|=)(?!=)\s*(?P<body>.+)$", re.S)
#: a kernel's coefficient named by its role: any Greek letter or a Latin letter other than the states, times and
#: densities, with a subscript (γ_t, m_t, s_t, k_t), defined beside the kernel
_ROLE_LHS = re.compile(r"^\s*(?P<name>(?:\\(?:[a-zA-Z]+)|[abcekmrsuv])\s*_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))"
                       r"(?P<sq>\s*\^\s*\{?\s*2\s*\}?)?\s*(?::=|=)(?!=)\s*(?P<body>.+)$", re.S)
_NOT_ROLE = {"epsilon", "varepsilon", "mathbf", "boldsymbol", "bm", "mathrm", "mathcal", "nabla", "log", "exp", "bar",
             "tilde", "hat", "frac", "sqrt", "int", "sum", "prod", "Sigma"}
#: a differential equation's left side, dx or dx/dt (the ODE of Murphy 2023, Eq. 25.62 with σ_t defined beside it)
_DIFF_EQ = re.compile(r"^\s*(?:\\frac\s*\{\s*)?(?:\\mathrm\s*\{\s*d\s*\}|d)\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{?\s*)?x(?![A-Za-z])")
_KERNEL = re.compile(r"^\s*[pq]\s*(?:_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?\s*(?:\\left)?\s*\(.*=\s*\\mathcal\s*\{?\s*N\b", re.S)
_UPDATE = re.compile(r"^\s*(?:\\(?:mathbf|boldsymbol|bm|tilde|hat)\s*\{?\s*)*\\?(?:x|z|mu)(?![A-Za-z])|^\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*)?[xz]\s*\}?\s*_")
_STATE = re.compile(r"(?<![A-Za-z\\])[xz](?![A-Za-z])")


_NAME = re.compile(r"^(?:\\(?P<deco>tilde|bar|hat)\s*\{?\s*)?(?:\\(?P<base>[A-Za-z]+)|(?P<latin>[A-Za-z]))\s*\}?\s*(?:_\s*(?:\{(?P<sub>[^{}]*)\}|(?P<sub1>[A-Za-z0-9])))?$")


def _pattern(name: str) -> "re.Pattern[str]":
    """``name`` as written or with the other bracing of its decoration and subscript, and nothing more of a name."""
    m = _NAME.match(name)
    base = r"\\" + m.group("base") if m.group("base") else r"(?<![A-Za-z\\])" + m.group("latin")
    head = (r"\\" + m.group("deco") + r"\s*(?:\{\s*" + base + r"\s*\}|" + base + ")") if m.group("deco") else base
    sub = (m.group("sub") or m.group("sub1") or "").replace(" ", "")
    if sub:
        inner = r"\s*".join(re.escape(c) for c in sub)
        tail = r"\s*_\s*(?:\{\s*" + inner + r"\s*\}" + (("|" + re.escape(sub)) if len(sub) == 1 else "") + ")"
    else:
        tail = r"(?!\s*_)"
    return re.compile(head + tail + r"(?![A-Za-z0-9])")


def inline_named_quantities(eqs: List[str]) -> Tuple[List[str], List[str]]:
    """(equations with the cell's schedule definitions substituted into its updates, notes)."""
    if len(eqs) < 2:
        return eqs, []
    kernel = any(_KERNEL.match(eq) for eq in eqs)
    defs = {}
    for k, eq in enumerate(eqs):
        m = _LHS.match(eq)
        if m is None and kernel:
            m = _ROLE_LHS.match(eq)
            if m and m.group("name").lstrip("\\").split("_")[0].strip() in _NOT_ROLE:
                m = None
        if m and not _STATE.search(m.group("body")) and "=" not in m.group("body"):
            defs[k] = (m.group("name").strip(), m.group("body").strip(), bool(m.group("sq")))
    if not defs:
        return eqs, []
    out, notes, used = list(eqs), [], set()
    for k, (name, body, square) in defs.items():
        pat = _pattern(name)
        for j, eq in enumerate(out):
            chained = j in defs and j not in used and _defines_with(defs[j], name, defs[k])
            if j == k or (j in defs and not chained) or "=" not in eq or not (
                    chained or _UPDATE.match(eq) or _KERNEL.match(eq) or _DIFF_EQ.match(eq)):
                continue
            lhs, _, rhs = eq.partition("=")
            rhs2 = _substitute_shifted(rhs, name, body, square)
            if pat.search(rhs2) is None and rhs2 == rhs:
                continue
            if square:  # σ_t² = body: σ_t² is the body, σ_t its square root
                rhs2 = re.sub(pat.pattern + r"\s*\^\s*(?:\{\s*2\s*\}|2)", lambda _m: r"\left(" + body + r"\right)", rhs2)
                rhs2 = pat.sub(lambda _m: r"\sqrt{" + body + "}", rhs2)
            else:
                rhs2 = pat.sub(lambda _m: r"\left(" + body + r"\right)", rhs2)
            out[j] = lhs + "=" + rhs2
            used.add(k)
            notes.append(f"{name} is defined in the same formula and was substituted into the "
                         + ("definition of " + defs[j][0] if chained else "kernel" if _KERNEL.match(eq)
                            else "differential equation" if _DIFF_EQ.match(eq) else "update"))
    return [e for k, e in enumerate(out) if k not in used], list(dict.fromkeys(notes))


def _defines_with(outer, name: str, inner) -> bool:
    """Whether the definition ``outer`` uses ``name`` (at its own or a shifted index) and ``inner`` does not use
    ``outer``'s name: a chain of definitions (Wikipedia's σ̃_t := σ_{t−1}/σ_t √β_t with σ_t = √(1 − ᾱ_t) beside it)."""
    if re.search(r"\\(?:alpha|beta)", name):
        return False  # ᾱ_t, β_t, α_t: the chain's own symbols, which the registry reads (β_t = 1 − ᾱ_t/ᾱ_{t−1} stays exact)
    uses = _pattern(name).search(outer[1]) or _substitute_shifted(outer[1], name, inner[1], inner[2]) != outer[1]
    return bool(uses) and _pattern(outer[0]).search(inner[1]) is None


def _substitute_shifted(rhs: str, name: str, body: str, square: bool) -> str:
    """``rhs`` with ``name`` at a shifted index (σ_{t−1} for a definition of σ_t) replaced by the body at that index: a
    definition in the step index t holds at every index (Ho et al. 2020 define α_t, ᾱ_t, σ_t for all t)."""
    m = _NAME.match(name)
    letter = m.group("sub") or m.group("sub1") if m else None
    if not m or not letter or not re.fullmatch(r"[a-z]", letter.strip()):
        return rhs
    letter = letter.strip()
    head = _pattern(name).pattern.split(r"\s*_")[0]
    shifted = re.compile(head + r"\s*_\s*\{\s*" + letter + r"\s*(?P<op>[+-])\s*(?P<n>\d+)\s*\}(?P<sq>\s*\^\s*(?:\{\s*2\s*\}|2))?")

    def at(mm: "re.Match[str]") -> str:
        idx = f"{letter}{mm.group('op')}{mm.group('n')}"
        b = re.sub(r"_\s*(?:\{\s*" + letter + r"\s*\}|" + letter + r"(?![A-Za-z0-9]))", "_{\x00}", body)  # a placeholder: the index in it is not shifted twice
        b = re.sub(r"(?<![A-Za-z\\])" + letter + r"(?![A-Za-z])", "(" + idx + ")", b)  # the index as a number: t/T
        b = b.replace("\x00", idx)
        if square:
            return r"\left(" + b + r"\right)" if mm.group("sq") else r"\sqrt{" + b + "}"
        return (r"\left(" + b + r"\right)") + (mm.group("sq") or "")
    return shifted.sub(at, rhs)
