"""One claim against one registry entry: the comparison of its kind (:mod:`scoresde.formulas.compare`), then the
entry specialised to what the claim writes out (:mod:`scoresde.formulas.specialise`)."""
from __future__ import annotations

from .claim import Claim
from .compare import Match, compare_relation, compare_scalar, compare_sde, compare_step
from .entry import Entry
from .specialise import claim_pieces, claim_with, first_exact, variants

__all__ = ["compare_claim", "_compare"]


def _compare_plain(cl: Claim, e: Entry, quick: bool = False) -> Match:
    if cl.kind == "sde":
        return compare_sde(cl, e)
    if cl.kind == "step":
        return compare_step(cl, e, quick=quick)
    if cl.kind == "scalar":
        return compare_scalar(cl, e)
    return compare_relation(cl, e)


def _narrower_specialised(cl: Claim, e: Entry, m: Match, quick: bool) -> Match:
    """A claim that writes a schedule out (σ_min(σ_max/σ_min)^t for σ(t)) and is wrong: judged against the entry with
    that schedule written out when this names fewer wrong terms (only the drift, where the generic comparison also
    flags a correct diffusion whose σ(t) it cannot see), said so in the detail."""
    if m.verdict != "inconsistent" or len(m.terms or []) < 2:
        return m
    for e2, how in variants(claim_pieces(cl), e):
        if getattr(e2, "claim_subs", None):
            continue
        m2 = _compare_plain(cl, e2, quick)
        if m2.verdict == "inconsistent" and m2.terms and set(m2.terms) < set(m.terms):
            m2.entry = e
            m2.detail = f"{m2.detail}, with {how}"
            return m2
        break
    return m


def _compare(cl: Claim, e: Entry, quick: bool = False, stated: bool = False) -> Match:
    """The claim against entry ``e``; where it is not exact, against ``e`` specialised to a schedule the claim
    writes out or to published parameter values it writes as numbers (:mod:`scoresde.formulas.specialise`)."""
    m = _compare_plain(cl, e, quick)
    if m.verdict == "exact" and e.family == "subvp" and cl.reading.family == "vp" and e.direction == "kernel" and not stated:
        # written in VP symbols (ᾱ, β) yet equal to the sub-VP kernel, whose variance is (1 − ᾱ)²: a valid kernel, but
        # not the VP one the symbols suggest -- the same formula is a VP kernel with its square root dropped
        return Match(e, "consistent", f"a valid kernel, but of the sub-VP SDE, not of the VP SDE its symbols suggest ({m.detail}; "
                     "the VP kernel's variance is 1 − ᾱ(t), the sub-VP kernel's (1 − ᾱ(t))²)", terms=["variance"], mismatches=1)
    if m.verdict == "exact" or (m.verdict == "unparsed" and m.mismatches >= 10):
        return m
    hit = first_exact(claim_pieces(cl), e, lambda e2: _compare_plain(claim_with(cl, getattr(e2, "claim_subs", None)), e2, quick))
    if hit is None:
        return _narrower_specialised(cl, e, m, quick)
    m2, how = hit
    m2.entry = e
    m2.detail = f"{m2.detail}, with {how}"
    return m2


#: the name check.py and the tests use
compare_claim = _compare
