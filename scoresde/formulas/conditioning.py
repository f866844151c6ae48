"""A density's conditioning against what its mean uses: q(x_t | x_{t−1}) = N(x_t; √ᾱ_t x_0, …) is wrong as written.

The left side of ``q(x_t | x_{t−1}) = N(…)`` (Ho et al. 2020, Eq. 2), ``q(x_t | x_0) = N(…)`` (Eq. 4) or
``q(x_{t−1} | x_t, x_0) = N(…)`` (Eq. 6; DDIM's q_σ, Eq. 7) says which states the density may depend on. A mean
that uses a state the density is not conditioned on (the marginal's √ᾱ_t x_0 under q(x_t | x_{t−1}), the
transition's √(1 − β_t) x_{t−1} under q(x_t | x_0)) is a right formula with the wrong label, a classic slip:
``inconsistent``, naming that state's term. Only indexed states (x_t, x_{t−1}, x_0) are compared; other forms
(x(t) | x(0), x̃ | x) are left as read.
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

import sympy as sp

from . import canon as C
from .atoms import Parsed

__all__ = ["given_states", "misconditioned", "misconditioned_text", "off_condition"]

_STATES = (C.x_prev, C.x_cur, C.x0)
_NAMES = {C.x_prev: "x_{k−1}", C.x_cur: "x_k", C.x0: "x_0"}


def given_states(p: Parsed, cl) -> Optional[set]:
    """The canonical states a density ``q(a | b, c) = N(…)`` is conditioned on (x_prev, x_cur, x_0), or None."""
    from .claim import _atom_from_text

    if cl is None or cl.kind != "step" or not p.sides:
        return None
    lhs = p.sides[0]
    at = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if at is None or at.base not in ("q", "p") or not at.args or "|" not in at.args:
        return None
    given_txt = [a_ for a_ in at.args[at.args.index("|") + 1:] if a_.strip()]
    if not given_txt or not all(re.fullmatch(r"[xX]_[A-Za-z0-9+\-]+", g.replace(" ", "")) for g in given_txt):
        return None
    given = set()
    for g in given_txt:
        try:
            val = C.resolve(_atom_from_text(g), cl.reading.copy())
        except Exception:
            return None
        if val not in _STATES:
            return None
        given.add(val)
    return given


def off_condition(p: Parsed, cl, entry) -> bool:
    """Whether a registry step's mean uses a state the claim's density is not conditioned on (q(x_t | x_{t−1}) is
    compared with the transition, not with the marginal q(x_t | x_0) that uses x_0)."""
    given = given_states(p, cl)
    return given is not None and any(k in _STATES and k not in given for k in (entry.mean or {}))


def misconditioned(p: Parsed, cl) -> Optional[Tuple[str, str]]:
    """(reason, term) when the mean of a Gaussian density uses a state the density is not conditioned on."""
    from .compare import term_of_basis

    given = given_states(p, cl)
    if given is None:
        return None
    at = p.atoms[p.sides[0]]
    given_txt = [a_ for a_ in at.args[at.args.index("|") + 1:] if a_.strip()]
    used = [k for k in _STATES if k in cl.mean]
    extra = [k for k in used if k not in given]
    if not extra:
        return None
    names = ", ".join(p.atoms[cl.raw_basis[k]].name if cl.raw_basis.get(k) in p.atoms else _NAMES[k] for k in extra)
    left = ", ".join(a_ for a_ in at.args[:at.args.index("|")])
    dens = f"{at.base}{'_' + at.sub if at.sub else ''}({left} | {', '.join(given_txt)})"
    return (f"the density {dens} is conditioned on {', '.join(given_txt)}, but its mean uses {names} "
            "(a right formula under the wrong label, or a wrong mean)"), term_of_basis(extra[0], cl)


_CMD_ARG = re.compile(r"\\(?:mathbf|boldsymbol|bm|mathrm|vec|pmb)\s*\{([^{}]*)\}")
_DENSITY_TEXT = re.compile(r"^\s*[pq](?:_\{?[^(){}]*\}?)?\s*\((?P<left>[^|]*?)(?:\\mid|\|)(?P<given>.*?)\)\s*=\s*"
                           r"\\mathcal\s*\{?\s*N\s*\}?\s*(?:\\left|\\big|\\Big)?\s*\((?P<body>.*)\)\s*$")
_STATE_TOKEN = re.compile(r"(?<![A-Za-z\\])([xz])(_[A-Za-z0-9+\-|']+)?(?![A-Za-z])")


def _states(text: str) -> set:
    """The state tokens x, x_0, z_t, z_{t-1}, … of a LaTeX fragment (fonts and commands removed)."""
    t = _CMD_ARG.sub(r"\1", text)
    t = re.sub(r"\\[a-zA-Z]+", " ", t).replace("{", "").replace("}", "")
    return {m.group(1) + (m.group(2) or "") for m in _STATE_TOKEN.finditer(t)}


def misconditioned_text(eq: str) -> Optional[Tuple[str, str]]:
    """The same check on the text of ``q(a | b) = N(a; mean, cov)``, for readers that do not keep the density's
    conditioning (the multi-time reader): (reason, term) when the mean uses a state that is not given."""
    m = _DENSITY_TEXT.match(eq)
    if not m:
        return None
    body = m.group("body")
    if ";" not in body:
        return None
    mean = body.split(";", 1)[1]
    depth, cut = 0, len(mean)
    for i, ch in enumerate(mean):  # the mean ends at the first top-level comma
        depth += ch in "({["
        depth -= ch in ")}]"
        if ch == "," and depth == 0:
            cut = i
            break
    given, used = _states(m.group("given")), _states(mean[:cut])
    extra = sorted(used - given)
    if not given or not extra:
        return None
    data = any(s_ in ("x", "x_0", "z_0") for s_ in extra)
    return (f"the density is conditioned on {', '.join(sorted(given))}, but its mean uses {', '.join(extra)} "
            "(a right formula under the wrong label, or a wrong mean)"), "mean.x0" if data else "mean.x"
