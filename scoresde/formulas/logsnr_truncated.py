"""The cosine log-SNR schedule truncated to [λ_min, λ_max] (Ho & Salimans 2022, Sec. 2 and App.; Kingma & Gao 2023).

The cosine schedule α_u = cos(πu/2), σ_u = sin(πu/2) has λ(u) = log(α²/σ²) = −2 log tan(πu/2) (Nichol & Dhariwal 2021;
Kingma & Gao 2023, Sec. 2), which runs from +∞ to −∞. Ho & Salimans (2022) keep its shape and truncate it:
λ(u) = −2 log tan(a u + b), u ∈ [0, 1], with b = arctan(e^{−λ_max/2}) and a = arctan(e^{−λ_min/2}) − b, so that
λ(0) = λ_max and λ(1) = λ_min. A cell that writes λ in this shape (with its constants defined beside it, in any
letters, or inline) is checked on what defines it:

* the shape: arctan(e^{−λ(u)/2}) is affine in u (the argument of the tangent), i.e. λ = −2 log tan(A u + B);
* the ends: λ(0) = λ_max and λ(1) = λ_min (checked at λ_max ∈ (5, 20), λ_min ∈ (−20, −5)).

Both hold: exact. The shape holds but an end is wrong (a, b swapped, λ_min for λ_max): inconsistent (``rhs``). Another
shape is left to the other readers. Only cells that name λ_min or λ_max are read here (the plain cosine λ is
logsnr_schedule.py's).
"""
from __future__ import annotations

import random
import re
from typing import Dict, List, Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["truncated_cosine_logsnr"]

_SRC = "Ho & Salimans 2022 (classifier-free guidance), Sec. 2 and App. (truncated cosine log-SNR schedule)"


def truncated_cosine_logsnr(eqs: List[str]) -> Optional[Verdict]:
    """The verdict of a truncated cosine λ schedule cell (module docstring), or None."""
    joined = " ".join(eqs)
    if "\\lambda" not in joined or not re.search(r"\\lambda\s*_\s*\{?\s*\\?(?:min|max)", joined) or "tan" not in joined:
        return None
    from .atoms import ParseError
    from .parse import parse

    try:
        ps = [parse(e) for e in eqs]
    except (ParseError, RecursionError, ValueError, TypeError):
        return None
    main, consts = None, {}
    for p in ps:
        if len(p.sides) != 2 or not isinstance(p.sides[0], sp.Symbol):
            return None
        at = p.atoms.get(p.sides[0])
        if at is None:
            return None
        if at.base == "λ" and not at.deco and at.sub in ("", "t", "u") and (at.args in (None, ("t",), ("u",))):
            if main is not None:
                return None
            main = p
        elif len(at.base) == 1 and at.base.isalpha() and not at.sub and at.args is None:
            consts[p.sides[0].name] = p.sides[1]
        else:
            return None
    if main is None:
        return None
    f = main.sides[1]
    for _ in range(3):  # constants defined through each other (a = arctan(…) − b)
        f = f.xreplace({s_: consts[s_.name] for s_ in f.free_symbols if s_.name in consts})
    names: Dict[str, sp.Symbol] = {s_.name: s_ for s_ in f.free_symbols}
    lmax, lmin = names.pop("λ_{max}", None), names.pop("λ_{min}", None)
    if lmax is None or lmin is None or len(names) != 1:
        return None
    u = next(iter(names.values()))
    g = lambda x_, vals: sp.atan(sp.exp(-f.xreplace(vals).subs(u, x_) / 2))  # noqa: E731
    rng = random.Random(11)
    ends_ok, shape_ok = True, True
    for _ in range(3):
        vals = {lmax: sp.Float(rng.uniform(5, 20), 30), lmin: sp.Float(rng.uniform(-20, -5), 30)}
        try:
            g0, g1 = complex(sp.N(g(0, vals), 30)), complex(sp.N(g(1, vals), 30))
            for x_ in (0.17, 0.5, 0.83):
                gx = complex(sp.N(g(sp.Float(x_, 30), vals), 30))
                shape_ok &= abs(gx - (g0 + (g1 - g0) * x_)) < 1e-12
            f0 = complex(sp.N(f.xreplace(vals).subs(u, 0), 30))
            f1 = complex(sp.N(f.xreplace(vals).subs(u, 1), 30))
        except (TypeError, ValueError, ArithmeticError):
            return None
        ends_ok &= abs(f0 - complex(vals[lmax])) < 1e-9 and abs(f1 - complex(vals[lmin])) < 1e-9
    if not shape_ok:
        return None
    text = ", \\quad ".join(eqs)
    claim = "truncated cosine log-SNR schedule λ(u) = −2 log tan(a u + b)"
    if ends_ok:
        return Verdict(text, "exact", f"identical to the {claim}: the cosine shape (arctan e^{{−λ/2}} affine in {u}) with "
                       f"λ(0) = λ_max and λ(1) = λ_min ({_SRC})", claim=claim, target="logsnr.truncated_cosine")
    return Verdict(text, "inconsistent", f"the cosine shape, but its ends are not λ(0) = λ_max and λ(1) = λ_min "
                   f"(found λ(0) = {sp.simplify(f.subs(u, 0))}, λ(1) = {sp.simplify(f.subs(u, 1))}; {_SRC})", claim=claim,
                   target="logsnr.truncated_cosine", terms=["rhs"])
