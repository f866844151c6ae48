"""Readings that bring a claimed objective into its reference's notation before the two are compared
(objective_judge.compare_objectives): a weight's value stated beside the claim, E over t ∼ U(a, b) as ∫_a^b dt/(b − a),
swapped KL arguments, a primed sample x′ for x̃, a network input written as the noisy state x_t; and the symbol
helpers both modules use.
"""
from __future__ import annotations

import re

import sympy as sp

from .objective_reader import Objective

__all__: list = []  # helpers of objective_judge (private names, imported there)

_STRUCT = ("var", "model", "target", "loss")


def _struct(ob: Objective) -> set:
    return {s_.name for s_ in _all_syms(ob) if ob.piece.roles.get(s_.name, "param") in _STRUCT}


def _all_syms(ob: Objective) -> set:
    """The symbols of the integrand and of every network call's arguments."""
    syms = set(ob.integrand.free_symbols)
    for calls in ob.models.values():
        for call in calls:
            for a_ in call:
                syms |= a_.free_symbols
    return syms


def _base(name: str) -> str:
    """The letter a symbol is written with (ᾱ_t and α_t share α; SNR′(t) and SNR(s) share SNR)."""
    n = name.replace("ᾱ", "α")
    m = re.match(r"[A-Za-z]+|.", n)
    return m.group(0) if m else n


def _show(expr: sp.Expr) -> str:
    txt = sp.sstr(expr).replace("**", "^").replace("*", "·")
    return txt.replace("sqrt(", "√(")


def _stated_values(cl: Objective, ref: Objective):
    """A weight's value stated beside the claim (``σ_t² = β_t``: Ho et al. 2020, Sec. 3.2, one of their two choices)
    is put into the reference too: the claim is then the reference at that choice."""
    import copy

    if not cl.assume:
        return cl, ref, ""
    names = {s_.name for s_ in _all_syms(ref)}
    sub = {k: v for k, v in cl.assume.items() if k.name in names}
    if not sub:
        return cl, ref, ""
    mine = {s_.name for s_ in cl.integrand.free_symbols}
    if any(s_.name not in mine for v in sub.values() for s_ in v.free_symbols):
        return None, ref, ""  # a value in a symbol (β̃_t) the claim does not use otherwise: its definition is not known here
    out = []
    for ob in (cl, ref):
        new = copy.copy(ob)
        new.piece = copy.copy(ob.piece)
        new.piece.models = {m: [[a_.xreplace(sub) for a_ in call] for call in calls] for m, calls in ob.models.items()}
        new.integrand = ob.integrand.xreplace(sub)
        out.append(new)
    what = ", ".join(f"{k.name} = {_show(v)}" for k, v in sub.items())
    return out[0], out[1], f" (at the stated {what}, put into the reference too)"


def _uniform_as_integral(cl: Objective, ref: Objective):
    """E_{t ∼ U(a, b)}[·] on one side and ∫_a^b · dt on the other: the expectation is the integral over b − a (Kingma
    et al. 2021 write their continuous loss both ways)."""
    import copy

    def convert(a: Objective, b: Objective):
        have = [(lo, hi) for lo, hi, _ in a.integrals]
        for lo, hi, var, width in a.uniforms:
            if (lo, hi) not in have and (lo, hi) in [(l_, h_) for l_, h_, _ in b.integrals]:
                new = copy.copy(a)
                new.integrals = a.integrals + [(lo, hi, var)]
                new.integrand = a.integrand / width
                return new, f" (E over {var} ∼ U({lo}, {hi}) read as ∫_{lo}^{hi} d{var}/({_show(width)}))"
        return None, ""

    new, how = convert(cl, ref)
    if new is not None:
        return new, ref, how
    new, how = convert(ref, cl)
    if new is not None:
        return cl, new, how
    return cl, ref, ""


def _swapped_kl(cl: Objective, ref: Objective) -> str:
    """A KL term of the claim whose arguments, swapped, give one of the reference's (D_KL(p ∥ q) for D_KL(q ∥ p))."""
    mine, theirs = _struct(cl), _struct(ref)
    for name in sorted(mine - theirs):
        m = re.fullmatch(r"KL\((.*)∥(.*)\)", name)
        if m and f"KL({m.group(2)}∥{m.group(1)})" in theirs:
            return name
    return ""


_PRIMED = re.compile(r"(?<![A-Za-z])([xz])(?:\^′|′|')")


def _primed_state(cl: Objective, ref: Objective):
    """The perturbed sample written with a prime, x′ (Vincent 2011; Song, Durkan et al. 2021 write p_0t(x′ | x)),
    where the reference writes x̃: a bound variable renamed, read as x̃ when the claim has no x̃ of its own."""
    import copy

    mine, theirs = _struct(cl), _struct(ref)
    sub = {}
    for s_ in _all_syms(cl):
        if s_.name in mine and s_.name not in theirs and _PRIMED.search(s_.name):
            new = _PRIMED.sub(lambda m: m.group(1) + "\u0303", s_.name)
            if new in theirs and new not in mine:
                sub[s_] = sp.Symbol(new, real=True)
    if not sub:
        return None, ""
    new = copy.copy(cl)
    new.piece = copy.copy(cl.piece)
    new.piece.roles = dict(cl.piece.roles)
    for k, v in sub.items():
        new.piece.roles[v.name] = new.piece.roles.pop(k.name)
    new.piece.models = {m: [[a_.xreplace(sub) for a_ in call] for call in calls] for m, calls in cl.models.items()}
    new.integrand = cl.integrand.xreplace(sub)
    return new, " (the primed sample read as x̃, the reference's name for it)"


def _noisy_state(cl: Objective, ref: Objective):
    """A network input written as the noisy state itself (ε_θ(x_t, t)) is the forward process's sample that the
    reference writes out (√ᾱ_t x_0 + √(1 − ᾱ_t) ε): the claim read with it, and a note saying so."""
    import copy

    sub = {}
    for mname, calls in cl.models.items():
        for call, rcall in zip(calls, ref.models.get(mname, [])):
            v, r_ = call[0], rcall[0]
            if isinstance(v, sp.Symbol) and cl.piece.roles.get(v.name) == "var" and not isinstance(r_, sp.Symbol) \
                    and v.name not in _struct(ref) and re.fullmatch(r"(?:x|z)(?:_[kλσ]|\(k\)|\u0303)", v.name):
                sub[v] = r_
    if not sub:
        return None, ""
    new = copy.copy(cl)
    new.piece = copy.copy(cl.piece)
    new.piece.models = {m: [[a_.xreplace(sub) for a_ in call] for call in calls] for m, calls in cl.models.items()}
    new.integrand = cl.integrand.xreplace(sub)
    what = ", ".join(f"{k.name} read as {_show(v)}" for k, v in sub.items())
    return new, f" ({what}, the forward process's sample the reference writes out)"

