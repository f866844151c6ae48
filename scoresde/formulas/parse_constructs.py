"""The parser's compound constructs: N(x; m, v), fractions, functions, nabla, differentials, integrals,
sums/products and norms (mixin of the parser)."""
from __future__ import annotations

import re
from typing import List, Optional

import sympy as sp

from .atoms import DDT, DECORATIONS, DT, DW, DWBAR, DX, FONTS, GREEK, NORMAL, SPACING, Atom, ParseError
from .bounds import safe_pow
from .parse_partial import partial_fraction
from .tokens import Tok, _tok_text


def _bare(name: str) -> str:
    """A variable's name without fonts, braces and spaces (x_{t-1} and \\bm{x}_t-1 are one variable)."""
    return re.sub(r"\\(?:bm|mathbf|boldsymbol)|[{} ]", "", name)


class ConstructRules:
    """Mixin of :class:`scoresde.formulas.parse._Parser`: the constructs that are more than a symbol."""

    def _proportional_density(self, sides: List[sp.Expr]) -> str:
        """p(y | …) ∝ N(y; μ, Σ): a density proportional to a Gaussian in its variable has that Gaussian's mean and
        covariance (the constant does not depend on y; Luo 2022, Eq. 71-84), read as '∼' (the density is the Gaussian).
        Any other proportionality states no value and is not read."""
        save = self.i
        right = self.expr()
        self.i = save
        at = self.atoms.get(sides[-1]) if len(sides) == 1 and isinstance(sides[-1], sp.Symbol) else None
        if (at is None or at.base not in ("p", "q") or not at.args or not isinstance(right, sp.Function)
                or right.func != NORMAL or _bare(sp.sstr(right.args[0])) != _bare(at.args[0])):
            raise ParseError("'\\propto' is read only between a density p(y | …) and a Gaussian N(y; μ, Σ) in its variable")
        return "~"

    def _is_N_after(self) -> bool:
        self.i += 1
        try:
            return self._is_N()
        finally:
            self.i -= 1

    def _is_N(self) -> bool:
        j = self.i
        toks = self.toks
        if j < len(toks) and toks[j].kind == "op" and toks[j].val == "{":
            return j + 1 < len(toks) and toks[j + 1].val == "N"
        return j < len(toks) and toks[j].val == "N"

    def normal(self) -> sp.Expr:
        if self.accept("op", "{"):
            self.expect("let", "N")
            self.expect("op", "}")
        else:
            self.expect("let", "N")
        self.skip_spacing()
        self.accept("cmd", "left")
        self.expect("op", "(")
        parts, cur = [], []
        depth = 0
        # split on top-level ';' and ','
        while True:
            t = self.next()
            if t.kind == "op" and t.val in ("(", "[", "{"):
                depth += 1
            elif t.kind == "op" and t.val in (")", "]", "}"):
                if depth == 0:
                    break
                depth -= 1
            elif t.kind == "cmd" and t.val == "right" and depth == 0:
                continue
            if depth == 0 and t.kind == "op" and (t.val in (";", ",") or (t.val == "|" and not parts)):
                # N(x; μ, Σ), N(μ, Σ) and N(x | μ, Σ)
                parts.append(cur)
                cur = []
                continue
            cur.append(t)
        parts.append(cur)
        exprs = [self._sub_parse(p) for p in parts if p]
        if len(exprs) == 2:
            return NORMAL(sp.Symbol("_"), exprs[0], exprs[1])
        if len(exprs) == 3:
            return NORMAL(*exprs)
        raise ParseError("N(...) needs (mean, cov) or (x; mean, cov)")

    def _sub_parse(self, toks: List[Tok]) -> sp.Expr:
        p = type(self)(toks, self.text)
        p.atoms = self.atoms
        e = p.expr()
        p.skip_spacing()
        if p.peek() is not None:
            raise ParseError(f"cannot read {p.peek().val!r} inside N(...)")
        return e

    def frac(self) -> sp.Expr:
        self.skip_spacing()
        num_toks = self._braced_tokens()
        den_toks = self._braced_tokens()
        got = partial_fraction(self, num_toks, den_toks)
        if got is not None:
            return got
        den_vals = [t.val for t in den_toks if not (t.kind == "cmd" and t.val in SPACING)]
        if den_vals in (["d", "t"], ["d", "s"], ["d", "τ"], ["d", "tau"]) and num_toks and num_toks[0].val == "d":
            var = self.atom_symbol(Atom("t" if den_vals[1] == "t" else den_vals[1]))
            rest = num_toks[1:]
            if not rest:  # \frac{d}{dt} X
                target = self.power()
                return _ddt(target, var)
            vals = [t.val for t in rest]
            if vals in (["x"], ["x", "_", "t"]) or (len(rest) >= 2 and rest[0].kind == "cmd" and rest[0].val in ("mathbf", "boldsymbol", "bm") and "x" in vals[:3]):
                return DX / DT
            p = type(self)(rest, self.text)
            p.atoms = self.atoms
            inner = p.expr()
            return _ddt(inner, var)
        got = _leibniz(self, num_toks, den_vals)
        if got is not None:
            return got
        p = type(self)(num_toks, self.text)
        p.atoms = self.atoms
        p._diff_ok_paren = True
        num = p.relation_free()
        q = type(self)(den_toks, self.text)
        q.atoms = self.atoms
        den = q.relation_free()
        self.issues.extend(p.issues + q.issues)
        if den.is_zero:
            self.issues.append("division by zero: the denominator " + _tok_text(den_toks) + " equals 0")
            return num
        return num / den

    def relation_free(self) -> sp.Expr:
        e = self.expr()
        self.skip_spacing()
        if self.peek() is not None:
            raise ParseError(f"cannot read {self.peek().val!r}")
        return e

    def _braced_tokens(self) -> List[Tok]:
        self.skip_spacing()
        t = self.next()
        if t.kind == "cmd" and (t.val in FONTS or t.val in DECORATIONS) and self.peek() is not None and self.peek().val == "{":
            return [t, Tok("op", "{")] + self._braced_tokens() + [Tok("op", "}")]  # _\mathbf{x}: the font and its group
        if not (t.kind == "op" and t.val == "{"):
            return [t]
        depth, out = 1, []
        while True:
            t = self.next()
            if t.kind == "op" and t.val == "{":
                depth += 1
            elif t.kind == "op" and t.val == "}":
                depth -= 1
                if depth == 0:
                    return out
            out.append(t)

    def func(self, fn) -> sp.Expr:
        self.skip_spacing()
        power = None
        if self.accept("op", "^"):
            power = self.group_or_single()
        self.skip_spacing()
        t = self.peek()
        if t is not None and ((t.kind == "op" and t.val in ("(", "[", "{")) or (t.kind == "cmd" and t.val == "left")):
            arg = self.primary()
        else:
            arg = self.product_of_postfix()
        e = fn(arg)
        return safe_pow(e, power) if power is not None else e

    def product_of_postfix(self) -> sp.Expr:
        """Argument of \\log/\\exp without brackets: a run of factors (\\log p_t(x)); a fraction is a whole argument
        (\\log\\frac{a}{b} s is s·log(a/b): the fraction's bar delimits it as brackets would)."""
        t = self.peek()
        if t is not None and t.kind == "cmd" and t.val in ("frac", "dfrac", "tfrac", "cfrac"):
            return self.power()
        f = self.power()
        while True:
            t = self.peek()
            if t is not None and t.kind in ("let", "word") and not (t.kind == "let" and t.val == "d" and self._is_differential()):
                f = f * self.power()
            else:
                return f

    def nabla(self) -> sp.Expr:
        wrt = ""
        if self.accept("op", "_"):
            wrt = self.raw_group()
        self.skip_spacing()
        t = self.peek()
        if t is not None and t.kind == "cmd" and t.val in ("log", "ln"):
            self.i += 1
            self.skip_spacing()
            dens = self.postfix()
            # ∇ log(p_θ(x) p_φ(y | x)) = ∇ log p_θ(x) + ∇ log p_φ(y | x) (Dhariwal & Nichol 2021, Sec. 4.1)
            factors = dens.args if isinstance(dens, sp.Mul) else (dens,)
            if not all(isinstance(f, sp.Symbol) and f in self.atoms for f in factors):
                raise ParseError("∇ log needs a density like p_t(x)")
            return sp.Add(*[self.atom_symbol(Atom("score", "", a.sub, "", a.args if a.args is not None else (), a.base))
                            for a in (self.atoms[f] for f in factors)])
        if t is not None and t.kind == "cmd" and t.val == "cdot":
            self.i += 1
            inner = self.power()
            return self.atom_symbol(Atom("div", args=(sp.sstr(inner),)))
        return self.atom_symbol(Atom("∇", sub=wrt))

    def differential(self) -> sp.Expr:
        """After a 'd': dx, dt, dw, d\\bar{w}, d(x), d[x]."""
        self.skip_spacing()
        t = self.peek()
        if t is not None and t.kind == "op" and t.val in ("(", "["):
            inner = self.primary()
            return sp.Function("d")(inner)
        atom = self.symbol_atom()
        if atom is None:
            raise ParseError("cannot read the differential after 'd'")
        while self.accept("op", "_"):
            atom = Atom(atom.base, atom.deco, self.raw_group(), atom.sup, None, atom.font)
        if atom.base in ("w", "W", "B") and self._peek_call():
            self.arglist()  # dw(t), d\bar{w}(t): the Brownian motion at time t (Song et al. 2021 write w(t))
        if atom.base in ("w", "W", "B") and atom.deco == "bar":
            return DWBAR
        if atom.base in ("w", "W", "B"):
            if atom.sub and atom.sub not in ("t", "s", "τ"):
                raise ParseError(f"unexpected Brownian increment d{atom.name}")
            return DW
        if atom.base in ("x", "X", "z", "u", "r"):
            if self._peek_call():
                self.arglist()
            return DX
        if atom.base == "t":
            return DT
        if atom.base in ("s", "τ"):
            return self.atom_symbol(Atom("d" + atom.base))
        raise ParseError(f"unexpected differential d{atom.name}")

    def integral(self) -> sp.Expr:
        lo = hi = None
        for _ in range(2):
            if self.accept("op", "_"):
                lo = self.group_or_single()
            elif self.accept("op", "^"):
                hi = self.group_or_single()
        # integrand up to the differential d<var>
        start = self.i
        depth = 0
        k = self.i
        while k < len(self.toks):
            tk = self.toks[k]
            if tk.kind == "op" and tk.val in ("(", "[", "{"):
                depth += 1
            elif tk.kind == "op" and tk.val in (")", "]", "}"):
                if depth == 0:
                    break
                depth -= 1
            if depth == 0 and tk.kind == "let" and tk.val == "d" and self._integration_variable(k + 1) is not None:
                break
            k += 1
        if k >= len(self.toks) or self.toks[k].val != "d":
            raise ParseError("integral without d<variable>")
        atom, end = self._integration_variable(k + 1)
        var = self.atom_symbol(atom)
        p = type(self)(self.toks[start:k], self.text)
        p.atoms = self.atoms
        body = p.relation_free()
        self.i = end
        if lo is None and hi is None:
            # ∫ f(y) dy over the whole space (Song & Ermon 2019's perturbed density ∫ p(y) N(x; y, σ² I) dy): read, and
            # kept as one opaque quantity (what it equals is the domain layer's to know, not the parser's)
            return self.atom_symbol(Atom("∫", args=(sp.sstr(body), atom.name)))
        if lo is None or hi is None:
            raise ParseError("an integral with only one limit")
        return sp.Integral(body, (var, lo, hi))

    def _integration_variable(self, k: int):
        """(atom, end) of the variable of integration written from token k (after its d): a letter (ds, dt, dy), a
        Greek letter (dτ, dξ) or a letter in a font (d\\mathbf{y}); None if there is none. The variable is the symbol
        the d applies to, whatever its name: ∫ … dξ integrates over ξ (Karras et al. 2022, Eq. 11 writes dξ)."""
        toks = self.toks
        if k >= len(toks):
            return None
        t = toks[k]
        if t.kind == "let" and t.val != "d":
            return Atom(t.val), k + 1
        if t.kind == "cmd" and t.val in GREEK:
            return Atom(GREEK[t.val]), k + 1
        if t.kind == "cmd" and t.val in FONTS and k + 3 < len(toks) + 1 and [x.val for x in toks[k + 1:k + 4]][:1] == ["{"] \
                and k + 3 < len(toks) and toks[k + 2].kind == "let" and toks[k + 3].val == "}":
            return Atom(toks[k + 2].val), k + 4
        return None

    def bigop(self, kind: str) -> sp.Expr:
        lo_txt = hi = None
        var = None
        for _ in range(2):
            if self.accept("op", "_"):
                self.skip_spacing()
                if self.accept("op", "{"):
                    toks = []
                    depth = 1
                    while True:
                        t = self.next()
                        if t.val == "{":
                            depth += 1
                        elif t.val == "}":
                            depth -= 1
                            if depth == 0:
                                break
                        toks.append(t)
                else:
                    toks = [self.next()]
                if len(toks) >= 3 and toks[1].val == "=":
                    var = toks[0].val
                    var = GREEK.get(var, var) if toks[0].kind == "cmd" else var  # \tau -> τ, as β_τ is named
                    p = type(self)(toks[2:], self.text)
                    p.atoms = self.atoms
                    lo_txt = p.relation_free()
                else:
                    raise ParseError(f"\\{kind} needs a lower limit like s=1")
            elif self.accept("op", "^"):
                hi = self.group_or_single()
        if var is None or hi is None:
            raise ParseError(f"\\{kind} needs limits")
        body = self.power()
        v = sp.Symbol("_" + var, integer=True)
        # rename body atoms whose subscript is the bound variable: alpha_s -> Atom(sub="@")
        sub_map = {}
        for s, a in list(self.atoms.items()):
            if s in body.free_symbols and a.sub == var:
                na = Atom(a.base, a.deco, "@", a.sup, a.args, a.font)
                sub_map[s] = self.atom_symbol(na)
        body = body.xreplace(sub_map)
        cls = sp.Product if kind == "prod" else sp.Sum
        return cls(body, (v, lo_txt, hi))

    def norm(self, opener: str) -> sp.Expr:
        self._in_norm += 1
        try:
            inner = self.expr()
        finally:
            self._in_norm -= 1
        self.skip_spacing()
        t = self.next()
        if not (t.val in ("|", "||", "Vert", "rVert") or (t.kind == "cmd" and t.val in ("|", "Vert", "rVert"))):
            raise ParseError("unclosed norm")
        return self._norm_of(inner, opener)

    def _abs_ahead(self) -> bool:
        """A bar after a factor opens ``|a|`` (``g(t)|Δt|``) when a second bar closes it at the same bracket depth
        before any bracket closes; otherwise it is a conditioning bar or a norm's end and ends the product."""
        depth = 0
        for t in self.toks[self.i + 1:]:
            if t.kind == "op" and t.val in ("(", "[", "{") or t.kind == "cmd" and t.val == "left":
                depth += 1
            elif t.kind == "op" and t.val in (")", "]", "}") or t.kind == "cmd" and t.val == "right":
                depth -= 1
                if depth < 0:
                    return False
            elif depth == 0 and (t.kind == "op" and t.val in ("|", "||") or t.kind == "cmd" and t.val in ("|", "mid", "Vert")):
                return t.val == "|"
        return False

    def _norm_of(self, inner: sp.Expr, opener: str) -> sp.Expr:
        if self.accept("op", "_"):
            self.raw_group()
        ats = [self.atoms.get(s_) for s_ in inner.free_symbols]
        if opener == "|" and ats and all(a_ is not None and (a_.base.startswith("Δ") or a_.base == "h") and not a_.font for a_ in ats):
            return sp.Abs(inner)  # |Δt|, |h|: the absolute value of a scalar step size (Song 2021's blog: √|Δt|)
        return self.atom_symbol(Atom("norm", args=(sp.sstr(inner),)))



def _ddt(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """d/dt of an expression, kept unevaluated (DDT) until its atoms are read as functions of t."""
    return DDT(expr)


def _leibniz(parser, num_toks: List[Tok], den_vals: List[str]) -> Optional[sp.Expr]:
    """``\\frac{d f(u)}{du}`` (Leibniz's notation) with f an explicit function of u alone, e.g. Salimans & Ho 2022,
    Sec. 4: v_φ = dz_φ/dφ = (d cos φ/dφ) x + (d sin φ/dφ) ε: the derivative f'(u), computed. Anything else (an opaque
    name such as z_φ, a time derivative, handled above) is None."""
    if len(den_vals) != 2 or den_vals[0] != "d" or not num_toks or num_toks[0].val != "d" or len(num_toks) < 2:
        return None
    p = type(parser)(num_toks[1:], parser.text)
    p.atoms = dict(parser.atoms)
    try:
        inner = p.relation_free()
    except ParseError:
        return None
    name = GREEK.get(den_vals[1], den_vals[1])
    var = [q for q, a_ in p.atoms.items() if a_.base == name and not a_.sub and not a_.deco and a_.args is None]
    if len(var) != 1 or inner.free_symbols != {var[0]} or inner == var[0] or inner.atoms(sp.Function) == set():
        return None
    for q, a_ in p.atoms.items():  # the atoms the numerator introduced
        parser.atoms.setdefault(q, a_)
    return sp.diff(inner, var[0])
