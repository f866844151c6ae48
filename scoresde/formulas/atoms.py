"""What the reader produces: :class:`Atom` (one symbol as written), :class:`Parsed` (a formula's sides and atoms),
the differential / Gaussian markers and the LaTeX vocabularies (Greek letters, decorations, fonts, functions)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import sympy as sp


__all__ = ["Atom", "Parsed", "ParseError", "DX", "DT", "DW", "DWBAR", "NORMAL", "DDT"]



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
APPLICABLE = set("fgsxpqwmDFGhLUuvzeP") | {"β", "σ", "α", "ε", "μ", "λ", "Σ", "ψ", "φ", "τ", "ω", "θ", "γ", "κ", "π"}


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
        elif self.deco == "dot":  # a time derivative (Newton's dot): never the same symbol as the undotted one
            s = s + "\u0307"
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
