"""EDM's training distribution of noise levels: ln σ ∼ N(P_mean, P_std²) (Karras et al. 2022, Table 1 "ours" and
Sec. 5: P_mean = −1.2, P_std = 1.2), as notes and code write it:

* ``\\ln\\sigma \\sim \\mathcal{N}(P_{\\text{mean}}, P_{\\text{std}}^2)`` (or ``\\log``, or the published numbers);
* ``\\sigma = \\exp(P_{\\text{mean}} + P_{\\text{std}}\\,z)``, z ∼ N(0, 1) (a log-normal draw), and NVlabs/edm's
  training/loss.py ``sigma = (rnd_normal * self.P_std + self.P_mean).exp()`` with ``rnd_normal = torch.randn(...)``.

The claim is judged by the law of ln σ it states: its mean must be P_mean and its variance P_std² (a standard deviation
where the variance belongs, σ instead of ln σ, or mean and spread swapped are ``inconsistent``, term ``rhs``). The
law of the written draw is read exactly: P_mean + P_std z with z standard normal has mean P_mean and variance P_std².
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

import sympy as sp
from tokenize import TokenError

from .verdict import Verdict

__all__ = ["judge_noise_draw"]

_SRC = "Karras et al. 2022 (EDM), Table 1 (ours: ln(σ) ∼ N(P_mean, P_std²)) and Sec. 5 (P_mean = −1.2, P_std = 1.2)"
PM, PS = sp.Symbol("P_mean", real=True), sp.Symbol("P_std", positive=True)
_Z = sp.Symbol("z", real=True)
_WRAP = re.compile(r"\\(?:text|mathrm|operatorname|mathit)\s*\{\s*([^{}]*)\s*\}")
_P = re.compile(r"P\s*_\s*\{?\s*(mean|std)\s*\}?")
_LAW = re.compile(r"^\s*(?P<lhs>(?:\\(?:ln|log)\s*)?(?:\\left\s*)?\(?\s*\\sigma\s*\)?(?:\\right\s*\))?)\s*\\sim\s*"
                  r"\\mathcal\s*\{?\s*N\s*\}?\s*(?:\\left\s*)?\((?P<args>.*)\)(?:\\right)?\s*[.,]?\s*$", re.S)
_CODE = re.compile(r"^\s*sigma\s*=\s*\(\s*(?P<body>[^()]*)\)\s*\.\s*exp\s*\(\s*\)\s*$|^\s*sigma\s*=\s*(?:torch\s*\.\s*|np\s*\.\s*)?exp\s*\(\s*(?P<body2>[^()]*)\)\s*$")
_EXP = re.compile(r"^\s*\\sigma\s*=\s*(?:\\exp\s*(?:\\left\s*)?\(|e\s*\^\s*\{)(?P<body>.*?)(?:\\right\s*)?[)}]\s*"
                  r"(?:,\s*(?:\\quad\s*)?(?P<z>[a-z]|\\epsilon|\\varepsilon|\\xi)\s*\\sim\s*\\mathcal\s*\{?\s*N\s*\}?\s*\(\s*0\s*,\s*1\s*\))?\s*$", re.S)


def _expr(text: str) -> Optional[sp.Expr]:
    s = _WRAP.sub(r"\1", text)
    s = _P.sub(lambda m: "P_" + m.group(1), s)
    s = re.sub(r"self\s*\.\s*", "", s)
    s = re.sub(r"\\left|\\right|\\,|\\;|\\!|\s+", " ", s)
    s = re.sub(r"\^\s*\{\s*([^{}]*)\s*\}", r"**(\1)", s).replace("^", "**")
    s = re.sub(r"\\(?:cdot|times)", "*", s)
    s = re.sub(r"\\(?:epsilon|varepsilon|xi)|rnd_normal|(?<![A-Za-z_])n(?![A-Za-z_])", " z ", s)
    if re.search(r"\\|[{}]", s) or len(s) > 200:
        return None
    from sympy.parsing.sympy_parser import implicit_multiplication, parse_expr, standard_transformations

    try:
        e = parse_expr(s, local_dict={"P_mean": PM, "P_std": PS, "z": _Z},
                       transformations=standard_transformations + (implicit_multiplication,))
    except (sp.SympifyError, SyntaxError, TypeError, TokenError):
        return None
    return e if e.free_symbols <= {PM, PS, _Z} else None


def _law(text: str) -> Optional[Tuple[sp.Expr, sp.Expr, str]]:
    """(mean, variance, what is drawn) of ln σ as the text states it, or None."""
    m = _LAW.match(text)
    if m:
        args = [a for a in re.split(r",(?![^()]*\))", m.group("args"))]
        if len(args) != 2:
            return None
        mean, var = _expr(args[0]), _expr(args[1])
        if mean is None or var is None:
            return None
        logged = re.match(r"\s*\\(?:ln|log)", m.group("lhs")) is not None
        return mean, var, "ln σ" if logged else "σ"
    m = _CODE.match(text) or _EXP.match(text)
    if m:
        body = _expr(m.group("body") if m.group("body") is not None else m.group("body2"))
        if body is None or _Z not in body.free_symbols or not sp.Poly(body, _Z).degree() == 1:
            return None
        a, b = sp.Poly(body, _Z).all_coeffs()  # body = a z + b with z ∼ N(0, 1)
        return b, a**2, "ln σ"
    return None


_CONST = re.compile(r"^\s*P\s*_\s*(?:\{\s*)?(?:\\(?:text|mathrm)\s*)?\{?\s*(mean|std)\s*\}?\s*\}?\s*=\s*(-?\s*\d+(?:\.\d+)?)\s*$")
_PUBLISHED = {"mean": -1.2, "std": 1.2}


def _constants(parts) -> Optional[dict]:
    out = {}
    for q in parts:
        m = _CONST.match(re.sub(r"^(?:\s|\\[,;:! ]|\\q?quad)+", "", q))
        if not m:
            return None
        out[m.group(1)] = float(m.group(2).replace(" ", ""))
    return out


def judge_noise_draw(text: str) -> Optional[Verdict]:
    """The verdict of a claim stating EDM's training law of σ, or None when the text is not one."""
    if "P" not in text and "1.2" not in text:
        return None
    got = _law(text)
    consts: dict = {}
    if got is None and r"\sim" in text:  # the law with its constants beside it: … , \quad P_mean = −1.2, P_std = 1.2
        from .tokens import split_equations

        parts = split_equations(text)
        got = _law(parts[0]) if len(parts) > 1 else None
        consts = _constants(parts[1:]) if got is not None else None
        if consts is None:
            return None
    if got is None:
        return None
    mean, var, drawn = got
    if not ({PM, PS} & (mean.free_symbols | var.free_symbols)) and not (mean.is_number and var.is_number):
        return None
    published = mean.is_number and var.is_number
    want_m, want_v = (sp.Rational(-6, 5), sp.Rational(36, 25)) if published else (PM, PS**2)
    same = drawn == "ln σ" and sp.simplify(sp.nsimplify(mean) - want_m) == 0 and sp.simplify(sp.nsimplify(var) - want_v) == 0
    found = f"{drawn} ∼ N({_show(mean)}, {_show(var)})"
    other = {k: v for k, v in consts.items() if abs(v - _PUBLISHED[k]) > 1e-12}
    if same and other:
        return Verdict(text, "consistent", f"EDM's training law ln σ ∼ N(P_mean, P_std²) ({_SRC}) with other constants ("
                       + ", ".join(f"P_{k} = {v:g}" for k, v in other.items()) + "): a valid choice, not the published one",
                       claim="EDM noise-level distribution", target="edm.noise_draw", terms=["rhs"])
    if same:
        return Verdict(text, "exact", f"identical to EDM's training noise levels ln σ ∼ N(P_mean, P_std²) ({_SRC}): "
                       f"read as {found}", claim="EDM noise-level distribution", target="edm.noise_draw")
    return Verdict(text, "inconsistent", f"differs from EDM's training noise levels ({_SRC}): expected ln σ ∼ "
                   f"N({_show(want_m)}, {_show(want_v)}), found {found}", claim="EDM noise-level distribution",
                   target="edm.noise_draw", terms=["rhs"])


def _show(e: sp.Expr) -> str:
    e = sp.nsimplify(e) if e.is_number else e
    return sp.sstr(e).replace("**", "^").replace("*", "·")
