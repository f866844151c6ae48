"""Text pass of the multi-time reader: the constructs of solver algorithms that the one-step reader does not
keep apart, replaced by placeholder symbols ``\\Psi_{9NN}`` whose meaning is recorded here.

* model calls ``\\epsilon_\\theta(x, t)``, ``\\mathbf{x}_\\theta(\\tilde x_{t_{i-1}}, t_{i-1})``, ``D_\\theta(\\hat x_i; \\hat t_i)``,
  ``\\hat{\\mathbf v}_\\theta(z_t)``, ``\\epsilon_\\theta^{(\\tau_i)}(x_{\\tau_i})``, ``f_\\theta^{(t)}(x_t)``: the arguments
  keep their decorations (x̂_i is not x_i) and are read as formulas of their own;
* integrals ``\\int_{a}^{b} (...) d\\lambda`` (the exact solutions, Lu et al. 2022a/b Eq. 3.4): bounds, body and
  integration variable;
* time derivatives at a time point ``\\dot\\sigma(t_i)``, ``\\dot s(t_i)`` (Karras et al. 2022, Alg. 1; Lagrange's
  ``\\sigma'(t_i)``, ``s'(t_i)`` the same) -- the
  reader would merge them with σ(t_i);
* primed symbols ``\\mathbf{d}'_i`` (Alg. 1 line 7), ``\\mathrm{SNR}(t)``, ``\\text{sigmoid}(u)`` (Kingma et al. 2021,
  Eq. 2-4), the first case of ``\\begin{cases}``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

__all__ = ["Placeholder", "prepare", "matching_paren"]

_FONT = r"(?:\\(?:mathbf|boldsymbol|bm|mathrm|mathit)\s*\{?\s*)?"  # an opening brace only after a command
_MODEL = re.compile(
    r"(?P<hat>\\(?:hat|widehat)\s*\{?\s*)?" + _FONT + r"(?P<base>\\epsilon|\\varepsilon|x|D|F|s|v|f)\s*\}?\s*\}?"
    r"\s*_\s*\{?\s*(?:\\(?:bm|boldsymbol|mathbf)\s*\{?\s*)?\\theta\s*\}?\s*\}?\s*(?:\^\s*\{\s*\(\s*(?P<sup>[^{}]*?)\s*\)\s*\})?\s*(?:\\left|\\big|\\Big|\\bigl|\\Bigl)?\s*\(")
_INT = re.compile(r"\\int\s*_\s*(?P<lo>\{(?:[^{}]|\{[^{}]*\})*\}|\\?\w+)\s*\^\s*(?P<hi>\{(?:[^{}]|\{[^{}]*\})*\}|\\?\w+)")
_DVAR = re.compile(r"(?<![a-zA-Z\\])d\s*(\\lambda|\\tau|\\sigma|\\rho|t|s|u)(?![a-zA-Z])")
_DOTF = re.compile(r"\\dot\s*\{?\s*(\\sigma|s)\s*\}?\s*(?:\\left)?\s*\(|(?<![a-zA-Z\\])(\\sigma|s)\s*(?:'|\^\s*\{?\s*\\prime\s*\}?)\s*(?:\\left)?\s*\(")
_PRIME = re.compile(r"(?P<h>(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*d\s*\}|(?<![a-zA-Z\\])d))\s*(?:'\s*_\s*(?P<a>\{[^{}]*\}|\w)|_\s*(?P<b>\{[^{}]*\}|\w)\s*')")
_SNR = re.compile(r"\\(?:mathrm|text|operatorname|textrm)\s*\{\s*SNR\s*\}\s*(?:\\left)?\s*\(")
_SIGMOID = re.compile(r"\\(?:mathrm|text|operatorname|textrm)\s*\{\s*sigmoid\s*\}\s*(?:\\left)?\s*\(|\\sigmoid\s*(?:\\left)?\s*\(")
_MIN = re.compile(r"\\min\s*(?:\\left|\\big|\\Big)?\s*\(")
_TFUN = re.compile(r"(?<![\\a-zA-Z])(\\sigma|\\lambda|s)\s*(?:\\left)?\(\s*((?:\\hat\s*\{?\s*t\s*\}?|t)\s*_\s*(?:\{[^{}]*\}|\w))\s*(?:\\right)?\)")
_DENS = re.compile(r"(?<![\\a-zA-Z])([qp])\s*(?:_\s*(?:\{[^{}]*\}|\\?[a-zA-Z]+))?\s*(?:\\left)?\(")
_DZDPHI = re.compile(r"\\frac\s*\{\s*d\s*" + _FONT + r"z\s*\}?\s*_\s*(?P<a>\{[^{}]*\}|\\phi|\w)\s*\}\s*\{\s*d\s*(?P<b>\\phi(?:\s*_\s*(?:\{[^{}]*\}|\w))?)\s*\}")
_GRAD = re.compile(r"\\nabla\s*_\s*(?P<v>\{(?:[^{}]|\{[^{}]*\})*\}|\w)\s*\\log\s*(?P<d>[pq])\s*(?:_\s*(?P<t>\{[^{}]*\}|\w))?\s*(?:\\left)?\(")
_CASES = re.compile(r"\\begin\s*\{\s*cases\s*\}(?P<body>.*?)(?:\\end\s*\{\s*cases\s*\}|$)", re.S)


@dataclass
class Placeholder:
    """What ``\\Psi_{key}`` stands for: kind "model" (base ε/x/D/F/s/v/f, hat, args, sup), "integral" (lo, hi, body,
    var), "dot" (σ̇ or ṡ at args[0]), "prime" (d'_sub), "snr" (args[0])."""

    kind: str
    base: str = ""
    hat: bool = False
    args: List[str] = field(default_factory=list)
    sup: str = ""
    lo: str = ""
    hi: str = ""
    body: str = ""
    var: str = ""


def matching_paren(text: str, i: int) -> Optional[int]:
    """Index of the ``)`` closing the ``(`` at ``text[i]`` (braces and brackets nest), or None."""
    depth = 0
    for j in range(i, len(text)):
        c = text[j]
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
            if depth == 0:
                return j if c == ")" else None
    return None


def _split_args(inner: str) -> List[str]:
    out, depth, cur = [], 0, ""
    for c in inner:
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        if depth == 0 and c in ",;":
            out.append(cur)
            cur = ""
        else:
            cur += c
    out.append(cur)
    return [re.sub(r"\\right\s*$|\\(?:big|Big|bigr|Bigr)\s*$", "", a_).strip() for a_ in out]


def _strip_braces(s: str) -> str:
    s = s.strip()
    return s[1:-1] if s.startswith("{") and s.endswith("}") else s


class _Builder:
    def __init__(self) -> None:
        self.table: Dict[str, Placeholder] = {}

    def key(self, ph: Placeholder) -> str:
        k = str(901 + len(self.table))
        self.table[k] = ph
        return r"\Psi_{" + k + "}"


def _calls(text: str, pat: "re.Pattern[str]", make, b: _Builder) -> str:
    """Replace every ``head(...)`` matched by ``pat`` (innermost first via repetition) with a placeholder."""
    for _ in range(60):
        m = None
        for m_ in pat.finditer(text):
            m = m_  # the last match: calls nested in arguments come later in the text
        if m is None:
            return text
        close = matching_paren(text, m.end() - 1)
        if close is None:
            return text
        args = _split_args(text[m.end():close])
        text = text[:m.start()] + make(m, args, b) + text[close + 1:]
    return text


def prepare(text: str) -> Tuple[str, Dict[str, Placeholder]]:
    """The text with the constructs above replaced by ``\\Psi_{9NN}``, and what each placeholder stands for."""
    b = _Builder()
    text = re.sub(r"\\(?:mathrm|text|operatorname|textrm)\s*\{\s*e\s*\}", "e", text)  # \mathrm{e}^{h}
    m = _CASES.search(text)
    if m:  # the first case (the condition after & is prose for the reader)
        first = re.split(r"\\\\", m.group("body"))[0].split("&")[0]
        text = text[:m.start()] + "{" + first + "}" + text[m.end():]
    text = _integrals(text, b)
    text = _DZDPHI.sub(lambda m_: b.key(Placeholder("dzdphi", args=[m_.group("b")])) if _same_angle(m_) else m_.group(0), text)
    text = _calls(text, _SIGMOID, lambda m_, a_, b_: r"\frac{1}{1+e^{-(" + a_[0] + ")}}", b)
    text = _calls(text, _MIN, lambda m_, a_, b_: b_.key(Placeholder("min", args=a_)), b)
    text = _calls(text, _SNR, lambda m_, a_, b_: b_.key(Placeholder("snr", args=a_)), b)
    text = _calls(text, _DOTF, lambda m_, a_, b_: b_.key(Placeholder("dot", base=(m_.group(1) or m_.group(2)).lstrip("\\"), args=a_)), b)
    text = _calls(text, _GRAD, _grad, b)
    text = _calls(text, _MODEL, lambda m_, a_, b_: b_.key(Placeholder(
        "model", base=m_.group("base").lstrip("\\").replace("varepsilon", "epsilon"), hat=bool(m_.group("hat")),
        args=a_, sup=(m_.group("sup") or "").strip())), b)
    text = _calls(text, _DENS, _density, b)
    text = _TFUN.sub(lambda m_: b.key(Placeholder("tfun", base=m_.group(1).lstrip("\\"), args=[m_.group(2)])), text)
    text = _PRIME.sub(lambda m_: b.key(Placeholder("prime", base="d", args=[_strip_braces(m_.group("a") or m_.group("b"))])), text)
    return text, b.table


def _grad(m, args: List[str], b: _Builder) -> str:
    """∇_y log q_t(y): the score at the state y, read as the score form of the model output at (y, t) (the
    definitional conversions of the vocabulary; Song et al. 2021, Eq. 6 ff.). The gradient variable must be y
    itself or its plain letter (∇_x log q_t(x_t))."""
    var = _strip_braces(m.group("v"))
    y = args[0] if len(args) == 1 else ""
    plain = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s*\{\s*(\w)\s*\}", r"\1", var).strip()
    ystem = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s*\{\s*(\w)\s*\}", r"\1", y).strip()
    if not y or "|" in y or not (var.replace(" ", "") == y.replace(" ", "") or re.fullmatch(r"[xz]", plain) and ystem.startswith(plain)):
        return b.key(Placeholder("unreadable"))  # another gradient: the vocabulary gives it no meaning
    t = _strip_braces(m.group("t")) if m.group("t") else ""
    return b.key(Placeholder("model", base="s", args=[y] + ([t] if t else [])))


def _same_angle(m) -> bool:
    """dz_φ/dφ: the derivative is taken in the angle that labels z (Salimans & Ho 2022, Sec. 4)."""
    return _strip_braces(m.group("a")).replace(" ", "") == m.group("b").replace(" ", "")


def _density(m, args: List[str], b: _Builder) -> str:
    """q(z | y, x): the variable z (before the bar) and the conditions."""
    joined = ",".join(args)
    depth, cut = 0, -1
    for k, c in enumerate(joined):
        depth += c in "({[" and 1 or (c in ")}]" and -1 or 0)
        if c == "|" and depth == 0:
            cut = k
            break
    if cut < 0:
        return b.key(Placeholder("density", args=[joined.strip()]))
    return b.key(Placeholder("density", args=[joined[:cut].strip()], body=joined[cut + 1:].strip()))


def _balanced(s: str) -> bool:
    return s.count("{") == s.count("}") and s.count("(") == s.count(")")


def _integrals(text: str, b: _Builder) -> str:
    for _ in range(8):
        m = _INT.search(text)
        if m is None:
            return text
        d = next((d_ for d_ in _DVAR.finditer(text, m.end()) if _balanced(text[m.end():d_.start()])), None)
        if d is None:  # the differential is the first d-variable outside braces (not the dλ_τ of a dλ_τ/dτ factor)
            return text
        body = text[m.end():d.start()].strip()
        body = re.sub(r"(\\[,;:!]|\\q?quad|\s)+$", "", body)
        ph = Placeholder("integral", lo=_strip_braces(m.group("lo")), hi=_strip_braces(m.group("hi")), body=body,
                         var=d.group(1).lstrip("\\"))
        text = text[:m.start()] + "(" + b.key(ph) + ")" + text[d.end():]
    return text
