"""Ho & Salimans' λ-indexed notation (Ho & Salimans 2022, Sec. 2; Kingma & Gao 2023, Sec. 2), read in time indices.

The process is indexed by its log-SNR: z_λ = α_λ x + σ_λ ε with λ = log(α_λ²/σ_λ²), and a second, less noisy point is
λ' (q(z_λ' | z_λ, x) = N(μ̃_{λ'|λ}(z_λ, x), σ̃²_{λ'|λ} I) with μ̃_{λ'|λ} = e^{λ−λ'}(α_λ'/α_λ) z_λ + (1 − e^{λ−λ'}) α_λ' x).
λ is a strictly monotone reparametrisation of the time, so a cell written in it is the same statement in the time
indices of VDM (Kingma et al. 2021, Eq. 1-4): the index λ is the time t, λ' the time s, and a bare λ (λ') — an
exponent, a sigmoid's argument — is the log-SNR of that point, log SNR(t) = log(α_t²/σ_t²) (VDM, Eq. 2), written so
that no reader takes it for DPM-Solver's half log-SNR λ_t = log(α_t/σ_t). Algorithm 2 of the same
paper writes the schedule at the log-SNR of a time, α_{λ_t}, σ_{λ_t}: that is α_t, σ_t.

The reading applies only to a cell that writes some schedule or state with a λ index (α_λ, σ_λ, z_λ, x_λ, ε_λ,
possibly primed or λ_t) — the signature of this notation — and, for the bare λ, only where no other time index (t, s)
is written that the new indices would collide with. λ_min, λ_max (bounds) and λ(t) (a schedule function) are kept.
"""
from __future__ import annotations

import re

__all__ = ["hs_lambda_notation"]

_PRIME = r"(?:'|\^\s*\{?\s*\\prime\s*\}?)"
_LAM = r"\\lambda(?![a-zA-Z])"
_HOST = r"(?:(?<![A-Za-z\\])[xz]|\\(?:alpha|sigma|epsilon|varepsilon|mu)|\})"
#: a λ index on a state or schedule symbol: _λ, _{λ}, _{λ'}, _{λ_t}, _{λ'|λ}
_SIGNATURE = re.compile(_HOST + r"\s*\}?\s*_\s*(?:\{\s*" + _LAM + r"|" + _LAM + r")")
_SUB_LAMT = re.compile(r"_\s*\{\s*" + _LAM + r"\s*_\s*(?:\{\s*([a-z])\s*\}|([a-z]))\s*\}")
_SUB_PAIR = re.compile(r"_\s*\{\s*" + _LAM + r"\s*" + _PRIME + r"\s*(\||\\mid)\s*" + _LAM + r"\s*\}")
_SUB_PRIMED = re.compile(r"_\s*\{\s*" + _LAM + r"\s*" + _PRIME + r"\s*\}")
_SUB_PLAIN = re.compile(r"_\s*(?:\{\s*" + _LAM + r"\s*\}|" + _LAM + r")(?!\s*" + _PRIME + r")")
_BARE_PRIMED = re.compile(_LAM + r"\s*" + _PRIME)
_BARE = re.compile(_LAM + r"(?!\s*_)(?!\s*\()(?!\s*" + _PRIME + r")")
_OTHER_T = re.compile(r"_\s*(?:\{\s*[ts]\s*\}|[ts](?![A-Za-z]))")


def hs_lambda_notation(s: str) -> str:
    """The cell in time indices (module docstring), or as written where the notation's signature is absent."""
    if "\\lambda" not in s or not _SIGNATURE.search(s):
        return s
    s = _SUB_LAMT.sub(lambda m: "_{" + (m.group(1) or m.group(2)) + "}", s)  # α_{λ_t} is α_t
    if "\\lambda" not in s:
        return s
    if _OTHER_T.search(s):
        return s  # t or s already index something: leave it to the readers as written
    s = _SUB_PAIR.sub(lambda m: "_{s|t}", s)
    s = _SUB_PRIMED.sub("_{s}", s)
    s = _SUB_PLAIN.sub("_{t}", s)
    s = _BARE_PRIMED.sub(r"(\\log\\mathrm{SNR}(s))", s)
    return _BARE.sub(r"(\\log\\mathrm{SNR}(t))", s)
