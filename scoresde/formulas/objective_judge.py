"""Judge a training objective against the registry's objectives (families/objectives.py).

Both the claim and each registry objective are read by :mod:`scoresde.formulas.objective_reader`, so they are
compared in the same notation. The rule (docs/verify.md, "Training objectives"):

1. comparable: the same network outputs (ε_θ, s_θ, μ_θ, x̂_θ, D, F_θ), and the claim's states, noises,
   scores and named losses are among the reference's;
2. the network's arguments are compared at random admissible points (a wrong input, e.g. ᾱ_t x_0 for
   √ᾱ_t x_0, is ``inconsistent``), then the integrand weight · (A − B)² itself, with every state, noise and
   network output a free random value and every weight/schedule symbol a random positive value;
3. identical (and the same integration range and ``+ C``) -> ``exact``;
4. otherwise the ratio claim/reference decides: a positive constant -> ``consistent`` for a bare objective,
   its gradient or a minimiser (the same minimiser, a rescaled objective), ``inconsistent`` for a value
   ``L = …`` (its value is wrong); a positive ratio that depends on the weights only -> ``consistent`` for a
   minimiser θ* = arg min (another valid weighting λ: each noise level's minimiser is unchanged),
   ``inconsistent`` otherwise; any other difference -> ``inconsistent``. The offending term is ``rhs``.

One claim against one objective: :mod:`.objective_compare`; DSM targets ∇log q(x̃ | x): :mod:`.dsm_target`.
"""
from __future__ import annotations

import re
from typing import Optional

import sympy as sp

from .objective_adapt import _show, _struct
from .objective_reader import Objective, ObjectiveError, looks_like_objective, read_objective
from .verdict import RANK, Verdict
from .dsm_target import _kernel_letters, judge_score_relation  # noqa: F401
from .objective_compare import _close, _ev, _point, compare_objectives  # noqa: F401

__all__ = ["judge_objective", "compare_objectives"]


_WEIGHTED = re.compile(r"^\s*\\lambda\s*\(\s*(?P<s>\\sigma)\s*\)\s*(?:\\[,;!: ]|\\cdot|\s)*(?P<loss>\\ell\s*\([^=]*\))\s*=(?P<rhs>[^=]*)$")


def _weighted_loss(text: str, target: Optional[str]) -> Optional[Verdict]:
    """``λ(σ) ℓ(θ; σ) = …`` (Song & Ermon 2019, Sec. 4.2: the weighted term of Eq. 6) with the registry's NCSN weighting
    λ(σ) = σ² (objective.ncsn_weighting) and ℓ of Eq. 5 (½ E‖s_θ(x̃, σ) + (x̃ − x)/σ²‖²): the right side read by its
    meaning must be a valid score-matching objective whose weight on the score residual is exactly ½σ²."""
    m = _WEIGHTED.match(text)
    if m is None or target not in (None, "objective.dsm_sigma"):
        return None
    from .objective_semantics import judge_semantics

    try:
        ob = read_objective(m.group("rhs"))
    except ObjectiveError:
        return None
    info: dict = {}
    got = judge_semantics(ob, info)
    if got is None:
        return None
    verdict, detail = got
    claim = "the weighted NCSN term λ(σ) ℓ(θ; σ)"
    src = "Song & Ermon 2019 (NCSN), Eq. 5 and Sec. 4.2 (λ(σ) = σ²)"
    if verdict == "inconsistent":
        return Verdict(text, verdict, f"{detail} ({src})", claim=claim, target="objective.dsm_sigma", terms=["rhs"])
    w, b = info.get("w_score"), info.get("b")
    if w is None or b is None:
        return None
    ratio = sp.simplify(w / (b**2 / 2))
    if ratio == 1:
        return Verdict(text, "exact", f"λ(σ) ℓ(θ; σ) with λ = σ² and ℓ's ½: {detail} ({src})", claim=claim, target="objective.dsm_sigma")
    return Verdict(text, "inconsistent", f"the weight on the score residual: expected σ²/2 = λ(σ)·½, found {_show(w)} ({src})",
                   claim=claim, target="objective.dsm_sigma", terms=["rhs"])


def name_key(name: str) -> str:
    """A loss name compared without the case of a word subscript: L_VLB, L_vlb, L_Simple are one name (L_T, L_t are not)."""
    return re.sub(r"_([A-Za-z]{2,})", lambda m: "_" + m.group(1).lower(), name)


def _refs():
    from .families.objectives import OBJECTIVE_REFS
    return OBJECTIVE_REFS


def judge_objective(text: str, target: Optional[str] = None) -> Optional[Verdict]:
    """The verdict of one objective formula, or None when the text is not an objective (the usual reader goes on)."""
    if target is None or target.endswith("_weighting"):
        from .objective_weighting import judge_weighting

        wv = judge_weighting(text)
        if wv is not None:
            return wv
    weighted = _weighted_loss(text, target)
    if weighted is not None:
        return weighted
    from .objective_weight_def import judge_with_weight_definition  # …, λ(σ_i) = σ_i²: the objective and its λ
    if (wd := judge_with_weight_definition(text, target, judge_objective)) is not None:
        return wd
    from .objective_code import code_objective

    code = code_objective(text)
    if code is not None:  # a one-line code loss: judged as the objective it computes
        cv = judge_objective(code, target)
        if cv is not None:
            cv.latex = text
            cv.notes = [f"read from the code as {code}"] + list(cv.notes or [])
            cv.detail = f"read from the code as E‖·‖²: {cv.detail}"
        return cv
    if target is None or target == "objective.jsm":
        from .objective_bound import judge_bound

        bv = judge_bound(text)
        if bv is not None:
            return bv
    from .sde_bound import judge_sde_bound  # −log p_θ^SDE(x) ≤ −E[log π] + ½∫E[2g²∇·s_θ + g²‖s_θ‖² − 2∇·f]dt
    if target is None and (sv := judge_sde_bound(text)) is not None:
        return sv
    if target is None or target == "objective.vlb_kl":
        from .objective_bound import judge_elbo

        ev = judge_elbo(text)
        if ev is not None:
            return ev
    if target is None or target == "objective.score_matching":
        from .implicit_sm import judge_implicit_sm  # E[tr(∇ψ) + ½‖ψ‖²], Σ_i [∂_i ψ_i + ½ψ_i²] (Hyvärinen 2005)

        hv = judge_implicit_sm(text)
        if hv is not None:
            return hv
    if target is None or target.startswith("likelihood."):
        from .likelihood_reader import judge_likelihood

        lv = judge_likelihood(text)
        if lv is not None and (target is None or lv.target == target):
            return lv
    if target is None or target.startswith("guidance."):
        from .guidance_reader import judge_guidance

        gv = judge_guidance(text)
        if gv is not None and (target is None or gv.target == target or gv.verdict != "exact"):
            return gv
    rel = judge_score_relation(text, target)
    if rel is not None:
        return rel
    refs = _refs()
    if target is not None and target not in refs:
        return None
    if not looks_like_objective(text):
        return None
    chained = _chained_values(text, target)
    if chained is not None:
        return chained
    from .objective_terms import name_written_terms

    named = name_written_terms(text, target)
    if named is not None:  # L_hybrid = E‖ε − ε_θ‖² + λ L_vlb: the written-out L_simple named
        nv = judge_objective(named, target)
        if nv is not None and nv.verdict != "unparsed":
            nv.latex, nv.detail = text, f"read as {named}: {nv.detail}"
            return nv
    try:
        ob = read_objective(text)
    except ObjectiveError as err:
        return Verdict(text, "unparsed", f"read as a training objective, but {err}", claim="training objective")
    if not ob.has_norm and not _struct(ob):
        return None  # no network, score or named loss in it: not a training objective after all
    kind = {"bare": "a bare expression", "gradient": "the gradient ∇_θ of an objective", "minimiser": "a minimiser θ* = arg min",
            "value": f"the value of {ob.name}"}[ob.role]
    if target is not None:
        cands = {target: refs[target]}
    elif ob.role == "value":
        cands = {n: r for n, r in refs.items() if name_key(ob.name) in {name_key(q) for q in r.names}}
        if not cands:
            return _by_integrand(text, ob, kind, refs)
    elif ob.role == "minimiser":
        cands = {n: r for n, r in refs.items() if r.objective.role == "minimiser"}
    else:
        cands = {n: r for n, r in refs.items() if r.objective.has_norm}
    results = []
    for name, ref in cands.items():
        if ob.role in ("bare", "gradient") and target is None and _dropped_weight(ob, ref.objective):
            continue
        got = compare_objectives(ob, ref.objective)
        if got is not None:
            results.append((RANK[got[0]], got[2], name, got))
    if not results:
        if ob.role == "value":  # a name shared with a registry objective of another structure: judged by its integrand
            by = _by_integrand(text, ob, kind, refs)
            if by.verdict != "unparsed":
                return by
        sem = _semantic(text, ob, kind)
        if sem is not None:
            return sem
        models = ", ".join(sorted(ob.models)) or "no network output"
        return Verdict(text, "unparsed", f"read as {kind} ({models}), but no registry objective has this form "
                       "(the same network output, states and scores)", claim=kind)
    results.sort(key=lambda r_: r_[:3])
    _, _, name, (verdict, detail, _) = results[0]
    ref = refs[name]
    if ob.role in ("bare", "gradient"):
        kind += f": an objective of kind {ref.kind}"
    detail = f"{detail}; compared with {ref.title} ({ref.source})"
    return Verdict(text, verdict, detail, claim=kind, target=name, terms=[] if verdict in ("exact", "unparsed") else ["rhs"])


def _dropped_weight(cl: Objective, ref: Objective) -> bool:
    """A bare objective with a constant weight against a reference whose weight depends on the schedule: it is that
    objective with its weight dropped (Ho et al. 2020, Eq. 14 drop Eq. 12's weight to get L_simple), another valid
    objective, not a wrong one -- the semantic reading judges it."""
    params = lambda e_, ob: {s_ for s_ in e_.free_symbols if ob.piece.roles.get(s_.name) == "param"}  # noqa: E731
    if cl.weight is None or ref.weight is None:
        return False
    return not params(cl.weight, cl) and bool(params(ref.weight, ref))


def _by_integrand(text: str, ob: Objective, kind: str, refs) -> Verdict:
    """A value ``L_? = …`` under a name no registry objective uses (L_θ, 𝓛_∞ of another paper): judged by its
    integrand against every registry objective of the same structure. Only an identical one is reported (the
    name says nothing about which objective is meant, so a difference is no evidence of an error)."""
    for name, ref in refs.items():
        if not ref.objective.has_norm:
            continue
        got = compare_objectives(ob, ref.objective)
        if got is not None and got[0] == "exact":
            return Verdict(text, "exact", f"{got[1]}; the name {ob.name} is not the registry's, but the integrand is that of "
                           f"{ref.title} ({ref.source})", claim=kind, target=name)
    sem = _semantic(text, ob, kind)
    if sem is not None:
        return sem
    return Verdict(text, "unparsed", f"read as {kind}, but no registry objective is named {ob.name} and none has the "
                   "same integrand", claim=kind)


def _semantic(text: str, ob: Objective, kind: str) -> Optional[Verdict]:
    """The objective judged by its meaning (objective_semantics): the residual at the ideal network, the weighting."""
    from .objective_semantics import judge_semantics

    if ob.assume or ob.conditions:
        return None  # a stated value or side condition is a claim about one weight: only the registry's form judges it
    got = judge_semantics(ob)
    if got is None:
        return None
    verdict, detail = got
    if verdict != "inconsistent" and ob.role == "value" and "_" in ob.name and any(name_key(ob.name) in {name_key(q) for q in r_.names} for r_ in _refs().values()):
        return None  # a registry loss's subscripted name (L_simple, L_{t−1}, 𝒥_SM) fixes its weight: a valid residual is not enough
    return Verdict(text, verdict, detail, claim=kind, terms=[] if verdict == "exact" else ["rhs"])


def _chained_values(text: str, target: Optional[str]) -> Optional[Verdict]:
    """``L = A = B`` (Salimans & Ho 2022, Sec. 4): each equality L = A, L = B judged on its own; the worst verdict
    decides, a part that cannot be read makes the whole unparsed unless another part is already wrong."""
    from .objective_text import clean, split_top

    sides = split_top(clean(text).rstrip(" ,"), ("=",))
    if len(sides) < 3 or "," in sides[-1] and len(split_top(sides[-1], (",",))) > 1:
        return None
    if any(len(split_top(x, (",",))) > 1 for x in sides[1:-1]):
        return None  # "L = …, v = …": a definition beside the objective, not a chain
    from .objective_reader import _LOSS_LHS

    if not _LOSS_LHS.match(sides[0].strip()):
        return None
    parts = [judge_objective(f"{sides[0]} = {rhs}", target) for rhs in sides[1:]]
    if any(p_ is None for p_ in parts):
        return None
    from .param_errors import settle_chain_parts  # L = ‖v − v̂‖² = (1 + α²/σ²)‖x − x̂‖²: the sides' own identity

    parts = settle_chain_parts(split_top(text, ("=",))[1:], parts)
    worst = max(parts, key=lambda v: _WORST.get(v.verdict, 5))
    detail = " | ".join(f"{sides[0].strip()} = (part {k + 1}): {p_.verdict}: {p_.detail}" for k, p_ in enumerate(parts))
    return Verdict(text, worst.verdict, f"a chained equation, each equality judged: {detail}", claim=worst.claim,
                   target=worst.target, terms=list(worst.terms or []))


_WORST = {"ill-defined": 4, "inconsistent": 3, "unparsed": 2, "consistent": 1, "exact": 0}

