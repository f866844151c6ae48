"""LaTeX (and plain math) -> sympy, for the formulas diffusion-model papers and blogs write.

A small recursive-descent parser written for this domain instead of ``sympy.parsing.latex``:
that parser needs a pinned antlr4 runtime (or lark) and reads ``\\beta(t)`` as ``beta*t`` and
``s_\\theta(x_i)`` as a product, whereas here function application, decorated symbols
(``\\bar{\\alpha}_{t-1}``), differentials (``dx``, ``dt``, ``dw``, ``d\\bar{w}``), derivatives
(``\\frac{d[\\sigma(t)^2]}{dt}``), ``\\mathcal{N}(x; m, v)``, norms, integrals and products are
first-class. The parser does not decide what a symbol *means*: every symbol becomes an
:class:`Atom` (base, decoration, subscript, superscript, arguments) behind a sympy ``Symbol``;
:mod:`scoresde.formulas.check` maps atoms to the canonical symbols of the registry.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import sympy as sp

from .atoms import DDT, DT, DW, DWBAR, DX, FUNCS, GREEK, NORMAL, SKIP, SPACING, Atom, Parsed, ParseError  # noqa: F401
from .bounds import safe_pow
from .code_latex import code_to_latex
from .parse_constructs import ConstructRules
from .parse_partial import trace_of_jacobian
from .parse_symbols import SymbolRules
from .parse_time import _time_args_as_index
from .tokens_pass import prepare_tokens
from .tokens import Tok, _norm_script, _tok_text, _tokenize, looks_plain, plain_to_latex, split_alternatives, split_equations

__all__ = ["Atom", "Parsed", "ParseError", "parse", "split_alternatives", "split_equations", "plain_to_latex",
           "DX", "DT", "DW", "DWBAR", "NORMAL", "DDT"]


# ----------------------------------------------------------------------------- parser
class _Parser(SymbolRules, ConstructRules):
    def __init__(self, toks: List[Tok], text: str):
        self.toks = toks
        self.i = 0
        self.text = text
        self.atoms: Dict[sp.Symbol, Atom] = {}
        self.issues: List[str] = []  # problems found while reading (division by a literal zero)

    # -- helpers
    def peek(self, k: int = 0) -> Optional[Tok]:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def next(self) -> Tok:
        t = self.peek()
        if t is None:
            raise ParseError("unexpected end of formula")
        self.i += 1
        return t

    def accept(self, kind: str, val: Optional[str] = None) -> Optional[Tok]:
        t = self.peek()
        if t is not None and t.kind == kind and (val is None or t.val == val):
            self.i += 1
            return t
        return None

    def expect(self, kind: str, val: str) -> Tok:
        t = self.accept(kind, val)
        if t is None:
            got = self.peek()
            raise ParseError(f"expected {val!r}, found {got.val if got else 'end of formula'!r}")
        return t

    def skip_spacing(self):
        while True:
            t = self.peek()
            if t is not None and t.kind == "cmd" and (t.val in SKIP or t.val in SPACING):
                self.i += 1
            else:
                return

    def atom_symbol(self, atom: Atom) -> sp.Symbol:
        sym = sp.Symbol(atom.name, real=True)
        self.atoms[sym] = atom
        return sym

    # -- grammar
    def relation(self) -> Tuple[List[sp.Expr], str]:
        sides = [self.expr()]
        rel = ""
        while True:
            self.skip_spacing()
            t = self.peek()
            if t is None:
                break
            if (t.kind == "op" and t.val in ("=", "~")) or (t.kind == "cmd" and t.val in ("approx", "sim", "coloneqq", "triangleq", "equiv", "doteq", "simeq", "propto")):
                self.i += 1
                r = "~" if t.val in ("~", "sim") else "="
                if t.val == "propto":
                    r = self._proportional_density(sides)
                if rel and rel != r:
                    raise ParseError("mixed '=' and '~' in one formula")
                rel = r
                sides.append(self.expr())
                continue
            if t.kind == "op" and t.val in (")", "]", "}"):
                raise ParseError(f"unbalanced {t.val!r}")
            raise ParseError(f"cannot read {t.val!r} here")
        return sides, rel

    def expr(self) -> sp.Expr:
        self.skip_spacing()
        terms: List[sp.Expr] = []
        sign = 1
        if self.accept("op", "-"):
            sign = -1
        elif self.accept("op", "+") or self.accept("cmd", "pm"):
            sign = 1
        terms.append(sign * self.product())
        while True:
            self.skip_spacing()
            if self.accept("op", "+") or self.accept("cmd", "pm"):
                terms.append(self.product())
            elif self.accept("op", "-") or self.accept("cmd", "mp"):
                terms.append(-self.product())
            else:
                break
        return sp.Add(*terms)

    def _starts_factor(self) -> bool:
        t = self.peek()
        if t is None:
            return False
        if t.kind in ("num", "let", "word"):
            return True
        if t.kind == "op":
            if t.val in ("||", "|"):
                return self._in_norm == 0 and (t.val == "||" or self._abs_ahead())
            return t.val in ("(", "[", "{")
        if t.kind == "cmd":
            if t.val in ("|", "Vert", "lVert"):
                return self._in_norm == 0
            return t.val not in ("right", "approx", "sim", "pm", "mp", "quad", "qquad", "coloneqq", "triangleq",
                                 "equiv", "doteq", "simeq", "propto", "mid", "}", "|", "rangle") and t.val not in SPACING
        return False

    _in_norm = 0

    def product(self) -> sp.Expr:
        f = self.power()
        while True:
            self.skip_spacing()
            t = self.peek()
            if t is None:
                break
            if (t.kind == "op" and t.val == "*") or (t.kind == "cmd" and t.val in ("cdot", "times", "ast")):
                self.i += 1
                if t.kind == "cmd" and t.val == "cdot" and isinstance(f, sp.Symbol) and f.name == "∇":
                    f = self._divergence()
                    continue
                f = f * self.power()
            elif t.kind == "op" and t.val == "/":
                self.i += 1
                start = self.i
                den = self.power()
                if den.is_zero:
                    self.issues.append("division by zero: the denominator " + _tok_text(self.toks[start:self.i]) + " equals 0")
                else:
                    f = f / den
            elif self._starts_factor():
                f = f * self.power()
            else:
                break
        return f

    def _divergence(self) -> sp.Expr:
        inner = self.power()
        return self.atom_symbol(Atom("div", args=(sp.sstr(inner),)))

    def power(self) -> sp.Expr:
        base = self.postfix()
        self.skip_spacing()
        if self.accept("op", "^"):
            e = self.group_or_single()
            base = safe_pow(base, e)
            self.skip_spacing()
            if self.peek() and self.peek().kind == "op" and self.peek().val == "'":
                raise ParseError("prime after power")
        return base

    def group_or_single(self) -> sp.Expr:
        """The argument of ^ or _ : a braced group or one token."""
        self.skip_spacing()
        for o, c in (("{", "}"), ("(", ")")):  # x^{…}; x^(…) as typed in plain math: the bracket is the exponent
            if self.accept("op", o):
                e = self.expr()
                self.skip_spacing()
                self.expect("op", c)
                return e
        t = self.next()
        if t.kind == "num":
            return sp.Integer(int(t.val[0])) if len(t.val) > 1 and "." not in t.val else sp.nsimplify(t.val)
        if t.kind == "let":
            return self.atom_symbol(Atom(t.val))
        if t.kind == "cmd" and t.val in GREEK:
            return self.atom_symbol(Atom(GREEK[t.val]))
        if t.kind == "op" and t.val == "-":
            return -self.group_or_single()
        if t.kind == "cmd":
            self.i -= 1
            return self.postfix()
        raise ParseError(f"cannot read exponent {t.val!r}")

    def raw_group(self) -> str:
        """Read a subscript/superscript as normalised text (a braced group or one token)."""
        return _norm_script(self._braced_tokens())

    def postfix(self) -> sp.Expr:
        """A primary followed by subscripts / superscript labels / an argument list."""
        self.skip_spacing()
        t = self.peek()
        if t is None:
            raise ParseError("unexpected end of formula")
        if t.kind == "cmd" and t.val in ("mathcal", "mathscr") and self._is_N_after():
            self.i += 1
            return self.normal()
        if self._bare_normal():
            return self.normal()
        sym_atom = self.symbol_atom()
        if sym_atom is None:
            return self.primary()
        atom = sym_atom
        # subscripts and (non-power) superscripts
        power = None
        while True:
            self.skip_spacing()
            if self.accept("op", "_"):
                sub = self.raw_group()
                atom = Atom(atom.base, atom.deco, (atom.sub + "," + sub) if atom.sub else sub, atom.sup, None, atom.font)
                continue
            nt = self.peek()
            if nt is not None and nt.kind == "op" and nt.val == "'":
                # a prime names another quantity (d'_i, d_i', x'): the label ′, wherever it is written
                self.i += 1
                atom = Atom(atom.base, atom.deco, atom.sub, atom.sup + "′", None, atom.font)
                continue
            if nt is not None and nt.kind == "op" and nt.val == "^":
                # ^{(t)} or ^{*} or ^{\star} are labels; anything else is a power
                save = self.i
                self.i += 1
                lab = self.raw_group()
                it = _ITER_PAREN.match(lab.replace(" ", ""))
                if atom.base in ("x", "X", "z", "ε", "ξ") and not atom.sup and it:
                    # x_t^{(i)}, x^{(i+1)} (Song 2019 blog; Yang et al. 2023, Sec. 2.1: annealed Langevin's inner loop):
                    # a bracketed superscript on a state (or its noise draw) is the iteration index, the subscript is fixed
                    idx = ("m" if it.group(1) in ("\\tau", "τ") else it.group(1)) + (it.group(2) or "")
                    atom = Atom(atom.base, atom.deco, idx, "", None, atom.font)
                    continue
                if (lab in ("(t)", "(i)", "*", "⋆", "θ", "T", "(k)", "(n)") and not (lab == "T" and atom.base in ("x", "z"))
                        or atom.base in ("p", "q") and not atom.deco and lab.isalpha() and self._peek_call()):
                    # p^i(c | z): a label naming the density (Ho & Salimans 2022, Eq. 6's implicit classifier)
                    atom = Atom(atom.base, atom.deco, atom.sub, lab, None, atom.font)
                    continue
                star_pow = re.fullmatch(r"([*⋆])(\d)", lab)
                if star_pow and power is None and not atom.sup:
                    # σ_n^{*2} = (σ_n^*)²: the optimal quantity's label and a power in one group (Bao et al. 2022, Thm. 1)
                    atom, power = Atom(atom.base, atom.deco, atom.sub, star_pow.group(1), None, atom.font), sp.Integer(star_pow.group(2))
                    continue
                if lab in ("-1", "−1") and atom.base == "σ" and not atom.sub and self._one_symbol_call():
                    # σ^{-1}(σ): the inverse of the noise schedule (EDM, Table 1); σ^{-1}(x − μ), x^{-1}(a) stay powers
                    self.i += 3 if self.toks[self.i].val == "(" else 5
                    atom = Atom(atom.base, atom.deco, atom.sub, "-1", ("σ",), atom.font)
                    break
                if atom.base in ("x", "X", "z") and atom.sub and not atom.sup and _ITER.match(lab):
                    # x_i^m, x_i^{m-1}, z_i^m (Song et al. 2021, Eq. 2 and Alg. 4-5): the superscript is the inner
                    # (iteration) index and the step runs over it; the subscript (the noise level) is fixed
                    atom = Atom(atom.base, atom.deco, lab, "", None, atom.font)
                    continue
                after = self.peek()
                if power is None and (self._peek_call() or (after is not None and after.kind == "op" and after.val == "_")):
                    # σ^2(t), and σ^2_t = σ_t^2 (LaTeX puts the scripts in either order)
                    self.i = save + 1
                    power = self.group_or_single()
                    continue
                self.i = save
            break
        if atom.base == "E" and atom.font == "mathbb" and self._peek_bracket() and self._bracket_has_bar():
            atom = Atom(atom.base, atom.deco, atom.sub, atom.sup, tuple(self.arglist("[")), atom.font)  # 𝔼[a | b]
        # function application
        if self._peek_call() and self._applicable(atom):
            args = self.arglist()
            atom = Atom(atom.base, atom.deco, atom.sub, atom.sup, tuple(args), atom.font)
        if atom.base == "e" and not atom.sub and atom.args is None and atom.font not in ("mathbf", "boldsymbol", "bm", "pmb"):
            e = sp.E
        elif atom.base == "d_OP":  # the differential operator applied to a group
            e = atom.font  # placeholder, handled in primary
        else:
            e = self.atom_symbol(atom)
        if power is not None:
            e = safe_pow(e, power)
        return e

    def _one_symbol_call(self) -> bool:
        """Whether ``(\\sigma)`` / ``\\left(\\sigma\\right)`` comes next (the argument of EDM's σ⁻¹)."""
        v = [t.val for t in self.toks[self.i:self.i + 5]]
        if v[:1] == ["("] and len(v) >= 3 and v[2] == ")":
            tok = self.toks[self.i + 1]
        elif v[:2] == ["left", "("] and len(v) >= 5 and v[3:5] == ["right", ")"]:
            tok = self.toks[self.i + 2]
        else:
            return False
        return tok.kind == "cmd" and tok.val == "sigma"

    def primary(self) -> sp.Expr:
        self.skip_spacing()
        t = self.next()
        if t.kind == "num":
            return sp.nsimplify(t.val)
        if t.kind == "let" and t.val == "d":
            return self.differential()
        if t.kind == "op":
            if t.val == "(":
                e = self.expr()
                self.skip_spacing()
                self.expect("op", ")")
                return e
            if t.val == "[":
                e = self.expr()
                self.skip_spacing()
                self.expect("op", "]")
                return e
            if t.val == "{":
                e = self.expr()
                self.skip_spacing()
                self.expect("op", "}")
                return e
            if t.val in ("||", "|"):
                return self.norm(t.val)
            raise ParseError(f"cannot read {t.val!r} here")
        if t.kind == "cmd":
            v = t.val
            if v == "left":
                self.skip_spacing()
                o = self.next()
                close = {"(": ")", "[": "]", "{": "}", "|": "|", "||": "||", "lVert": "rVert", "Vert": "Vert", "langle": "rangle", ".": "."}.get(o.val)
                if close is None:
                    raise ParseError(f"cannot read \\left{o.val}")
                if o.val in ("|", "||", "lVert", "Vert"):
                    inner = self.expr()
                    self.skip_spacing()
                    self.expect("cmd", "right")
                    self.next()
                    return self._norm_of(inner, "||" if o.val != "|" else "|")
                inner = self.expr()
                self.skip_spacing()
                self.expect("cmd", "right")
                self.next()
                return inner
            if v in ("frac", "dfrac", "tfrac", "cfrac"):
                return self.frac()
            if v == "sqrt":
                self.skip_spacing()
                n = 2
                if self.accept("op", "["):
                    n = self.expr()
                    self.expect("op", "]")
                self.skip_spacing()
                if self.accept("op", "{"):
                    e = self.expr()
                    self.expect("op", "}")
                elif self.peek() and self.peek().kind == "op" and self.peek().val == "(":
                    self.next()
                    e = self.expr()
                    self.expect("op", ")")
                else:
                    e = self.postfix()
                return sp.root(e, n) if n != 2 else sp.sqrt(e)
            if v in FUNCS:
                return self.func(FUNCS[v])
            if v == "pi":
                return sp.pi
            if v == "infty":
                return sp.oo
            if v in ("nabla",):
                return self.nabla()
            if v in ("int", "intop"):
                return self.integral()
            if v in ("prod", "sum"):
                return self.bigop(v)
            if v in ("|", "Vert", "lVert", "|"):
                return self.norm("||")
            if v in ("mathcal", "mathscr") and self.peek() and self._is_N():
                return self.normal()
            if v == "partial":
                raise ParseError("partial derivatives are not supported")
            if v in ("mathbb",):
                raise ParseError("\\mathbb{...} (expectations) is not supported")
            raise ParseError(f"unknown command \\{v}")
        if t.kind in ("let", "word"):
            return self.atom_symbol(Atom(t.val))
        raise ParseError(f"cannot read {t.val!r}")


def parse(text: str) -> Parsed:
    """Parse one formula (an equation, a chain ``a = b = c``, ``x ~ N(...)`` or an expression)."""
    src = text.replace("$", " ").strip()
    if not src:
        raise ParseError("empty formula")
    if looks_plain(src):
        code = code_to_latex(src)  # Python code, by Python's grammar; else the plain-math transliteration
        src = code if code is not None and ";" not in code else plain_to_latex(src)
    toks = prepare_tokens(_tokenize(src))
    p = _Parser(toks, src)
    p._diff_ok_paren = True
    sides, rel = p.relation()
    sides = _time_args_as_index(sides, p.atoms)
    sides = [trace_of_jacobian(s_, p.atoms) for s_ in sides]
    return Parsed(text=text, sides=sides, atoms=p.atoms, relation=rel, issues=list(dict.fromkeys(p.issues)))


_ITER = re.compile(r"^[jmnkl](?:[+-]\d)?$")
#: (τ) too: Bishop & Bishop 2024 (Eq. 14.61, 20.?) count Langevin iterations z^{(τ)}; it is read as the inner index m
_ITER_PAREN = re.compile(r"^\(([ijmnkl]|\\tau|τ)([+-]\d)?\)$")
