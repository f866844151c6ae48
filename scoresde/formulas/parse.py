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
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import sympy as sp

__all__ = ["Atom", "Parsed", "ParseError", "parse", "split_alternatives", "split_equations", "plain_to_latex",
           "DX", "DT", "DW", "DWBAR", "NORMAL", "DDT"]


class ParseError(ValueError):
    """The text is not a formula this parser can read (the message says where)."""


# Differentials of the state, of time and of the Brownian motion.
DX = sp.Symbol("dx")
DT = sp.Symbol("dt")
DW = sp.Symbol("dw")
DWBAR = sp.Symbol("dwbar")
#: N(x; mean, cov): the Gaussian density as an unevaluated sympy function
NORMAL = sp.Function("Normal")
#: d/dt of its argument (evaluated once the atoms are functions of t)
DDT = sp.Function("ddt")

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "rho": "ρ", "sigma": "σ", "varsigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ",
    "psi": "ψ", "omega": "ω", "Sigma": "Σ", "Gamma": "Γ", "Delta": "Δ", "Lambda": "Λ", "Phi": "Φ", "Psi": "Ψ",
    "Omega": "Ω", "Theta": "Θ", "Pi": "Π",
}
DECORATIONS = {"bar": "bar", "overline": "bar", "tilde": "tilde", "widetilde": "tilde", "hat": "hat",
               "widehat": "hat", "vec": "", "dot": "dot"}
FONTS = {"mathbf", "boldsymbol", "bm", "mathbold", "mathit", "mathsf", "bf", "pmb", "vb", "mathnormal"}
FUNCS = {"exp": sp.exp, "log": sp.log, "ln": sp.log, "cos": sp.cos, "sin": sp.sin, "tan": sp.tan,
         "cosh": sp.cosh, "sinh": sp.sinh, "tanh": sp.tanh, "arctan": sp.atan, "arccos": sp.acos,
         "arcsin": sp.asin}
SKIP = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
        "displaystyle", "textstyle", "limits", "nolimits", ",", ";", "!", ":", " ", "quad_inner", "mathrm_d"}
SPACING = {",", ";", "!", ":", " ", ">"}
#: names that may be applied to an argument list, like f(x, t) or beta(t)
APPLICABLE = set("fgsxpqwmDFGhLUuv") | {"β", "σ", "α", "ε", "μ", "λ", "Σ", "ψ", "φ", "τ", "ω", "θ", "γ", "κ"}


@dataclass(frozen=True)
class Atom:
    """One symbol as written: base letter, decoration, subscript, superscript label, arguments.

    ``\\bar{\\alpha}_{t-1}`` -> Atom("α", "bar", "t-1"); ``s_\\theta(x_i)`` -> Atom("s", "", "θ",
    args=("x_i",)); ``\\epsilon_\\theta^{(t)}`` -> Atom("ε", "", "θ", sup="(t)").
    """

    base: str
    deco: str = ""
    sub: str = ""
    sup: str = ""
    args: Optional[Tuple[str, ...]] = None
    font: str = ""

    @property
    def name(self) -> str:
        s = self.base
        if self.deco == "bar" and self.base == "α":
            s = "ᾱ"
        elif self.deco == "bar":
            s = s + "\u0304"
        elif self.deco == "tilde":
            s = s + "\u0303"
        elif self.deco == "hat":
            s = s + "\u0302"
        if self.sub:
            s += "_" + (self.sub if len(self.sub) == 1 else "{" + self.sub + "}")
        if self.sup:
            s += "^" + self.sup
        if self.args is not None:
            s += "(" + ", ".join(self.args) + ")"
        return s


@dataclass
class Parsed:
    """A parsed formula: the sides of a (possibly chained) equation and its atoms."""

    text: str
    sides: List[sp.Expr]
    atoms: Dict[sp.Symbol, Atom] = field(default_factory=dict)
    relation: str = "="  # "=", "~" (distributed as), "" (a bare expression)
    issues: List[str] = field(default_factory=list)

    def atoms_in(self, expr: sp.Expr) -> Dict[sp.Symbol, Atom]:
        return {s: self.atoms[s] for s in expr.free_symbols if s in self.atoms}


# ----------------------------------------------------------------------------- tokens
_TOKEN = re.compile(
    r"\\[a-zA-Z]+|\\[,;!: {}|>]|\d+(?:\.\d+)?|[A-Za-z]|\|\||[+\-*/^_()\[\]{}=,;|'.<>~&!]|[^\s]"
)


@dataclass
class Tok:
    kind: str  # "cmd", "num", "let", "op", "word"
    val: str


def _tokenize(text: str) -> List[Tok]:
    out: List[Tok] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        m = _TOKEN.match(text, i)
        if not m:  # pragma: no cover - the last alternative matches any non-space
            raise ParseError(f"cannot read character {text[i]!r}")
        v = m.group(0)
        i = m.end()
        if v.startswith("\\") and len(v) > 1 and v[1].isalpha():
            name = v[1:]
            if name in ("text", "mathrm", "operatorname", "textrm", "rm", "mbox", "textbf", "mathit") and i < len(text):
                # \text{...}: read the braces as one word
                j = i
                while j < len(text) and text[j].isspace():
                    j += 1
                if j < len(text) and text[j] == "{":
                    depth, k = 0, j
                    while k < len(text):
                        if text[k] == "{":
                            depth += 1
                        elif text[k] == "}":
                            depth -= 1
                            if depth == 0:
                                break
                        k += 1
                    word = text[j + 1:k].strip().replace("\\", "")
                    i = k + 1
                    if name == "mathrm" and word == "d":
                        out.append(Tok("let", "d"))
                    elif len(word) == 1 and word.isalpha():
                        out.append(Tok("let", word))
                    else:
                        out.append(Tok("word", word))
                    continue
            out.append(Tok("cmd", name))
        elif v.startswith("\\"):
            out.append(Tok("cmd", v[1:]))
        elif v[0].isdigit():
            out.append(Tok("num", v))
        elif v.isalpha() and len(v) == 1 and v.isascii():
            out.append(Tok("let", v))
        else:
            out.append(Tok("op", v))
    return out


# ----------------------------------------------------------------------------- plain math
_PLAIN_WORDS = {
    "alpha": r"\alpha", "alphas": r"\alpha", "beta": r"\beta", "betas": r"\beta", "sigma": r"\sigma",
    "sigmas": r"\sigma", "alpha_bar": r"\bar{\alpha}", "alpha_bars": r"\bar{\alpha}", "alphas_bar": r"\bar{\alpha}",
    "alphas_cumprod": r"\bar{\alpha}", "abar": r"\bar{\alpha}", "alphabar": r"\bar{\alpha}",
    "beta_tilde": r"\tilde{\beta}", "eps": r"\epsilon", "epsilon": r"\epsilon", "noise": r"\epsilon",
    "eps_theta": r"\epsilon_\theta", "eps_pred": r"\epsilon_\theta", "score": r"s_\theta", "s_theta": r"s_\theta",
    "sqrt": r"\sqrt", "exp": r"\exp", "log": r"\log", "cos": r"\cos", "sin": r"\sin", "tan": r"\tan",
    "pi": r"\pi", "theta": r"\theta", "lambda": r"\lambda", "mu": r"\mu", "mu_theta": r"\mu_\theta",
    "x_prev": "x_{t-1}", "x_next": "x_{t+1}", "x0": "x_0", "x_0": "x_0", "dt": "dt", "dw": "dw",
}


def plain_to_latex(text: str) -> str:
    """Transliterate plain/Python-like math (``1/sqrt(alpha_bars[t]) * (x - ...)``) to LaTeX."""
    s = re.sub(r"\b(?:torch|np|numpy|math)\.", "", text)
    s = s.replace("**", "^")
    s = re.sub(r"\b(randn_like|randn)\s*\([^()]*\)", "z", s)
    s = re.sub(r"\bmodel\s*\(([^()]*)\)", r"\\epsilon_\\theta(\1)", s)

    def word(m: re.Match) -> str:
        w = m.group(1)
        idx = m.group(2)
        if w in _PLAIN_WORDS:
            base = _PLAIN_WORDS[w]
        else:
            parts = w.split("_")
            if len(parts) > 1 and parts[0] in _PLAIN_WORDS and parts[-1] in ("t", "i", "prev", "next", "s", "n"):
                head = "_".join(parts[:-1])
                sub = {"prev": "t-1", "next": "t+1"}.get(parts[-1], parts[-1])
                base = _PLAIN_WORDS.get(head, head)
                return f"{base}_{{{sub}}}"
            if len(parts) == 2 and parts[0] in _PLAIN_WORDS and parts[0] not in ("sqrt", "exp", "log"):
                return f"{_PLAIN_WORDS[parts[0]]}_{{{parts[1]}}}"
            if len(w) > 1 and "_" not in w:
                return r"\text{" + w + "}"
            base = w
        if idx is not None:
            return f"{base}_{{{idx}}}"
        return base if base.startswith("\\") and base[1:].isalpha() and not base.endswith("}") else base

    s = re.sub(r"\b([A-Za-z][A-Za-z0-9_]*)(?:\[([^\[\]]+)\])?", word, s)
    s = s.replace("*", r" \cdot ")
    return s


def looks_plain(text: str) -> bool:
    return "\\" not in text and bool(re.search(r"[A-Za-z]{3,}|\*|\[[a-z0-9+\- ]+\]", text))


# ----------------------------------------------------------------------------- splitting
_OR = re.compile(r"\s*(?:或者|或|\\text\{\s*or\s*\}|\\quad\s*\\text\{or\}|\s+or\s+|\\mathrm\{or\}|\\textrm\{or\})\s*")


def split_alternatives(text: str) -> List[str]:
    """Split a cell on "或" / "or" joining alternatives (outside braces)."""
    parts = [p for p in _OR.split(text) if p.strip()]
    return parts or [text]


def split_equations(text: str) -> List[str]:
    """Split at top-level separators: ",", ";", "\\quad", "\\qquad", "\\\\", and drop "&"."""
    text = text.replace("&", " ")
    text = re.sub(r"\\(?:q?quad)\b|\\\\|\\text\{\s*(?:where|with|and|for)\s*\}|\\(?:text|mathrm)\{\s*,?\s*\}", " ; ", text)
    pieces, depth, cur = [], 0, []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c in ",;" and depth == 0:
            pieces.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    pieces.append("".join(cur))
    out = [p.strip().rstrip(".") for p in pieces]
    return [p for p in out if p and not re.fullmatch(r"[\s\\ ~,.]*", p)]


# ----------------------------------------------------------------------------- parser
class _Parser:
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
            if (t.kind == "op" and t.val in ("=", "~")) or (t.kind == "cmd" and t.val in ("approx", "sim", "coloneqq", "triangleq", "equiv", "doteq", "simeq")):
                self.i += 1
                r = "~" if t.val in ("~", "sim") else "="
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
                return self._in_norm == 0 and t.val == "||"
            return t.val in ("(", "[", "{")
        if t.kind == "cmd":
            if t.val in ("|", "Vert", "lVert"):
                return self._in_norm == 0
            return t.val not in ("right", "approx", "sim", "pm", "mp", "quad", "qquad", "coloneqq", "triangleq",
                                 "equiv", "doteq", "simeq", "mid", "}", "|", "rangle") and t.val not in SPACING
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
            base = base ** e
            self.skip_spacing()
            if self.peek() and self.peek().kind == "op" and self.peek().val == "'":
                raise ParseError("prime after power")
        return base

    def group_or_single(self) -> sp.Expr:
        """The argument of ^ or _ : a braced group or one token."""
        self.skip_spacing()
        if self.accept("op", "{"):
            e = self.expr()
            self.expect("op", "}")
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
        self.skip_spacing()
        if self.accept("op", "{"):
            depth, parts = 1, []
            while True:
                t = self.next()
                if t.kind == "op" and t.val == "{":
                    depth += 1
                elif t.kind == "op" and t.val == "}":
                    depth -= 1
                    if depth == 0:
                        break
                parts.append(t)
            return _norm_script(parts)
        t = self.next()
        return _norm_script([t])

    def postfix(self) -> sp.Expr:
        """A primary followed by subscripts / superscript labels / an argument list."""
        self.skip_spacing()
        t = self.peek()
        if t is None:
            raise ParseError("unexpected end of formula")
        if t.kind == "cmd" and t.val in ("mathcal", "mathscr") and self._is_N_after():
            self.i += 1
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
            if nt is not None and nt.kind == "op" and nt.val == "^":
                # ^{(t)} or ^{*} or ^{\star} are labels; anything else is a power
                save = self.i
                self.i += 1
                lab = self.raw_group()
                if lab in ("(t)", "(i)", "*", "⋆", "θ", "T", "(k)", "(n)") and not (lab == "T" and atom.base in ("x", "z")):
                    atom = Atom(atom.base, atom.deco, atom.sub, lab, None, atom.font)
                    continue
                if power is None and self._peek_call():
                    self.i = save + 1
                    power = self.group_or_single()
                    continue
                self.i = save
            break
        # function application
        if self._peek_call() and self._applicable(atom):
            args = self.arglist()
            atom = Atom(atom.base, atom.deco, atom.sub, atom.sup, tuple(args), atom.font)
        if atom.base == "e" and not atom.sub and atom.args is None:
            e = sp.E
        elif atom.base == "d_OP":  # the differential operator applied to a group
            e = atom.font  # placeholder, handled in primary
        else:
            e = self.atom_symbol(atom)
        if power is not None:
            e = e ** power
        return e

    def _peek_call(self) -> bool:
        self.skip_spacing()
        t = self.peek()
        if t is None:
            return False
        if t.kind == "op" and t.val == "(":
            return True
        if t.kind == "cmd" and t.val == "left":
            n = self.peek(1)
            return n is not None and n.kind == "op" and n.val == "("
        return False

    def _applicable(self, atom: Atom) -> bool:
        if atom.base not in APPLICABLE:
            return False
        if atom.base in ("β", "σ", "α", "λ", "g", "m", "w", "γ", "τ", "ω", "κ") and atom.sub and atom.sub not in ("θ", "d"):
            # beta_t(...) is a product; beta(t) and sigma(t) are applications
            return self._args_look_like_time()
        if atom.base == "x" and atom.sub:
            return False
        if atom.base in ("β", "σ", "α", "λ", "g", "m", "γ", "x", "ψ", "φ", "τ", "ω", "κ", "h", "u", "v"):
            return self._args_look_like_time()
        return True

    def _args_look_like_time(self) -> bool:
        """( t ), ( s ), ( t_i ), ( 1 ), ( T ), ( 0 ): a time argument, not a product."""
        j = self.i
        if self.toks[j].kind == "cmd":
            j += 1
        depth, k, parts = 0, j, []
        while k < len(self.toks):
            tk = self.toks[k]
            if tk.kind == "op" and tk.val == "(":
                depth += 1
            elif tk.kind == "op" and tk.val == ")":
                depth -= 1
                if depth == 0:
                    break
            if k > j:
                parts.append(tk)
            k += 1
        vals = [p.val for p in parts if not (p.kind == "cmd" and p.val in ("left", "right"))]
        if not vals or len(vals) > 5:
            return False
        allowed = {"t", "s", "T", "0", "1", "_", "i", "{", "}", "u", "τ", "tau", "-", "+", "n", "k", "r"}
        return all(v in allowed or v.isdigit() for v in vals) and vals[0] in ("t", "s", "T", "0", "1", "u", "tau", "r", "τ")

    def arglist(self) -> List[str]:
        self.skip_spacing()
        self.accept("cmd", "left")
        self.expect("op", "(")
        args, cur, depth = [], [], 0
        while True:
            t = self.next()
            if t.kind == "cmd" and t.val in ("left", "right") and depth == 0:
                continue
            if t.kind == "op" and t.val in ("(", "[", "{"):
                depth += 1
            elif t.kind == "op" and t.val in (")", "]", "}"):
                if depth == 0 and t.val == ")":
                    break
                depth -= 1
            if depth == 0 and ((t.kind == "op" and t.val in (",", ";", "|")) or (t.kind == "cmd" and t.val == "mid")):
                args.append(_norm_script(cur))
                if t.val in ("|", "mid"):
                    args.append("|")
                cur = []
                continue
            cur.append(t)
        args.append(_norm_script(cur))
        return [a for a in args if a != ""]

    def symbol_atom(self) -> Optional[Atom]:
        """Read a (decorated) symbol name if one starts here; else leave the position alone."""
        t = self.peek()
        if t is None:
            return None
        if t.kind == "let":
            if t.val == "d" and self._is_differential():
                return None
            self.i += 1
            return Atom(t.val)
        if t.kind == "word":
            w = t.val
            if w in ("or", "and", "where", "for"):
                raise ParseError(f"text {w!r} inside a formula")
            self.i += 1
            if w in ("min", "max", "d"):
                return Atom(w)
            return Atom(w)
        if t.kind == "cmd":
            if t.val == "Delta" and self.peek(1) is not None and self.peek(1).kind == "let" and self.peek(1).val == "t":
                self.i += 2
                return Atom("Δt")
            if t.val in GREEK:
                self.i += 1
                return Atom(GREEK[t.val])
            if t.val in ("ell",):
                self.i += 1
                return Atom("l")
            if t.val in DECORATIONS or t.val in FONTS or t.val in ("mathcal", "mathbb", "mathscr", "mathfrak"):
                save = self.i
                self.i += 1
                deco = DECORATIONS.get(t.val, "")
                font = t.val if t.val in ("mathcal", "mathbb", "mathscr", "mathfrak") else ""
                self.skip_spacing()
                if self.accept("op", "{"):
                    inner = self.symbol_atom()
                    if inner is None:
                        self.i = save
                        return None
                    # \bar{\alpha_t}: a subscript inside the braces
                    if self.accept("op", "_"):
                        inner = Atom(inner.base, inner.deco, self.raw_group(), inner.sup, None, inner.font)
                    if not self.accept("op", "}"):
                        self.i = save
                        return None
                else:
                    inner = self.symbol_atom()
                    if inner is None:
                        self.i = save
                        return None
                return Atom(inner.base, deco or inner.deco, inner.sub, inner.sup, None, font or inner.font)
        return None

    def _is_differential(self) -> bool:
        """``d`` followed by x, t, w, W, s, u, tau or a decorated/bold x or w is a differential."""
        n = self.peek(1)
        if n is None:
            return False
        if n.kind == "let" and n.val in ("x", "t", "w", "W", "s", "u", "X", "z", "r", "B"):
            return True
        if n.kind == "cmd" and n.val in ("tau", "bar", "overline", "mathbf", "boldsymbol", "bm", "mathrm"):
            return True
        if n.kind == "op" and n.val in ("(", "[") and self._diff_ok_paren:
            return True
        return False

    _diff_ok_paren = False

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
            if depth == 0 and t.kind == "op" and t.val in (";", ","):
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
        p = _Parser(toks, self.text)
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
            p = _Parser(rest, self.text)
            p.atoms = self.atoms
            inner = p.expr()
            return _ddt(inner, var)
        p = _Parser(num_toks, self.text)
        p.atoms = self.atoms
        p._diff_ok_paren = True
        num = p.relation_free()
        q = _Parser(den_toks, self.text)
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
        return e ** power if power is not None else e

    def product_of_postfix(self) -> sp.Expr:
        """Argument of \\log/\\exp without brackets: a run of factors (\\log p_t(x))."""
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
            if not isinstance(dens, sp.Symbol) or dens not in self.atoms:
                raise ParseError("∇ log needs a density like p_t(x)")
            a = self.atoms[dens]
            return self.atom_symbol(Atom("score", "", a.sub, "", a.args if a.args is not None else (), a.base))
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
            if depth == 0 and tk.kind == "let" and tk.val == "d" and k + 1 < len(self.toks) and self.toks[k + 1].kind in ("let", "cmd") and self.toks[k + 1].val in ("t", "s", "u", "tau", "r"):
                break
            k += 1
        if k >= len(self.toks) or self.toks[k].val != "d":
            raise ParseError("integral without d<variable>")
        var_tok = self.toks[k + 1]
        var = self.atom_symbol(Atom(GREEK.get(var_tok.val, var_tok.val)))
        p = _Parser(self.toks[start:k], self.text)
        p.atoms = self.atoms
        body = p.relation_free()
        self.i = k + 2
        if lo is None or hi is None:
            raise ParseError("indefinite integrals are not supported")
        return sp.Integral(body, (var, lo, hi))

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
                    p = _Parser(toks[2:], self.text)
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

    def _norm_of(self, inner: sp.Expr, opener: str) -> sp.Expr:
        if self.accept("op", "_"):
            self.raw_group()
        return self.atom_symbol(Atom("norm", args=(sp.sstr(inner),)))


def _ddt(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """d/dt of an expression, kept unevaluated (DDT) until its atoms are read as functions of t."""
    return DDT(expr)


def _norm_script(toks: List[Tok]) -> str:
    """Normalise subscript/argument tokens to text: '{t-1}' -> 't-1', '\\theta' -> 'θ', '\\text{min}' -> 'min'."""
    out = []
    for t in toks:
        if t.kind == "cmd":
            if t.val in GREEK:
                out.append(GREEK[t.val])
            elif t.val in ("min", "max"):
                out.append(t.val)
            elif t.val in ("star", "ast"):
                out.append("*")
            elif t.val in SKIP or t.val in SPACING or t.val in DECORATIONS or t.val in FONTS:
                continue
            elif t.val == "infty":
                out.append("∞")
            else:
                out.append(t.val)
        elif t.kind == "word":
            out.append(t.val)
        elif t.val in ("{", "}"):
            continue
        else:
            out.append(t.val)
    return "".join(out)


def parse(text: str) -> Parsed:
    """Parse one formula (an equation, a chain ``a = b = c``, ``x ~ N(...)`` or an expression)."""
    src = text.replace("$", " ").strip()
    if not src:
        raise ParseError("empty formula")
    if looks_plain(src):
        src = plain_to_latex(src)
    toks = _tokenize(src)
    p = _Parser(toks, src)
    p._diff_ok_paren = True
    sides, rel = p.relation()
    return Parsed(text=text, sides=sides, atoms=p.atoms, relation=rel, issues=list(dict.fromkeys(p.issues)))


def _tok_text(toks: List[Tok]) -> str:
    out = []
    for t in toks:
        out.append(("\\" + t.val) if t.kind == "cmd" else t.val)
    return "".join(out)
