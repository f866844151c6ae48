"""Text layer of the objective reader: LaTeX cleaning and the structural pieces of a training objective.

A training objective as papers write it is ``[θ* = arg min_θ] [prefactor] Σ / ∫ / E_{…} [ weight ‖ A − B ‖² ]``
(Ho et al. 2020, Eq. 14; Song et al. 2021, Eq. 7; Song & Ermon 2019, Eq. 5; Kingma et al. 2021, Sec. 4;
Karras et al. 2022, Eq. 2). This module finds those pieces in the text (balanced groups, the norm, the
expectation subscripts with their sampling distributions ``v ∼ N(m, C)``, sums, integrals, ``arg min``,
``∇_θ``, a trailing ``+ C``) and hands the algebraic remainders to :mod:`scoresde.formulas.objective_reader`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from .normalize import _TRANSPOSE, _brace_frac_args, _strip_wrappers
from .param_notation import params_after_semicolon
from .parse_partial import partial_log_as_gradient
from .normalize import _group as group_at  # the braced group or token at text[i]
from .objective_sampling import trailing_sampling

__all__ = ["ObjText", "clean", "split_top", "matching", "group_at", "read_structure", "NORM"]

NORM = "‖"
_OPEN, _CLOSE = "([{", ")]}"
_SIZING = re.compile(r"\\(?:left|right|middle|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg|displaystyle|textstyle)(?![a-zA-Z])")
_SPACE = re.compile(r"\\[,;!:>]|\\(?:quad|qquad|enspace|thinspace)(?![a-zA-Z])|~")
_FONT = re.compile(r"\\(?:mathbf|boldsymbol|bm|pmb|mathbfit|mathit|mathsf|vb)\s*(?=\{)")


def matching(text: str, i: int) -> Optional[int]:
    """Index of the bracket closing the one at text[i] (any of ( [ { nests)."""
    depth = 0
    for j in range(i, len(text)):
        ch = text[j]
        if ch in _OPEN and not _escaped(text, j):
            depth += 1
        elif ch in _CLOSE and not _escaped(text, j):
            depth -= 1
            if depth == 0:
                return j
    return None


def _escaped(text: str, j: int) -> bool:
    return j > 0 and text[j - 1] == "\\" and text[j] in "{}"


def _unwrap_fonts(s: str) -> str:
    for _ in range(200):
        m = _FONT.search(s)
        if not m:
            return s
        g = group_at(s, m.end())
        if g is None:
            return s
        s = s[:m.start()] + " " + s[g[0] + 1:g[1] - 1] + s[g[1]:]
    return s


def _signed_underbraces(s: str) -> str:
    """``\\underbrace{- X}_{L_0}`` starts a new term (Ho et al. 2020, Eq. 5): its braces must not make it a factor."""
    for _ in range(50):
        m = re.search(r"\\(?:underbrace|overbrace)\s*\{\s*[-+]", s)
        if not m:
            return s
        g = group_at(s, m.end() - len(m.group(0)) + m.group(0).index("{"))
        if g is None:
            return s
        a, b = g
        rest = b
        k = b
        while k < len(s) and s[k] == " ":
            k += 1
        if k < len(s) and s[k] in "_^":
            g2 = group_at(s, k + 1)
            rest = g2[1] if g2 is not None else b
        s = s[:m.start()] + " " + s[a + 1:b - 1] + " " + s[rest:]
    return s


def clean(text: str) -> str:
    """Fonts, sizing and spacing dropped; \\{ \\} -> brackets; \\mid -> |; norms -> ‖; \\tfrac -> \\frac;
    \\underbrace{X}_{..} -> X; \\underset{θ}{\\arg\\min} -> \\arg\\min_{θ}; \\mathrm{d} -> d."""
    s = text.strip().rstrip(".,;")
    s = re.sub(r"\\(?:tag|label)\s*\{[^{}]*\}", " ", s)
    s = _TRANSPOSE.sub(r"^{\\top}", s)  # ^{\mathsf{T}}, ^{\mathrm T}: a transpose, before the fonts are unwrapped
    s = re.sub(r"\\operatorname\*?\s*\{\s*arg\s*\\?,?\s*min\s*\}|\\mathrm\s*\{\s*arg\s*\\?,?\s*min\s*\}", r"\\arg\\min", s)
    s = re.sub(r"\\underset\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\s*\{\s*\\arg\s*\\?min\s*\}", r"\\arg\\min_{\1}", s)
    s = re.sub(r"\\argmin(?![a-zA-Z])", r"\\arg\\min", s)
    s = re.sub(r"\\ln(?![a-zA-Z])", r"\\log", s)  # ln is the natural log, which log means here (Bishop & Bishop 2024)
    # \mathop{\arg\min}_θ: TeX's operator wrapper (limits below), the same arg min (Song et al. 2021, Eq. 7 source)
    s = re.sub(r"\\mathop\s*\{\s*(\\arg\s*\\?min|\\argmin|\\min|\\max|\\arg\s*\\?max)\s*\}", lambda m: m.group(1), s)
    # min_θ E[…] (the minimisation written with \min over the parameters): the same minimiser as arg min_θ
    s = re.sub(r"(?<!\\arg)(?<!\\arg )\\min\s*_\s*(\{\s*\\(?:theta|phi)\s*\}|\\(?:theta|phi)(?![a-zA-Z]))", r"\\arg\\min_\1", s)
    s = _SIZING.sub(" ", s)
    # a braceless font subscript, D_\text{KL}, L_\mathrm{simple}: the same as D_{\text{KL}} (TeX takes one group)
    s = re.sub(r"([_^])\s*(\\(?:text|mathrm|rm|operatorname|mathsf|textrm)\s*\{[^{}]*\})", r"\1{\2}", s)
    s = _signed_underbraces(s)
    s = _strip_wrappers(s)
    s = _unwrap_fonts(s)
    s = re.sub(r"\\(?:mathbf|boldsymbol|bm|pmb|vb)(?![a-zA-Z])\s*(?!\{)", " ", s)
    s = _SPACE.sub(" ", s)
    s = re.sub(r"\\[tdc]frac(?![a-zA-Z])", r"\\frac", s)
    s = _brace_frac_args(s)
    s = partial_log_as_gradient(params_after_semicolon(s))  # ψ(x; θ) is s_θ(x); ∂ log q/∂x is ∇_x log q
    s = re.sub(r"\\(?:mathrm|operatorname|text)\s*\{\s*d\s*\}", "d", s)
    s = re.sub(r"\\(?:mid|vert|lvert|rvert)(?![a-zA-Z])", "|", s)
    s = s.replace(r"\{", "[").replace(r"\}", "]")
    s = re.sub(r"\\(?:lbrace)(?![a-zA-Z])", "[", s)
    s = re.sub(r"\\(?:rbrace)(?![a-zA-Z])", "]", s)
    s = re.sub(r"\\(?:Vert|lVert|rVert|parallel)(?![a-zA-Z])|\\\||\|\|", NORM, s)  # \parallel: D_KL(q ∥ p)
    s = _kl_separators(s)
    s = re.sub(r"\^\s*(?:\{\s*\\prime\s*\}|\\prime(?![a-zA-Z]))", "'", s)  # x^\prime, x^{\prime} -> x'
    s = re.sub(r"\\(?:coloneqq|triangleq|equiv|doteq|stackrel\{[^{}]*\}\{=\}|overset\{[^{}]*\}\{=\})|:=|=:", "=", s)
    s = re.sub(r"\\(?:cdots|ldots|dots|dotsb|dotsc)(?![a-zA-Z])", r" \\ldots ", s)
    s = re.sub(r"\\nabla\s*\\cdot(?![a-zA-Z])", "\\\\nabla·", s)
    s = re.sub(r"\\(?:cdot|times)(?![a-zA-Z])", " ", s)
    s = re.sub(r"\^\s*\{?\s*\\(?:top|intercal|mathsf\s*\{\s*T\s*\})\s*\}?", "^{⊤}", s)
    s = _SIGMA_Q.sub(lambda m: r"\sigma_{" + m.group("i") + "}" + (m.group("p") or ""), s)
    s = re.sub(r"\\gamma\s*_\s*(?:\{\s*\\eta\s*\}|\\eta(?![a-zA-Z]))", r"\\gamma", s)  # VDM's γ_η is γ (Eq. 3)
    return re.sub(r"\s+", " ", s).strip()


#: Luo 2022's σ_q²(t), the variance of q(x_{t−1} | x_t, x_0) that he gives the reverse step p_θ(x_{t−1} | x_t) (Eq. 85,
#: 92), is the reverse variance σ_t² of Ho et al. 2020 (Eq. 8-12) at their choice σ_t² = β̃_t: the same symbol σ_t
_SIGMA_Q = re.compile(r"\\sigma\s*_\s*\{?\s*q\s*\}?\s*(?P<p>\^\s*(?:\{\s*2\s*\}|2))?\s*\(\s*(?P<i>[a-z])\s*\)")


_KL = re.compile(r"(?:D\s*_\s*\{?\s*(?:\\mathrm\s*\{\s*KL\s*\}|\\text\s*\{\s*KL\s*\}|KL)\s*\}?|\\mathrm\s*\{\s*KL\s*\}|KL)\s*\(")


def _kl_separators(s: str) -> str:
    """Inside D_KL(q ‖ p) the bars separate two densities: written ∥ there, so that they are not a norm."""
    for m in list(_KL.finditer(s))[::-1]:
        j = matching(s, m.end() - 1)
        if j is not None:
            s = s[:m.end()] + s[m.end():j].replace(NORM, "∥") + s[j:]
    return s


def split_top(text: str, seps: Tuple[str, ...]) -> List[str]:
    """Split at separators outside any bracket (separators are literal strings)."""
    out, depth, last, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch in _OPEN and not _escaped(text, i):
            depth += 1
        elif ch in _CLOSE and not _escaped(text, i):
            depth -= 1
        elif depth == 0:
            for sep in seps:
                if text.startswith(sep, i) and not (sep.isalpha() is False and sep == "=" and text[i - 1:i] in "<>!"):
                    out.append(text[last:i])
                    i += len(sep)
                    last = i
                    break
            else:
                i += 1
                continue
            continue
        i += 1
    out.append(text[last:])
    return out


@dataclass
class ObjText:
    """The structural pieces of one objective expression (all text, cleaned)."""

    argmin: Optional[str] = None  # the variable under arg min (θ)
    gradient: Optional[str] = None  # ∇_θ in front of the objective (Ho et al. 2020, Alg. 1)
    expectations: List[str] = field(default_factory=list)  # subscripts of E (without braces)
    integrals: List[Tuple[str, str, str]] = field(default_factory=list)  # (lower, upper, variable)
    weight: str = ""  # factors outside the norm
    norm: Optional[str] = None  # the text inside ‖·‖²
    plus_const: bool = False  # a trailing + C (a constant independent of θ)
    body: str = ""  # the remainder when there is no norm


_EXPECT = re.compile(r"\\mathbb\s*\{?\s*E\s*\}?|\\operatorname\s*\{\s*E\s*\}|\\E(?![a-zA-Z])")


def _take_sub_sup(s: str, i: int) -> Tuple[str, str, int]:
    """After an operator at s[:i]: its _{..} and ^{..} (either order), and the index after them."""
    sub = sup = ""
    for _ in range(2):
        j = i
        while j < len(s) and s[j] == " ":
            j += 1
        if j < len(s) and s[j] in "_^":
            g = group_at(s, j + 1)
            if g is None:
                break
            txt = s[g[0]:g[1]]
            txt = txt[1:-1] if txt.startswith("{") else txt
            if s[j] == "_":
                sub = txt
            else:
                sup = txt
            i = g[1]
        else:
            break
    return sub, sup, i


def _drop_unmatched(s: str) -> str:
    """Remove brackets that open or close outside the text (the expectation's [ ] around the integrand)."""
    stack, drop = [], set()
    for i, ch in enumerate(s):
        if ch in "([{" and not _escaped(s, i):
            stack.append(i)
        elif ch in ")]}" and not _escaped(s, i):
            if stack:
                stack.pop()
            else:
                drop.add(i)
    drop |= set(stack)
    return "".join(ch for i, ch in enumerate(s) if i not in drop)


def _plain_expectation(s: str, i: int) -> bool:
    """A bare letter E with a subscript, directly followed by a bracket: an expectation, not a symbol E_{…}."""
    if s[i] != "E" or (i > 0 and (s[i - 1].isalpha() or s[i - 1] == "\\")) or not s[i + 1:].lstrip().startswith("_"):
        return False
    _, _, j = _take_sub_sup(s, i + 1)
    rest = s[j:].lstrip()
    return rest.startswith("[") or re.match(r"\\(left|big|Big|bigg|Bigg)\s*\[", rest) is not None


def _strip_operators(s: str, out: ObjText) -> str:
    """Remove E_{..}, ∫_a^b, arg min_θ and ∇_θ from a text, recording them (sums stay: they are factors)."""
    res, i = [], 0
    while i < len(s):
        m = _EXPECT.match(s, i)
        if m:
            sub, _, j = _take_sub_sup(s, m.end())
            out.expectations.append(sub.strip())
            i = j
            continue
        if _plain_expectation(s, i):
            # a plain E_{t, x_0, ε}[…] (Nichol & Dhariwal 2021 write the expectation without \mathbb)
            sub, _, j = _take_sub_sup(s, i + 1)
            out.expectations.append(sub.strip())
            i = j
            continue
        for cmd, kind in ((r"\int", "int"), (r"\arg\min", "argmin"), (r"\arg \min", "argmin"),
                          (r"\nabla", "grad")):
            if s.startswith(cmd, i) and not s[i + len(cmd):i + len(cmd) + 1].isalpha():
                sub, sup, j = _take_sub_sup(s, i + len(cmd))
                if kind == "int":
                    out.integrals.append((sub.strip(), sup.strip(), ""))
                elif kind == "argmin":
                    out.argmin = sub.strip() or "θ"
                elif kind == "grad":
                    if sub.strip() not in (r"\theta", "θ", r"{\theta}"):
                        res.append(s[i:j])
                        i = j
                        break
                    out.gradient = sub.strip()
                i = j
                break
        else:
            res.append(s[i])
            i += 1
    return "".join(res)


def read_structure(rhs: str) -> ObjText:
    """The pieces of an objective's right side (or of a bare objective)."""
    out = ObjText()
    s = rhs.strip()
    m = re.search(r"\s*\+\s*(?:C|\\text\s*\{\s*const\.?\s*\}|\\mathrm\s*\{\s*const\.?\s*\}|\\mathrm\s*\{\s*C\s*\}|const\.?)\s*$", s)
    if m:
        out.plus_const = True
        s = s[:m.start()]
    k = s.find(NORM)
    if k < 0:
        s = _strip_operators(s, out)
        out.body, out.integrals = _integral_variable(_drop_unmatched(s).strip(), out.integrals)
        return out
    k2 = s.find(NORM, k + 1)
    if k2 < 0:
        raise ValueError("a norm ‖ without its closing ‖")
    inner = s[k + 1:k2]
    rest = s[k2 + 1:]
    m2 = re.match(r"\s*(?:_\s*\{?\s*2\s*\}?\s*)?\^\s*\{?\s*2\s*\}?(?:\s*_\s*\{?\s*2\s*\}?)?", rest)
    if not m2:
        raise ValueError("a norm that is not squared (‖·‖² or ‖·‖₂² is what the objectives use)")
    post = rest[m2.end():]
    pre = _strip_operators(s[:k], out)
    post = _strip_operators(post, out)
    post, out.integrals = _integral_variable(_drop_unmatched(post).strip(), out.integrals)
    if post.strip(" ]})") and (drawn := trailing_sampling(post)) is not None:
        out.expectations.extend(drawn)  # ‖…‖², \quad n ∼ N(0, σ² I): the expectation's draw (objective_sampling.py)
        post = ""
    if post.strip(" ]})"):
        raise ValueError(f"cannot read {post.strip()!r} after the norm")
    out.norm = inner.strip()
    out.weight = _drop_unmatched(pre).strip()
    return out


def _integral_variable(post: str, integrals: List[Tuple[str, str, str]]):
    """A trailing d<var> closes the last integral; returns (text without it, integrals)."""
    if not integrals:
        return post, integrals
    m = re.search(r"(?:^|\s|(?<=[)\]}]))d\s*([a-zA-Z]|\\[a-zA-Z]+)\s*$", post)
    if m is None:
        raise ValueError("an integral without its d<variable>")
    lo, hi, _ = integrals[-1]
    return post[:m.start()].strip(), integrals[:-1] + [(lo, hi, m.group(1))]
