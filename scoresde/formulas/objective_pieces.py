"""Pieces of a training objective read into sympy: every written symbol a plain sympy symbol named as written (fonts
dropped, the index letters t/i/n/k unified) with a role -- ``var`` (states, data, noises), ``model`` (a network's output:
ε_θ(·), s_θ(·), μ_θ(·), x̂_θ(·), D(·; σ), F_θ(·; ·), its arguments kept), ``target`` (∇ log p(·|·)), ``loss`` (a named
loss inside another one) or ``param`` (weights and schedules, positive). Used by objective_reader (the objective's
structure), guidance_reader and likelihood_reader.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List

import sympy as sp

from .atoms import GREEK, ParseError
from .latent_state import book_network_call
from .objective_text import _take_sub_sup, matching, split_top
from .parse import parse

__all__ = ["ObjectiveError", "Piece", "read_piece", "norm_name"]

class ObjectiveError(ValueError):
    """The text looks like an objective but a piece of it cannot be read (the message says which)."""


_HEAD = re.compile(
    r"(?P<head>\\(?:hat|tilde|bar|widehat|widetilde)\s*\{\s*(?:\\[a-zA-Z]+|[a-zA-Z])\s*\}|\\(?:hat|tilde|bar)\s*(?:\\[a-zA-Z]+|[a-zA-Z])"
    r"|\\(?:text|mathrm|operatorname|mathcal|mathscr)\s*\{[^{}]*\}|\\[a-zA-Z]+|[a-zA-Z])"
    r"(?P<p1>'*)(?P<sub>\s*_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\[a-zA-Z]+|[a-zA-Z0-9]))?(?P<p2>'*)(?P<sup>\^\s*(?:\{\s*[a-zA-Z]\s*\}|[a-zA-Z]))?\s*\(")
_NOT_HEADS = {"log", "exp", "sqrt", "frac", "sin", "cos", "tan", "tanh", "sinh", "cosh", "ln", "sum", "int", "prod",
              "min", "max", "left", "right", "nabla", "partial", "operatorname{tr}", "mathrm{tr}", "text{tr}", "det"}
_NABLA_LOG = re.compile(r"\\nabla\s*(?:_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\[a-zA-Z]+|[a-zA-Z]))?\s*\\log\s*")
_MAXMIN = re.compile(r"\\(max|min)\s*\(")
_VAR_BASES = {"x", "X", "z", "y", "n", "ξ", "u"}
_LOSS_HEADS = ("L", "ℓ", "𝓛", "J", "𝒥")
#: a hat on a network's output marks it as an estimate, which every network output is: ε̂_θ is ε_θ, x_θ is x̂_θ
#: (Luo 2022 writes ε̂_θ(x_t, t) and x̂_θ(x_t, t); Ho et al. 2020 ε_θ; Kingma et al. 2021 x̂_θ). A tilde is not dropped:
#: ε̃_θ is the guided prediction (Ho & Salimans 2022, Eq. 6).
_ESTIMATE = {"ε̂_θ": "ε_θ", "x_θ": "x̂_θ", "ŝ_θ": "s_θ"}


def norm_name(text: str) -> str:
    """A written name without fonts, braces and spaces, Greek letters as characters, index letters t/i/n/k -> k."""
    s = re.sub(r"\\(?:mathrm|text|operatorname|textrm|mathit)\s*\{([^{}]*)\}", r"\1", text)
    s = s.replace(r"\mathcal{L}", "𝓛").replace(r"\mathcal{J}", "𝒥").replace(r"\ell", "ℓ").replace(r"\infty", "∞")
    s = re.sub(r"\\(hat|tilde|bar|widehat|widetilde)\s*\{?\s*(\\[a-zA-Z]+|[a-zA-Z])\s*\}?",
               lambda m: _greek(m.group(2)) + {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303",
                                              "widetilde": "\u0303", "bar": "\u0304"}[m.group(1)], s)
    s = re.sub(r"\\([a-zA-Z]+)", lambda m: GREEK.get(m.group(1), m.group(1)), s)
    s = s.replace("{", "").replace("}", "").replace(" ", "").replace("\\", "")
    s = s.replace("α\u0304", "ᾱ")
    m = re.search(r"[_(\[]", s)
    if m is None:
        return s
    return s[:m.start()] + re.sub(r"(?<![A-Za-z])[tink](?![A-Za-z])", "k", s[m.start():])


def _greek(tok: str) -> str:
    return GREEK.get(tok[1:], tok[1:]) if tok.startswith("\\") else tok


@dataclass
class Piece:
    """Symbols met while reading: role of each, the network calls with their arguments."""

    roles: Dict[str, str] = field(default_factory=dict)  # symbol name -> var / model / target / loss / param
    models: Dict[str, List[List[sp.Expr]]] = field(default_factory=dict)  # model name -> argument lists
    holders: Dict[str, sp.Symbol] = field(default_factory=dict)  # placeholder atom name -> symbol
    #: in a regression objective a hat on a network's output is no other network (_ESTIMATE); in guidance it is
    #: the guided prediction (Dhariwal & Nichol 2021, Alg. 2: ε̂), so the guidance reader keeps it
    estimates: bool = False

    def sym(self, name: str, role: str) -> sp.Symbol:
        role = self.roles.setdefault(name, role)
        return sp.Symbol(name, positive=True) if role == "param" else sp.Symbol(name, real=True)


# ------------------------------------------------------------------------------------------- pieces
def _scale_not_call(text: str) -> str:
    """``w(Ω₁ − Ω₂)``, ``w\\left(…\\right)``: a one-letter weight before parentheses that hold network outputs
    (placeholders) or scores ∇log p (Luo 2022, Eq. 163: ∇log p(x_t) + γ(∇log p(x_t | y) − ∇log p(x_t))) is a product, not a function call -- nothing applies a function to a network's output in
    these formulas (Ho & Salimans 2022, Eq. 6: ε̃ = (1 + w)ε_θ(z, c) − wε_θ(z), written ε_θ(z, c) + w(ε_θ(z, c) − ε_θ(z)))."""
    out, pos = [], 0
    for m in re.finditer(r"(?<![\\A-Za-z_^{])([ws]|\\(?:gamma|omega|eta))\s*\(", text):
        depth, j = 0, m.end() - 1
        while j < len(text):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                break
            j += 1
        if "\\Omega_{ph" in text[m.end():j] or "\\nabla" in text[m.end():j]:  # network outputs or scores
            out.append(text[pos:m.end() - 1] + r"\cdot ")
            pos = m.end() - 1
    return "".join(out) + text[pos:]


def read_piece(text: str, pc: Piece) -> sp.Expr:
    """A cleaned LaTeX expression -> sympy, with network calls, scores and named functions as placeholders."""
    text = text.strip()
    if not text:
        return sp.Integer(1)
    text = _holders(text, pc)
    text = re.sub(r"\\ldots", " ", text)
    text = _scale_not_call(text)
    try:
        p = parse(text)
    except ParseError as err:
        raise ObjectiveError(f"cannot read {text!r}: {err}") from None
    if len(p.sides) != 1:
        raise ObjectiveError(f"cannot read {text!r} as one expression")
    sub = {}
    for s_, at in p.atoms.items():
        if at.base == "Ω" and at.sub.startswith("ph"):
            sub[s_] = pc.holders[at.sub]
            continue
        if at.base in ("I",) and not at.sub and at.args is None:
            sub[s_] = sp.Integer(1)
            continue
        name = norm_name(at.name)
        eps_noise = at.base == "ε" and "θ" not in at.sub and at.deco == "" and at.args is None
        role = "var" if (at.base in _VAR_BASES and at.args is None or at.base in _VAR_BASES and at.args is not None
                         and at.base in ("x", "z")) or eps_noise else "param"
        if at.base in ("L", "ℓ") and role == "param":
            role = "loss"
        if at.args is None and re.search(r"θ|φ", at.sub) and at.base in ("μ", "ε", "s", "v", "x", "D"):
            # a network's output written without its arguments (Luo 2022: μ_θ, ε̂_θ): a model, no call to compare
            name = _ESTIMATE.get(name, name) if pc.estimates else name
            pc.models.setdefault(name, [])
            sub[s_] = pc.sym("M[" + name + "]", "model")
            continue
        sub[s_] = pc.sym(name, role)
    return p.sides[0].xreplace(sub)


def _holders(text: str, pc: Piece) -> str:
    """Replace ∇log p(·), network calls and named functions f(·; ·) by placeholder symbols Ω_{phN}."""
    out, i = [], 0
    while i < len(text):
        if text.startswith(r"\sum", i) and not text[i + 4:i + 5].isalpha():
            sub, sup, j = _take_sub_sup(text, i + 4)
            out.append(_new_holder(pc, pc.sym(sum_range(sub, sup), "param")))
            i = j
            continue
        m = _MAXMIN.match(text, i) if text[i] == "\\" else None
        if m:  # max(a, b) / min(a, b) of weights (Salimans & Ho 2022, Sec. 4: max(SNR, 1))
            j = matching(text, m.end() - 1)
            parts = split_top(text[m.end():j], (",",)) if j is not None else []
            if len(parts) >= 2:
                fn = sp.Max if m.group(1) == "max" else sp.Min
                out.append(_new_holder(pc, fn(*[read_piece(a_, pc) for a_ in parts])))
                i = j + 1
                continue
        m = _NABLA_LOG.match(text, i)
        if m:
            h = _HEAD.match(text, m.end())
            if h:
                j = matching(text, h.end() - 1)
                if j is None:
                    raise ObjectiveError("unbalanced parentheses")
                name = "∇log" + norm_name(text[h.start():j + 1])
                out.append(_new_holder(pc, pc.sym(name, "target")))
                i = j + 1
                continue
        h = _HEAD.match(text, i) if (i == 0 or text[i] == "\\" or not (text[i - 1].isalpha() or text[i - 1] == "\\")) else None
        if h:
            head = h.group("head")
            bare = head.lstrip("\\")
            j = matching(text, h.end() - 1)
            if j is None:
                raise ObjectiveError("unbalanced parentheses")
            args = text[h.end():j]
            sub = h.group("sub") or ""
            primes = h.group("p1") + h.group("p2")
            sub += h.group("sup") or ""  # p^i(c | z): the implicit classifier (Ho & Salimans 2022, Sec. 3.2)
            model = bool(re.search(r"\\theta|θ|\\phi|φ", sub)) and bare not in ("p", "q", "ell") and "log" not in head
            kl = "KL" in sub or bare == "KL" or "KL" in head
            model = (model or bare in ("D", "F")) and not kl
            book = None if model or kl else book_network_call(head, split_top(args, (",", ";")))
            if book is not None:  # Bishop's g(x̃, w, t), Prince's g_t[x̃, φ_t]: the noise network (latent_state.py)
                model, head, sub, args = True, r"\epsilon", "_θ", ", ".join(book)
            special = model or primes or "|" in args or ";" in args or head.startswith(("\\text", "\\mathrm", "\\operatorname", "\\mathcal", "\\mathscr")) \
                or bare in ("ell", "lambda", "gamma", "omega") or kl or (bare == "c" and sub) or (head.startswith(("\\tilde", "\\hat", "\\widetilde")) and "," in args)
            if bare in _NOT_HEADS or head.startswith("\\mathbb"):
                special = False
            if not model and bare in ("gamma", "omega", "lambda", "eta") and "\\nabla" in args:
                special = False  # γ(∇log p(x | y) − ∇log p(x)): a weight times scores, not a function of them
            if special:
                name = norm_name(head + sub) + ("′" * len(primes))
                if model:  # D_θ and D, F_θ: one network; ε_θ keeps its θ (ε alone is noise)
                    name = re.sub(r"_[θφ]$", "", name) if bare in ("D", "F") else (_ESTIMATE.get(name, name) if pc.estimates else name)
                if model:
                    parts = split_top(args, (",", ";"))
                    pc.models.setdefault(name, []).append([read_piece(a, pc) for a in parts])
                    cond = [norm_name(a) for a in parts[1:] if re.fullmatch(r"[yc]", norm_name(a))]
                    sym = pc.sym("M[" + name + ("|" + cond[0] if cond else "") + "]", "model")
                elif kl:
                    sym = pc.sym("KL(" + norm_name(args) + ")", "loss")
                else:
                    # named losses and densities p(·|·) (in −log p_θ(x_0 | x_1)) are what an objective is made of
                    role = "loss" if norm_name(head) in _LOSS_HEADS or (bare in ("p", "q") and "|" in args) else "param"
                    sym = pc.sym(name + norm_name("(" + args + ")"), role)
                out.append(_new_holder(pc, sym))
                i = j + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


_BOUND = r"\s*(?:[a-zA-Z]|\\[a-zA-Z]+|[0-9]+)\s*"
_GT = {">": 1, "\\geq": 0, "\\ge": 0, "\\geqslant": 0, "≥": 0}
_LT = {"<": 1, "\\leq": 0, "\\le": 0, "\\leqslant": 0, "≤": 0}
_CMP = r"(<|>|≤|≥|\\(?:l|g)e(?:q|qslant)?(?![a-zA-Z]))"


def sum_range(sub: str, sup: str) -> str:
    """The name ``Σ[k=a;b]`` of a sum's range, one name for each way of writing it: ``Σ_{t=2}^{T}``, ``Σ_{t>1}``,
    ``Σ_{t≥2}``, ``Σ_{2≤t≤T}``. A range given by a lower bound alone runs to the chain's last step T (Ho et al. 2020,
    Eq. 5 writes Σ_{t>1} for t = 2, …, T); strict bounds become the next integer."""
    sub, sup = sub.strip().strip("{}").strip(), sup.strip().strip("{}").strip()
    lo = hi = None
    m = re.fullmatch(r"([a-zA-Z])\s*" + _CMP + r"\s*([0-9]+)", sub)
    if m and m.group(2) in _GT:
        lo, hi = str(int(m.group(3)) + _GT.get(m.group(2), 0)), sup or "T"
    m2 = re.fullmatch(r"([0-9]+)\s*" + _CMP + r"\s*([a-zA-Z])\s*" + _CMP + r"(" + _BOUND + r")", sub)
    if m2 and m2.group(2) in _LT and m2.group(4) in _LT and not sup:
        lo, hi = str(int(m2.group(1)) + _LT[m2.group(2)]), m2.group(5).strip()
        if _LT[m2.group(4)] and hi.isdigit():
            hi = str(int(hi) - 1)
        elif _LT[m2.group(4)]:
            lo = None  # t < T: an upper bound one below a letter, kept as written
    if lo is not None:
        return f"Σ[{norm_name('_k=' + lo)[1:]};{norm_name('_' + hi)[1:]}]"
    return f"Σ[{norm_name('_' + sub)[1:]};{norm_name('_' + sup)[1:]}]"


def _new_holder(pc: Piece, sym: sp.Symbol) -> str:
    key = f"ph{len(pc.holders)}"
    pc.holders[key] = sym
    return r" \Omega_{" + key + "} "
