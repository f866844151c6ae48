"""More ways to read a parsed formula as a claim (hooks of :func:`scoresde.formulas.classify.read_claim`).

General reading rules, each stated for what it reads, never for one formula:

* a Gaussian at the end of the process is a prior: ``p_T(x) = N(x; 0, v I)``, ``p(x_T) = N(x_T; 0, I)``,
  ``x_T ~ N(0, I)`` are the prior log-density ``log p_T(x) = −d/2 log(2π v) − ‖x − μ‖²/(2v)`` (Song et al. 2021,
  Sec. 3.4; Ho et al. 2020, Sec. 2), judged against the registry's priors;
* a piece of an SDE as its own equation (:mod:`scoresde.formulas.families.sde_parts`): the drift ``f(x, t) = …``, the
  diffusion ``g(t) = …`` (judged through g², as SDEs are) or ``g(t)^2 = …``, the probability-flow drift
  ``\\tilde f_\\theta(x, t) = …`` (Song et al. 2021, Sec. 3.4, Eq. 13); a cell ``f = …, \\quad g = …`` is judged piece by piece;
* ``d log p_t(x(t))/dt = …`` is the log-density along the probability-flow ODE (Chen et al. 2018, Thm. 1);
* an equation whose left side is not a single named quantity determines the one quantity that only its left
  side holds: it is solved for it (a linear solve), e.g. ``x_{i+1} − x_i = …`` or ``x_{t−Δt}/√α_{t−Δt} = …``.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional

import sympy as sp

from . import canon as C
from .atoms import DDT, DT, DW, DWBAR, DX, NORMAL, Atom, Parsed
from .claim import Claim, NotUnderstood, _family, _resolve_expr

__all__ = ["read_logp_ode", "read_prior", "read_sde_part", "solve_for_unknown"]

_END = re.compile(r"^(T|N|\(T\))$")
#: the density's own subscript naming the end of the process: p_T, p_N, p_{σ_max} (Song & Ermon 2019, Sec. 4.2)
_END_DENSITY = re.compile(r"^(T|N|σ_?\{?max\}?)$")


def _at_end(at: Optional[Atom]) -> bool:
    """x_T, x(T), x_N: the state at the end of the forward process; x(1), the end of Song et al.'s t ∈ [0, 1]
    (2021, Sec. 3.4 and App. C take T = 1; a subscript 1 is the first step of a chain, not the end)."""
    if at is None or not C.is_state(at):
        return False
    if at.sub and _END.match(at.sub):
        return True
    return at.args is not None and len(at.args) == 1 and bool(_END.match(at.args[0]) or at.args[0].strip() == "1")


def _latent_at_end(at: Optional[Atom]) -> bool:
    """z_1, z_T as the variable of a density: VDM's latent at the end of t ∈ [0, 1], whose prior is p(z_1) =
    N(z_1; 0, I) (Kingma et al. 2021, Sec. 2-3; there z_t is the state, not a noise sample)."""
    return at is not None and at.base == "z" and at.sub in ("1", "T") and not at.deco and at.args is None


def _first_sample(p: Parsed, lat: Optional[Atom], mean: sp.Expr, cov: sp.Expr) -> bool:
    """``x_0 ~ N(0, t_0² I)``: a zero-mean Gaussian whose variance is a noise level (t or σ) with the state's own
    index, the sampling loop's first step (EDM's descending times t_0 > t_1 > … > t_N = 0)."""
    if lat is None or not C.is_state(lat) or not lat.sub or mean != 0:
        return False
    lev = [p.atoms[s_] for s_ in cov.free_symbols if s_ in p.atoms and p.atoms[s_].base not in ("I",)]
    return bool(lev) and all(_level_at(a, lat.sub) for a in lev) and any(a.base != "s" for a in lev)


def _level_at(a: Atom, sub: str) -> bool:
    """t_0, σ_0, or σ(t_0), s(t_0): a noise level (or EDM's scale s, Karras et al. 2022, Alg. 1 line 1) at step ``sub``."""
    if a.deco:
        return False
    if a.args is None:
        return a.base in ("t", "σ") and a.sub == sub
    return a.base in ("σ", "s") and not a.sub and len(a.args) == 1 and a.args[0].replace(" ", "").strip("{}") in (
        f"t_{sub}", f"t_{{{sub}}}")


def _var_atom(txt: str) -> Optional[Atom]:
    from .claim import _atom_from_text

    try:
        return _atom_from_text(txt)
    except Exception:
        return None


def read_prior(p: Parsed, lhs: sp.Expr, nrm: sp.Expr) -> Optional[List[Claim]]:
    """The prior's density as a Gaussian (module docstring), or None if the formula is not about the prior."""
    y, mean, cov = nrm.args
    lat = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    start = False
    if p.relation == "~":
        start = _first_sample(p, lat, mean, cov)
        if not (_at_end(lat) or start):
            return None
    else:
        if lat is None or lat.base not in ("p", "q", "π") or not lat.args or "|" in lat.args:
            return None
        var = p.atoms.get(y) if y in p.atoms else _var_atom(lat.args[0])
        if not (lat.base == "π" or _END_DENSITY.match(lat.sub.replace(" ", "")) or _at_end(var) or _at_end(_var_atom(lat.args[0]))
                or _latent_at_end(_var_atom(lat.args[0]))):
            # a Gaussian marginal of the state at another time, without what it is conditioned on: not a kernel
            raise NotUnderstood(f"{lat.name} = N(…): a marginal density that is not the prior and has no conditioning "
                                "variable (write q(x_t | x_0) for a kernel)")
    syms = mean.free_symbols | cov.free_symbols
    fam = _family(p, syms)
    r = C.Reading("function", fam if fam != "generic" else "vp", "ddpm", "t", 0)
    if start:
        # x_0 ~ N(0, t_0² I) (Karras et al. 2022, Alg. 1-2, line 1): the index counts sampling steps, so the first
        # sample is drawn at the first, largest noise level t_0 = σ(t_0) = σ_max
        cov = cov.xreplace({s_: C.sigma_max for s_ in cov.free_symbols if s_ in p.atoms and p.atoms[s_].sub == lat.sub
                            or s_ in p.atoms and p.atoms[s_].base == "σ" and p.atoms[s_].args is not None})
        if any(s_ in p.atoms and p.atoms[s_].base == "s" for s_ in cov.free_symbols):
            # σ²(t_0) s²(t_0) (Karras et al. 2022, Alg. 1): the VE prior's σ_max with EDM's own scale s(t) = 1 (Table 1)
            cov = cov.xreplace({s_: 1 for s_ in cov.free_symbols if s_ in p.atoms and p.atoms[s_].base == "s"})
            r_note = "s(t_0) read as 1, EDM's own scale (Karras et al. 2022, Table 1), the VE prior's"
        else:
            r_note = ""
        r = C.Reading("function", "ve", "ddpm", "t", 0)
        r.note(f"{lat.name} read as the first sample of the sampling loop, at its largest noise level "
               f"({lat.name}'s index counts sampling steps: {lat.sub} is the start, σ_max)")
        if r_note:
            r.note(r_note)
    cov = cov.xreplace({s_: 1 for s_ in cov.free_symbols if s_ in p.atoms and p.atoms[s_].base == "I"})
    mean_c = _resolve_expr(mean, p, r)
    var_c = _resolve_expr(cov, p, r)
    norm2 = C.NORM_X2 if mean_c == 0 else sp.Symbol("‖x − μ‖²", nonnegative=True)
    rhs = -C.dim / 2 * sp.log(2 * sp.pi * var_c) - norm2 / (2 * var_c)
    cl = Claim("scalar", r, lhs="logp_T", rhs=sp.expand_log(rhs, force=True), parsed=p, mean={C.x: mean_c}, var=var_c)
    cl.read_as = "prior N(mean, cov) at t = T, as its log-density"
    if mean_c != 0:
        r.note("the prior's mean is not 0")
    return [cl]


def _side_atoms(expr: sp.Expr, p: Parsed) -> Dict[sp.Symbol, Atom]:
    return {s_: p.atoms[s_] for s_ in expr.free_symbols if s_ in p.atoms}


def _peel(lhs: sp.Expr, rhs: sp.Expr, p: Parsed):
    """log u = r, e^u = r, u^q = r with u one named quantity that is not a density (log p_T(x) = … is a log-density
    claim of its own): (u, the inverse applied to r), or None."""
    for _ in range(3):
        if isinstance(lhs, sp.log):
            lhs, rhs = lhs.args[0], sp.exp(rhs)
        elif isinstance(lhs, sp.exp):
            lhs, rhs = lhs.args[0], sp.log(rhs)
        elif isinstance(lhs, sp.Pow) and lhs.exp.is_Rational and lhs.exp != 0 and isinstance(lhs.base, sp.Symbol):
            lhs, rhs = lhs.base, rhs ** (1 / lhs.exp)
        else:
            break
        if isinstance(lhs, sp.Symbol):
            at = p.atoms.get(lhs)
            if at is None or at.base in ("p", "q", "π") or C.is_state(at) or lhs in rhs.free_symbols:
                return None
            return lhs, sp.expand_log(rhs, force=True)
    return None


def solve_for_unknown(p: Parsed) -> Optional[Parsed]:
    """The equation solved for the one quantity its left side determines (module docstring), or None.

    The unknown is the one state (else the one symbol) that the left side holds and the right side does not; the
    equation must be linear in it with a coefficient free of it. The result is ``unknown = solution``.
    """
    if len(p.sides) != 2 or p.relation != "=":
        return None
    lhs, rhs = p.sides
    if isinstance(lhs, sp.Symbol) or lhs.has(DX, DT, DW, DWBAR, NORMAL, DDT):
        return None
    peeled = _peel(lhs, rhs, p)
    if peeled is not None:
        return Parsed(p.text, list(peeled), p.atoms, p.relation, list(p.issues))
    left, right = _side_atoms(lhs, p), _side_atoms(rhs, p)
    only = [s_ for s_ in left if s_ not in right]
    states = [s_ for s_ in only if C.is_state(left[s_])]
    if states and len(only) > len(states):
        # D(x; σ) − x = σ²∇log p (Karras et al. 2022, Eq. 3 rearranged): the state is the argument of the model output
        # beside it, which is the quantity the left side determines
        args = {a.replace(" ", "") for at in p.atoms.values() if at.args for a in at.args}
        bare = [s_ for s_ in states if left[s_].name.replace(" ", "") in args or left[s_].base in args]
        if len(bare) == len(states):
            states = []
            only = [s_ for s_ in only if s_ not in bare]
    if len(states) > 1:
        # x_{t+Δt} − x_t = f(x_t) Δt + …, x_t/ᾱ_t − x_{t−1}/ᾱ_{t−1} = (…) ε_θ(x_t, t): a state the right side evaluates a
        # function at (the drift, the model) is known there, so the left side determines the other one
        args = {a.replace(" ", "") for s_, at in p.atoms.items() if at.args and s_ in rhs.free_symbols for a in at.args}
        free = [s_ for s_ in states if left[s_].name.replace(" ", "") not in args]
        states = free if len(free) == 1 else states
    if len(states) > 1:
        # x_t − √ᾱ_t x_0 = √(1 − ᾱ_t) ε (Ho et al. 2020, Eq. 4 rearranged): beside the data x_0 the left side determines
        # the state the chain produces
        produced = [s_ for s_ in states if not (left[s_].sub == "0" or left[s_].args == ("0",) or left[s_].deco)]
        states = produced if len(produced) == 1 else states
    cands = states if states else only
    if len(cands) != 1:
        return None
    u = cands[0]
    eq = sp.expand(lhs - rhs)
    coef = eq.coeff(u)
    if coef == 0 or coef.has(u) or sp.expand(eq - coef * u).has(u):
        return None
    sol = sp.expand(-(eq - coef * u) / coef)
    out = Parsed(p.text, [u, sol], p.atoms, p.relation, list(p.issues))
    return out


def _part_key(p: Parsed, lhs: sp.Expr):
    """(registry key, power to raise the right side to) of a left side that names a piece of an SDE, or None."""
    power = 1
    if isinstance(lhs, sp.Pow) and lhs.exp == 2:
        lhs, power = lhs.base, 2
    at = p.atoms.get(lhs) if isinstance(lhs, sp.Symbol) else None
    if at is None or at.sup:
        return None
    x_first = at.args is not None and len(at.args) == 2 and at.args[0].strip().startswith("x") and at.args[1].strip() == "t"
    if at.base == "f" and not at.deco and not at.sub and x_first and power == 1:
        return "drift|forward", 1
    if at.base == "f" and at.deco == "tilde" and at.sub in ("", "θ") and x_first and power == 1:
        return "drift|pf", 1
    if at.base == "g" and not at.deco and not at.sub and at.args == ("t",):  # a bare g is also a name (Alg. 4's score)
        return "diffusion|g2", 2 // power
    return None


def constant_base(ex: sp.Expr) -> sp.Expr:
    """σ^t, σ^{2t}: a σ raised to a power of the time is a constant base, an exponential schedule (Song's tutorial
    Colab: g(t) = σ^t with σ = 25), not the noise schedule σ(t) raised to t."""
    sig = C.SIGMA(C.t)
    return ex.replace(lambda q: isinstance(q, sp.Pow) and q.base == sig and q.exp.has(C.t),
                      lambda q: sp.Pow(sp.Symbol("σ", positive=True), q.exp))


def read_sde_part(p: Parsed, lhs: sp.Expr, rhs: sp.Expr) -> Optional[List[Claim]]:
    """The drift, diffusion or probability-flow drift of an SDE written as its own equation (module docstring)."""
    got = _part_key(p, lhs)
    if got is None:
        return None
    key, power = got
    syms = rhs.free_symbols
    fam = _family(p, syms)
    r = C.Reading("continuous", fam, "ddpm", "t", 0)
    rhs_c = _resolve_expr(rhs, p, r)
    if rhs_c.has(C.e):
        # ε-parameterised score, as in the SDE reading: s = −ε/√(1 − ᾱ(t)) (Song et al. 2021, Eq. 7 and App. B)
        rhs_c = rhs_c.xreplace({C.e: -sp.sqrt(1 - C.abar_c()) * C.s})
    if rhs_c.has(C.G(C.t)) and key == "diffusion|g2" or rhs_c.has(C.FX) and key == "drift|forward":
        return None  # g = g, f = f: a definition in its own terms
    if key == "diffusion|g2":
        rhs_c = constant_base(rhs_c)
    shown = p if power == 1 else Parsed(p.text, [lhs ** power, rhs ** power], p.atoms, p.relation, list(p.issues))
    cl = Claim("scalar", r, lhs=key, rhs=sp.expand(rhs_c ** power), parsed=shown)
    cl.read_as = {"drift|forward": "drift f(x, t) of a forward SDE", "diffusion|g2": "diffusion g(t) of an SDE (through g²)",
                  "drift|pf": "drift f̃(x, t) of a probability-flow ODE"}[key]
    return [cl]


def read_logp_ode(p: Parsed, lhs: sp.Expr, rhs: sp.Expr) -> Optional[List[Claim]]:
    """d log p_t(x(t))/dt = … (a density of the state at time t, differentiated along the path), or None."""
    if not (isinstance(lhs, sp.Function) and lhs.func == DDT and isinstance(lhs.args[0], sp.log)):
        return None
    dens = lhs.args[0].args[0]
    at = p.atoms.get(dens) if isinstance(dens, sp.Symbol) else None
    if at is None or at.base != "p" or not at.args or "|" in at.args:
        return None
    if not (at.sub == "t" or re.match(r"^(x|z)(\(t\)|_t)$", at.args[0].replace(" ", ""))):
        return None
    r = C.Reading("continuous", "generic", "ddpm", "t", 0)
    cl = Claim("scalar", r, lhs="dlogp/dt", rhs=sp.expand(_resolve_expr(rhs, p, r)), parsed=p)
    cl.read_as = "log-density along the probability-flow ODE"
    return [cl]
