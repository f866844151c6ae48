"""EDM's notation for the improved-DDPM discretisation (Karras et al. 2022, Table 1, "iDDPM" column and App. C.3.4).

Karras et al. index Nichol & Dhariwal's cosine schedule from the noisy end: j = 0, …, M with the clean end at j = M,
C_1 = 0.001 the clip of the per-step α (β ≤ 0.999) and C_2 = 0.008 the cosine offset s, and write

* ``ᾱ_j = sin²(π/2 · j/(M(C_2 + 1)))``: with t = M − j, T = M and s = C_2 this is cos²(π/2 · (t/T + s)/(1 + s)), the
  cosine schedule's f(t) (Nichol & Dhariwal 2021, Eq. 17) without the division by f(0); it is rewritten so and judged
  against the cosine schedule (:func:`iddpm_abar_text`);
* ``u_{j−1} = √((u_j² + 1)/max(ᾱ_{j−1}/ᾱ_j, C_1) − 1), u_M = 0``: the noise levels u_j of those ᾱ_j. A VP marginal
  with ᾱ has the EDM noise level σ = √(1/ᾱ − 1) (Karras et al. 2022, Eq. 11 / App. B.2), i.e. u² + 1 ∝ 1/ᾱ; so the
  recursion must map u_j = √(K/ᾱ_j − 1) to u_{j−1} = √(K/ᾱ_{j−1} − 1) for every normalisation K (u_M = 0 fixes
  K = ᾱ_M). :func:`judge_iddpm_sigmas` checks that at random points (the clip max(·, C_1) is read as its argument,
  defs_text.py), and reads ``u_M = 0`` as the recursion's start.
"""
from __future__ import annotations

import random
import re
from typing import Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["iddpm_abar_text", "judge_iddpm_sigmas"]

_ABAR_J = re.compile(r"^\s*\\(?:bar|overline)\s*\{?\s*\\alpha\s*\}?\s*_\s*(?:\{\s*j\s*\}|j)\s*=")
_C2 = re.compile(r"C\s*_\s*(?:\{\s*2\s*\}|2)")
_J = re.compile(r"(?<![\\a-zA-Z])j(?![a-zA-Z])")
_M = re.compile(r"(?<![\\a-zA-Z])M(?![a-zA-Z])")
_SOURCE = "Karras et al. 2022 (EDM), Table 1, iDDPM column"


def iddpm_abar_text(s: str) -> str:
    """``ᾱ_j = …`` in j, M and C_2 rewritten in Nichol & Dhariwal's t = M − j, T = M, s = C_2 (else ``s`` unchanged)."""
    m = _ABAR_J.match(s)
    if m is None:
        return s
    rhs = s[m.end():]
    if not _M.search(rhs) or not _J.search(rhs) or re.search(r"(?<![\\a-zA-Z])[tsT](?![a-zA-Z])", rhs):
        return s  # (t, s or T written too: another notation, left alone)
    rhs = _C2.sub(" s ", rhs)
    rhs = _J.sub("(T - t)", rhs)
    rhs = _M.sub("T", rhs)
    return r"\bar\alpha_t = " + rhs


_U = re.compile(r"^\s*u\s*_\s*(?:\{\s*(?P<a>j\s*-\s*1|M)\s*\}|(?P<b>M))\s*=\s*(?P<rhs>.*)$")


def judge_iddpm_sigmas(text: str) -> Optional[Verdict]:
    """``u_{j−1} = F(u_j, ᾱ_{j−1}, ᾱ_j)`` or ``u_M = c`` in EDM's iDDPM notation, or None."""
    m = _U.match(text)
    if m is None:
        return None
    which = (m.group("a") or m.group("b")).replace(" ", "")
    from .atoms import ParseError
    from .parse import parse

    try:
        p = parse(m.group("rhs"))
    except (ParseError, ValueError, RecursionError):
        return None
    if len(p.sides) != 1:
        return None
    rhs = p.sides[0]
    claim = "the noise levels u_j of EDM's iDDPM discretisation (" + _SOURCE + ")"
    if which == "M":
        if rhs.free_symbols:
            return None
        if rhs == 0:
            return Verdict(text, "exact", "the start of the recursion: j = M is the clean end, noise level 0", claim=claim)
        return Verdict(text, "inconsistent", f"u_M = {rhs}, but j = M is the clean end, where the noise level is 0",
                       claim=claim, terms=["rhs"])
    u0, a0, a1 = (sp.Symbol(n_, positive=True) for n_ in ("u0", "a0", "a1"))
    subs = {}
    for s_ in rhs.free_symbols:
        at = p.atoms.get(s_)
        if at is None or at.args is not None or at.sup:
            return None
        sub = at.sub.replace(" ", "")
        if at.base == "u" and not at.deco and sub == "j":
            subs[s_] = u0
        elif at.base == "α" and at.deco == "bar" and sub in ("j", "j-1"):
            subs[s_] = a0 if sub == "j" else a1
        else:
            return None
    if u0 not in subs.values():
        return None
    f = sp.lambdify((u0, a0, a1), rhs.xreplace(subs), modules=["mpmath"])
    rng = random.Random(13)
    worst = 0.0
    for _ in range(12):
        x0 = rng.uniform(0.2, 0.95)
        x1 = x0 * rng.uniform(0.05, 0.98)  # ᾱ_{j−1} < ᾱ_j: j − 1 is the noisier end
        k = rng.uniform(x0, 1.0) if rng.random() < 0.5 else x0  # K = ᾱ_M ≥ ᾱ_j (K = ᾱ_j: u_j = 0)
        want = (k / x1 - 1) ** 0.5
        try:
            got = complex(f((k / x0 - 1) ** 0.5, x0, x1))
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return Verdict(text, "ill-defined", "u_{j−1} cannot be evaluated at admissible values", claim=claim, terms=["rhs"])
        worst = max(worst, abs(got - want) / (1 + want))
    if worst < 1e-9:
        return Verdict(text, "exact", "the recursion maps the noise level of ᾱ_j, √(K/ᾱ_j − 1), to that of ᾱ_{j−1} "
                       "(u² + 1 ∝ 1/ᾱ; checked at 12 random points)", claim=claim)
    return Verdict(text, "inconsistent", "the recursion does not map the noise level of ᾱ_j, √(K/ᾱ_j − 1), to that of "
                   f"ᾱ_{{j−1}} (u² + 1 ∝ 1/ᾱ: u_{{j−1}}² + 1 = (u_j² + 1) ᾱ_j/ᾱ_{{j−1}}); relative deviation {worst:.2g}",
                   claim=claim, terms=["rhs"])
