"""Loss weights clipped in the signal-to-noise ratio: Min-SNR-γ and truncated SNR, w_t = min{SNR(t), γ}/SNR(t).

Hang et al. 2023 (Efficient Diffusion Training via Min-SNR Weighting Strategy, Sec. 3.4) weight the x_0-prediction
loss by min{SNR(t), γ}; the same loss written for an ε-prediction (‖ε − ε̂‖² = SNR(t)‖x − x̂‖²) has the weight
min{SNR(t), γ}/SNR(t), for a v-prediction min{SNR(t), γ}/(SNR(t) + 1) (diffusers' train_text_to_image.py,
``--snr_gamma``: mse_loss_weights = min(snr, γ)/snr, or /(snr + 1) for v). Salimans & Ho 2022 (Sec. 4) weight the
x_0 loss by max{SNR(t), 1} ('truncated SNR').

Rule: a weight on the left (one symbol: w_t, λ(t), ω_t) equal to an expression in SNR(t) (written SNR(t), SNR_t or
α_t²/σ_t²-free as the word), one constant (γ, or a number) and \\min{…, …} / \\max{…, …} of those, is evaluated at
random SNRs on both sides of the clip: equal to one of the four weights -> ``consistent`` (which one is said: the
weight alone does not state the loss it multiplies, so one parameterisation's weight is valid for another's loss only as
an alternative, never ``exact``); else ``inconsistent`` (term ``rhs``). A definition of SNR(t) beside it is a formula of its own.
"""
from __future__ import annotations

import random
import re
from typing import Optional

import sympy as sp

from .atoms import ParseError
from .verdict import Verdict

__all__ = ["judge_clipped_snr_weight"]

_SNR = re.compile(r"(?:\\(?:mathrm|text|operatorname|textrm)\s*\{\s*SNR\s*\}|SNR)\s*(?:\(\s*t\s*\)|_\s*\{?\s*t\s*\}?)?")
_CLIP = re.compile(r"\\(min|max)\s*(?:\\left\s*|\\big[lr]?\s*|\\Big[lr]?\s*)?(\\\{|\(|\{)")
_CLOSE = {"\\{": "\\}", "(": ")", "{": "}"}
_LHS = re.compile(r"^\s*(?:\\(?:lambda|omega)|w|\\tilde\s*\{?\s*w\s*\}?)\s*(?:_\s*(?:\{\s*t\s*\}|t)|\(\s*t\s*\))?\s*$")
SOURCE = ("Hang et al. 2023 (Min-SNR-γ), Sec. 3.4; diffusers train_text_to_image.py --snr_gamma; Salimans & Ho 2022, Sec. 4 "
          "(truncated SNR)")


def _closing(s: str, i: int, opener: str) -> Optional[int]:
    """Index just past the bracket closing ``opener`` at ``s[i]``."""
    close, depth, j = _CLOSE[opener], 0, i
    while j < len(s):
        if s.startswith(opener, j) and not (opener == "{" and s.startswith("\\{", j - 1)):
            depth += 1
            j += len(opener)
            continue
        if s.startswith(close, j):
            depth -= 1
            j += len(close)
            if depth == 0:
                return j
            continue
        j += 1
    return None


def judge_clipped_snr_weight(eq: str) -> Optional[Verdict]:
    """``exact``/``inconsistent`` for a clipped-SNR loss weight (module docstring), or None when it is not one."""
    from .normalize import normalize_latex
    from .parse import parse

    written = eq
    if "\\" not in eq and "snr" in eq.lower():  # a line of code (diffusers' mse_loss_weights = clamp(snr, max=γ) / snr)
        from .code_latex import code_to_latex

        eq = code_to_latex(eq) or eq
        if " ; " in eq:
            return None
    eq = re.sub(r"\\text\s*\{\s*(?:snr_|min_snr_)?gamma\s*\}", r"\\gamma", eq)  # args.snr_gamma
    if "SNR" not in eq or not re.search(r"\\m(?:in|ax)", eq) or eq.count("=") != 1:
        return None
    lhs, _, rhs = eq.partition("=")
    if not _LHS.match(re.sub(r"\\(?:mathrm|text)\s*\{\s*([A-Za-z]+)\s*\}", r"\1", lhs)) \
            and not re.fullmatch(r"\s*\\text\s*\{\s*\w*weights?\w*\s*\}\s*", lhs):  # mse_loss_weights, snr_weight
        return None
    s, clips = _SNR.sub(" R ", rhs), []
    while True:
        m = _CLIP.search(s)
        if m is None:
            break
        end = _closing(s, m.start(2), m.group(2))
        if end is None:
            return None
        inner = s[m.end():end - len(_CLOSE[m.group(2)])].replace(r"\right", "").strip()
        inner = re.sub(r"\\(?:right|big[lr]?|Big[lr]?)\s*$", "", inner)
        args = [a_.strip() for a_ in inner.split(",")]
        if len(args) != 2 or not all(args):
            return None
        clips.append((m.group(1), args))
        s = s[:m.start()] + f" Q_{{{len(clips)}}} " + s[end:]
    if not clips:
        return None
    try:
        outer = parse(normalize_latex("y_{hold} = " + s)).sides[1]
        inner_exprs = [[parse(normalize_latex("y_{hold} = " + a_)).sides[1] for a_ in args] for _, args in clips]
    except (ParseError, ValueError, TypeError, IndexError, AttributeError):
        return None
    qs = {f"Q_{k + 1}" for k in range(len(clips))}
    const = {q.name for e_ in [outer] + [a_ for pair in inner_exprs for a_ in pair] for q in sp.sympify(e_).free_symbols} - qs - {"R"}
    if len(const) > 1 or not const <= {"γ", "\\gamma", "gamma", "k", "c"} and const:
        return None
    gname = next(iter(const)) if const else None
    if gname is None and not any(kind == "max" for kind, _ in clips):
        return None  # min{SNR, 5}: γ given as a number, whose value the weights leave open
    rng = random.Random(17)
    refs = {"min{SNR, γ} (x_0-prediction loss)": lambda r, g: min(r, g),
            "min{SNR, γ}/SNR (ε-prediction loss)": lambda r, g: min(r, g) / r,
            "min{SNR, γ}/(SNR + 1) (v-prediction loss)": lambda r, g: min(r, g) / (r + 1),
            "max{SNR, 1} (truncated SNR, x_0-prediction loss)": lambda r, g: max(r, 1.0)}
    alive = dict(refs)
    for k in range(8):
        g = rng.uniform(1.5, 6.0)
        r = g * (rng.uniform(0.05, 0.9) if k % 2 else rng.uniform(1.1, 20.0))  # both sides of the clip
        sub = {}
        for q in set().union(*[sp.sympify(e_).free_symbols for pair in inner_exprs for e_ in pair], sp.sympify(outer).free_symbols):
            sub[q] = r if q.name == "R" else g if q.name == gname else None
        vals = {}
        for i, ((kind, _), pair) in enumerate(zip(clips, inner_exprs)):
            a_, b_ = (float(sp.sympify(e_).xreplace({q: v for q, v in sub.items() if v is not None})) for e_ in pair)
            vals[f"Q_{i + 1}"] = min(a_, b_) if kind == "min" else max(a_, b_)
        full = {q: (vals[q.name] if q.name in vals else v) for q, v in sub.items()}
        if any(v is None for v in full.values()):
            return None
        got = float(sp.sympify(outer).xreplace(full))
        alive = {n_: f_ for n_, f_ in alive.items() if abs(got - f_(r, g)) <= 1e-9 * (1 + abs(got))}
    claim = "a loss weight clipped in the SNR"
    if alive:
        # which loss the weight multiplies is not written: a valid clipped-SNR weight, never the one named formula
        return Verdict(written, "consistent", f"equal to the weight {next(iter(alive))} at random SNRs on both sides of the "
                       f"clip; the loss it weights (x_0, ε or v prediction) is not stated ({SOURCE})", claim=claim)
    return Verdict(written, "inconsistent", "none of the clipped-SNR weights min{SNR, γ}, min{SNR, γ}/SNR, "
                   f"min{{SNR, γ}}/(SNR + 1), max{{SNR, 1}} ({SOURCE})", claim=claim, terms=["rhs"])
