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

__all__ = ["hs_lambda_notation", "latent_estimates", "guided_estimate_lhs"]

_PRIME = r"(?:'|\^\s*\{?\s*\\prime\s*\}?)"
_LAM = r"\\lambda(?![a-zA-Z])"
_HOST = r"(?:(?<![A-Za-z\\])[xz]|\\(?:alpha|sigma|epsilon|varepsilon|mu)|\})"
#: a λ index on a state or schedule symbol: _λ, _{λ}, _{λ'}, _{λ_t}, _{λ'|λ}
_SIGNATURE = re.compile(_HOST + r"\s*\}?\s*_\s*(?:\{\s*" + _LAM + r"|" + _LAM + r")")
#: the schedule and the state at the log-SNR of a time, α_{λ_t}, σ_{λ_{t+1}}, z_{λ_t} (not an integral's limit ∫_{λ_s})
_SUB_LAMT = re.compile(r"(\\(?:alpha|sigma)\s*\}?\s*|(?<![A-Za-z\\])[xz]\s*|\\(?:mathbf|boldsymbol|bm)\s*\{\s*[xz]\s*\}\s*)"
                       r"_\s*\{\s*" + _LAM + r"\s*_\s*(?:\{\s*([a-z](?:\s*[-+]\s*1)?)\s*\}|([a-z]))\s*\}")
_SUB_PAIR = re.compile(r"_\s*\{\s*" + _LAM + r"\s*" + _PRIME + r"\s*(\||\\mid)\s*" + _LAM + r"\s*\}")
_SUB_PAIR_FWD = re.compile(r"_\s*\{\s*" + _LAM + r"\s*(\||\\mid)\s*" + _LAM + r"\s*" + _PRIME + r"\s*\}")
_SUB_PRIMED = re.compile(r"_\s*\{\s*" + _LAM + r"\s*" + _PRIME + r"\s*\}")
_SUB_PLAIN = re.compile(r"_\s*(?:\{\s*" + _LAM + r"\s*\}|" + _LAM + r")(?!\s*" + _PRIME + r")")
_BARE_PRIMED = re.compile(_LAM + r"\s*" + _PRIME)
_BARE = re.compile(_LAM + r"(?!\s*_)(?!\s*\()(?!\s*" + _PRIME + r")")
_OTHER_T = re.compile(r"_\s*(?:\{\s*[ts]\s*\}|[ts](?![A-Za-z]))")


def hs_lambda_notation(s: str) -> str:
    """The cell in time indices (module docstring), or as written where the notation's signature is absent."""
    if "\\lambda" not in s or not _SIGNATURE.search(s):
        return latent_estimates(s)
    s = _SUB_LAMT.sub(lambda m: m.group(1) + "_{" + (m.group(2) or m.group(3)) + "}", s)  # α_{λ_t} is α_t
    if "\\lambda" not in s:
        return latent_estimates(s)
    if _OTHER_T.search(s):
        return latent_estimates(s)  # t or s already index something: leave it to the readers as written
    s = _SUB_PAIR.sub(lambda m: "_{s|t}", s)
    s = _SUB_PAIR_FWD.sub(lambda m: "_{t|s}", s)  # σ_{λ|λ'}: VDM's σ_{t|s} (Kingma et al. 2021, Eq. 4)
    s = _SUB_PRIMED.sub("_{s}", s)
    s = _SUB_PLAIN.sub("_{t}", s)
    s = _BARE_PRIMED.sub(r"(\\log\\mathrm{SNR}(s))", s)
    return latent_estimates(_BARE.sub(r"(\\log\\mathrm{SNR}(t))", s))


_XLHS = re.compile(r"^(\s*)\\(?:tilde|hat)\s*\{\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|x)\s*\}\s*_\s*(?:\{\s*([a-z])\s*\}|([a-z]))"
                   r"(?=\s*=)")
_ZT = r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*z\s*\}|(?<![A-Za-z\\])z)\s*_\s*(?:\{\s*%s\s*\}|%s(?![A-Za-z]))"
_EPS_EST = r"\\(?:tilde|hat)\s*\{?\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{?\s*)?\\(?:epsilon|varepsilon)\s*\}?\s*\}?(?:\s*_\s*(?:\{\s*%s\s*\}|%s(?![A-Za-z])))?"


def latent_estimates(s: str) -> str:
    """In the latent notation (state z_t, data x: Kingma et al. 2021; Ho & Salimans 2022, Alg. 2 x̃_t = (z_t −
    σ_{λ_t} ε̃_t)/α_{λ_t}), a decorated x with a time index on the left of an equation whose right side has the state
    z at that time and a decorated ε (the model's — possibly guided — noise estimate there) is the data estimate
    x̂_0 at that state, and the decorated ε is the model's ε̂; anything else is left as written."""
    m = _XLHS.match(s)
    if m is None:
        return guided_estimate_lhs(_update_from_estimates(s))
    lab = m.group(2) or m.group(3)
    rhs = s[m.end():]
    eps = re.compile(_EPS_EST % (lab, lab))
    if not re.search(_ZT % (lab, lab), rhs) or not eps.search(rhs):
        return s
    return m.group(1) + r"\hat{x}_0" + eps.sub(r"\\hat\\epsilon", rhs)


_ZLHS = re.compile(r"^\s*" + (_ZT % (r"[^{}]+", r"[a-z]")) + r"\s*=(?!=)")
_X_EST = (r"\\(?:tilde|hat)\s*\{\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|x)\s*\}\s*_\s*(?:\{\s*%s\s*\}|%s(?![A-Za-z]))")


def _update_from_estimates(s: str) -> str:
    """``z_s = α_s x̃_t + σ_s ε̃_t``: the next state from the data and noise estimates made at z_t (Ho & Salimans 2022,
    Alg. 2; DDIM's deterministic step in VDM's notation): the decorated x and ε at one time index are x̂_0 and ε̂."""
    m = _ZLHS.match(s)
    if m is None:
        return s
    rhs = s[m.end():]
    xs = set(re.findall(r"\\(?:tilde|hat)\s*\{\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|x)\s*\}\s*_\s*(?:\{\s*([a-z])\s*\}|([a-z])(?![A-Za-z]))", rhs))
    if len(xs) != 1:
        return s
    lab = next(iter(xs))
    lab = lab[0] or lab[1]
    eps = re.compile(_EPS_EST % (lab, lab))
    if not eps.search(rhs) or re.search(_ZT % (lab, lab), rhs):
        return s
    rhs = re.sub(_X_EST % (lab, lab), r"\\hat{x}_0", rhs)
    return s[:m.end()] + eps.sub(r"\\hat\\epsilon", rhs)


_EPS_LHS = re.compile(r"^\s*\\tilde\s*\{\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{?\s*)?\\(?:epsilon|varepsilon)\s*\}?\s*\}\s*_\s*(?:\{\s*[a-z]\s*\}|[a-z](?![A-Za-z]))\s*(?==)")
_EPS_CALL = re.compile(r"\\(?:epsilon|varepsilon)\s*\}?\s*_\s*(?:\{\s*\\theta\s*\}|\\theta)\s*(?:\\left)?\s*\(")


def guided_estimate_lhs(s: str) -> str:
    """``ε̃_t = (1 + w) ε_θ(z_t, c) − w ε_θ(z_t)`` (Ho & Salimans 2022, Alg. 2): ε̃_t names the guided estimate at the
    state the right side evaluates the network at, i.e. ε̃_θ(z_t, c) of their Eq. 6; the left side is written so."""
    m = _EPS_LHS.match(s)
    if m is None:
        return s
    from .applied import close_paren, split_args

    rhs = s[m.end():]
    for c in _EPS_CALL.finditer(rhs):
        j = close_paren(rhs, c.end() - 1)
        if j < 0:
            return s
        args = split_args(rhs[c.end():j])
        if len(args) == 2:
            return r"\tilde{\epsilon}_\theta(" + ", ".join(a_.strip() for a_ in args) + ") " + rhs
    return s
