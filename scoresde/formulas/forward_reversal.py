"""The time-reversed SDE written in forward time (Haussmann & Pardoux 1986, Thm. 2.1; Anderson 1982, Eq. 5.3;
Huang et al. 2021, Eq. 3): for dX_t = f(X_t, t) dt + g(t) dW_t on [0, T], the reversal Y_s = X_{T−s} solves

    dY_s = [−f(Y_s, T − s) + g(T − s)² ∇ log p_{T−s}(Y_s)] ds + g(T − s) dB_s,

with B a Brownian motion of the reversed filtration. Under t = T − s this is Song et al.'s reverse-time SDE
(2021, Eq. 6): the increment dY_s is the state's increment dx over the step dt = −ds < 0, and dB_s is the
reverse-time Brownian motion dw̄. So ``dY_s = A ds + G dB_s`` is read as ``dx = A·(−dt) + G dw̄`` and judged as the
reverse SDE (a sign error of f or of the score is a drift error, a wrong g a diffusion error).

The reading applies only where the formula is one: its left side is the differential of a state with the time letter
u as subscript, the right side has the differential du, a second process's differential dB_u, and every other
occurrence of u is inside T − u. Any letters for the state, the Brownian motion and the time are accepted.
"""
from __future__ import annotations

import re
from typing import List, Tuple

__all__ = ["forward_time_reversal", "NOTE"]

NOTE = ("read as the reverse-time SDE: Y_s = X_{T−s} is the time reversal written in forward time s "
        "(Haussmann & Pardoux 1986, Thm. 2.1; Anderson 1982; Huang et al. 2021, Eq. 3): with t = T − s, "
        "ds = −dt and dB_s is the reverse-time Brownian motion dw̄ (Song et al. 2021, Eq. 6)")

_DECO = r"(?:mathbf|boldsymbol|bm|bar|hat|tilde|overline|overleftarrow|check|mathrm)"
_LETTER = r"(?:\\" + _DECO + r"\s*\{\s*[A-Za-z]\s*\}|\\(?:bar|hat|tilde|check)\s*[A-Za-z](?![A-Za-z])|[A-Za-z])"
_SUB = r"\s*_\s*(?:\{\s*(?P<u>[a-z])\s*\}|(?P<u2>[a-z])(?![A-Za-z]))"
_LHS = re.compile(r"^\s*(?<![A-Za-z\\])d\s*(?P<state>" + _LETTER + r")" + _SUB + r"\s*=(?!=)(?P<rhs>.+)$", re.S)


def _letter_of(token: str) -> str:
    return re.sub(r"\\[A-Za-z]+|[{}\s]", "", token)


def _rewrite(part: str) -> str:
    m = _LHS.match(part)
    if not m:
        return part
    u = m.group("u") or m.group("u2")
    state, rhs = m.group("state"), m.group("rhs")
    letter = _letter_of(state)
    if not letter or letter.lower() == u:
        return part
    tu = re.compile(r"T\s*[-−]\s*" + u + r"(?![A-Za-z])")
    if not tu.search(rhs):
        return part  # no T − u: not a time reversal
    sub = r"\s*_\s*(?:\{\s*" + u + r"\s*\}|" + u + r"(?![A-Za-z]))"
    # the state, wherever it is written with the time subscript
    deco = re.match(r"\\([A-Za-z]+)", state)
    st = re.compile((r"\\" + deco.group(1) + r"\s*\{?\s*" + letter + r"\s*\}?" if deco else r"(?<![A-Za-z\\{])" + letter) + sub)
    rhs = tu.sub(" @T@ ", rhs)
    noise = re.compile(r"(?<![A-Za-z\\])d\s*(?P<b>" + _LETTER + r")" + sub)
    found = [q for q in noise.finditer(rhs) if _letter_of(q.group("b")) != letter]
    if len(found) != 1:
        return part
    q = found[0]
    rhs = rhs[:q.start()] + r" d\bar{w}_@t@ " + rhs[q.end():]
    rhs = st.sub(" @X@ ", rhs)
    ds = re.compile(r"(?<![A-Za-z\\])d\s*" + u + r"(?![A-Za-z_{])")
    if not ds.search(rhs):
        return part
    rhs = ds.sub(r" (-d@t@) ", rhs)
    low = letter.lower()
    rhs = re.sub(r"\\nabla\s*_\s*(?:\{\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*" + low + r"\s*\}|" + low + r")\s*\}|"
                 r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*" + low + r"\s*\}|" + low + r"(?![A-Za-z])))",
                 r"\\nabla_{x}", rhs)
    if re.search(r"(?<![A-Za-z\\@])" + u + r"(?![A-Za-z@])", rhs) or re.search(r"(?<![A-Za-z\\@])" + letter + r"(?![A-Za-z@])", rhs):
        return part  # the time (or the state) appears otherwise than as T − u (Y_u): not this reading
    rhs = rhs.replace("@T@", "t").replace("@t@", "t").replace("@X@", "x_t")
    return " dx_t = " + rhs


def forward_time_reversal(text: str) -> Tuple[str, List[str]]:
    """(text with each forward-time reversal ``dY_s = … ds + … dB_s`` rewritten as the reverse SDE in t = T − s,
    notes); (text, []) when there is none."""
    if "T" not in text or "=" not in text:
        return text, []
    parts = re.split(r"(\\quad(?![A-Za-z])|\\qquad(?![A-Za-z]))", text)
    out = [p_ if i % 2 else _rewrite(p_) for i, p_ in enumerate(parts)]
    new = "".join(out)
    return (new, [NOTE]) if new != text else (text, [])
