"""z as the state: the latent notation of books that keep x for the data.

Kingma et al. 2021 (VDM, Sec. 2), Bishop & Bishop 2024 (*Deep Learning*, Ch. 20: q(z_t | z_{t−1}) = N(z_t | √(1 − β_t)
z_{t−1}, β_t I), Eq. 20.2-20.4) and Prince 2023 (*Understanding Deep Learning*, Ch. 18) write the diffusion chain's
states z_1 … z_T and the data x, with ε the noise; elsewhere z is a noise sample (Ho et al. 2020, Alg. 2). Rule: a formula
that writes z with a step index (z_t, z_{t−1}, z_1, z_T) and no x with an index or argument, and that writes another
noise (ε) or no noise at all, is in the latent notation: z_k is the state x_k and a bare x is the data x_0. Applied as a
second reading where the first one could not place the formula (so it never changes a verdict the usual reading gives).
"""
from __future__ import annotations

import re
from typing import Optional

__all__ = ["z_as_state", "bare_x_as_data", "dz_as_state"]

_FONT = r"\\(?:mathbf|boldsymbol|bm|vec|mathit)\s*\{\s*{L}\s*\}"
_Z = re.compile(r"(?:" + _FONT.replace("{L}", "z") + r"|(?<![\\A-Za-z])z(?![A-Za-z]))")
_X = re.compile(r"(?:" + _FONT.replace("{L}", "x") + r"|(?<![\\A-Za-z])x(?![A-Za-z]))")
_INDEX = re.compile(r"^\s*(?:_\s*(?:\{\s*[tsTkn](?:\s*[-+]\s*1)?\s*\}|[tsTkn0-9])|\^\s*\{\s*\(\s*\\?[a-z]+\s*(?:[-+]\s*1)?\s*\)\s*\})")


def z_as_state(eq: str) -> Optional[str]:
    """``eq`` with z_k written as x_k and a bare x as x_0 (module docstring), or None when the rule does not apply."""
    zs = [m for m in _Z.finditer(eq)]
    if not zs or not any(_INDEX.match(eq[m.end():]) for m in zs):
        return None
    for m in zs:
        if not _INDEX.match(eq[m.end():]) and not re.search(r"\\nabla\s*_\s*\{?\s*$", eq[:m.start()]):
            return None  # a bare z beside the indexed ones is a noise sample (Ho et al. 2020, Alg. 2)
    for m in _X.finditer(eq):
        if re.match(r"\s*[_^(\[]", eq[m.end():]):
            return None  # x_t, x(t), x^{(i)}: x is a state already
    if re.search(r"\\(?:tilde|hat|bar)\s*\{?\s*(?:\\mathbf\s*\{\s*)?z", eq):
        return None
    for m in re.finditer(r"\\nabla\s*_\s*(\{(?:[^{}]|\{[^{}]*\})*\}|\\?[a-zA-Z])", eq):
        wrt = re.sub(r"\\(?:mathbf|boldsymbol|bm)|[{}\s]", "", m.group(1))
        if not re.fullmatch(r"z(?:_.*)?|\(\w\)z.*", wrt) and not re.fullmatch(r"z(?:\^\(.*\))?", wrt):
            return None  # a gradient in another variable (∇_y log q(z_t)): not this notation's score
    out = _X.sub(lambda m: m.group(0) + "_0", eq)
    return _Z.sub(lambda m: m.group(0).replace("z", "x"), out)


_CURRENT = re.compile(r"^\s*(?:" + _FONT.replace("{L}", "x") + r"|x)\s*_\s*(?:\{\s*t\s*\}|t)\s*=(?!=)")


def bare_x_as_data(eq: str) -> Optional[str]:
    """``x_t = a x + b z`` with the bare x read as the data x_0, or None. In a formula whose left side is the state at
    the current time x_t, a bare x on the right cannot be x_t itself: it is the data, as VDM writes q(z_t | x) =
    N(α_t x, σ_t² I) (Kingma et al. 2021, Eq. 1) and consistency models x_t = x + t z (Song et al. 2023, Sec. 2)."""
    m = _CURRENT.match(eq)
    if m is None:
        return None
    rhs = eq[m.end():]
    bare = [b for b in _X.finditer(rhs) if not re.match(r"\s*\}?\s*[_^(\[']", rhs[b.end():])]
    if not bare or len(bare) != len(list(_X.finditer(rhs))):
        return None  # no bare x, or an indexed x beside it (x_0, x_s): the bare one is not the only state
    return eq[:m.end()] + _X.sub(lambda b: b.group(0) + "_0", rhs)


_DZ = re.compile(r"^\s*(?:\\frac\s*\{\s*)?(?:\\mathrm\s*\{\s*d\s*\}|\\operatorname\s*\{\s*d\s*\}|d)\s*(?:"
                 + _FONT.replace("{L}", "z") + r"|z(?![A-Za-z]))")


def dz_as_state(eq: str) -> Optional[str]:
    """``dz = f z dt + g dw`` with z written x, or None. The left side of a differential equation is its state: VDM
    and LSGM write the diffusion of a latent z (Kingma et al. 2021, App. A; Vahdat et al. 2021, Eq. 1), and z there is
    never a noise sample. Only where the formula writes no x at all."""
    if _DZ.match(eq) is None or _X.search(eq):
        return None
    return _Z.sub(lambda m: m.group(0).replace("z", "x"), eq)


_WEIGHTS = re.compile(r"^(?:w|W|φ|ϕ|θ|phi|varphi|theta)(?:_\{?[a-zA-Z0-9]*\}?)?$")


def book_noise_network(at) -> bool:
    """g(z_t, w, t) (Bishop & Bishop 2024, Eq. 20.29-20.33) and g_t[z_t, φ_t] (Prince 2023, Eq. 18.33-18.39): in these
    books the network that predicts the noise ε is g, written with the state and its weights (w, φ) among its
    arguments -- never the diffusion coefficient g(t), whose only argument is the time."""
    if at is None or at.base != "g" or at.deco or at.sup or not at.args or len(at.args) < 2:
        return False
    args = [re.sub(r"\\(?:mathbf|boldsymbol|bm)|[{} \\]", "", a_) for a_ in at.args]
    args = [a_.replace("varphi", "φ").replace("phi", "φ").replace("theta", "θ") for a_ in args]
    state = any(re.match(r"^[xz](?:_|\(|$)", a_) for a_ in args)
    return state and any(_WEIGHTS.match(a_) for a_ in args)


def book_network_call(head: str, parts) -> "list | None":
    """The inputs of a written call ``g(x̃, w, t)`` / ``g_t(x̃, φ_t)`` that :func:`book_noise_network` reads as the noise
    network (its weights dropped), or None when the call is not one (``head`` is the name without its subscript)."""
    from .atoms import Atom

    name = re.sub(r"\\(?:mathbf|boldsymbol|bm)|[{} ]", "", head)
    if name != "g" or len(parts) < 2:
        return None
    clean = [re.sub(r"\\(?:mathbf|boldsymbol|bm)|[{} \\]", "", p_).replace("varphi", "φ").replace("phi", "φ")
             .replace("theta", "θ") for p_ in parts]
    weights = [i for i, a_ in enumerate(clean) if _WEIGHTS.match(a_)]
    if not weights or len(weights) == len(parts):
        return None
    return [p_ for i, p_ in enumerate(parts) if i not in weights]
