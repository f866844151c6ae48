"""Partial derivatives in the forms papers write them (a helper of the parser's fractions):

* ``\\frac{\\partial \\log q(\\tilde x | x)}{\\partial \\tilde x}``: the derivative of a scalar log-density by the state
  is its gradient, the score ``∇_{x̃} log q(x̃ | x)`` (Vincent 2011, Sec. 4.2 and Eq. 8 write the DSM target so;
  Hyvärinen 2005, Eq. 1 defines ψ(ξ) = ∂ log p(ξ)/∂ξ);
* ``\\frac{\\partial f(x, t)}{\\partial x}`` of a vector field is its Jacobian, and ``tr(∂f/∂x)`` is its divergence
  ``∇·f`` (Chen et al. 2018, Thm. 1; Song et al. 2021, Eq. 39), read as the parser's ``div`` placeholder.

Any other partial derivative (∂/∂t of a density, ∂ of a quantity by a non-state variable) stays unread.
"""
from __future__ import annotations

import re
from typing import List, Optional

import sympy as sp

from .atoms import SPACING, Atom, ParseError
from .tokens import Tok

__all__ = ["partial_fraction", "partial_log_as_gradient", "trace_of_jacobian"]

#: the bases a derivative may be taken by: the state (x, z, u, y) and its noised copies (x̃), as in Vincent 2011
_STATE_BASES = ("x", "z", "u", "y")
_TRACE = ("tr", "Tr", "trace", "Trace")


def _strip(toks: List[Tok]) -> List[Tok]:
    return [t for t in toks if not (t.kind == "cmd" and t.val in SPACING)]


def partial_fraction(parser, num_toks: List[Tok], den_toks: List[Tok]) -> Optional[sp.Expr]:
    """``\\frac{∂ F}{∂ v}`` read as a gradient (module docstring); None when the fraction has no ∂ on both sides."""
    num, den = _strip(num_toks), _strip(den_toks)
    if not (num and den and num[0].kind == "cmd" and num[0].val == "partial"
            and den[0].kind == "cmd" and den[0].val == "partial"):
        return None
    if len(num) < 2 or len(den) < 2:
        raise ParseError("partial derivatives need a function and a variable: ∂F/∂v")
    sub = type(parser)(den[1:], parser.text)
    sub.atoms = parser.atoms
    var = sub.relation_free()
    vat = parser.atoms.get(var) if isinstance(var, sp.Symbol) else None
    if vat is None or vat.base not in _STATE_BASES:
        raise ParseError("partial derivatives are read only by the state (∂/∂x); ∂/∂" + sp.sstr(var) + " is not")
    if num[1].kind == "cmd" and num[1].val in ("log", "ln"):
        # ∂ log p / ∂v ≡ ∇_v log p: the same tokens the parser reads for the gradient
        toks = [Tok("cmd", "nabla"), Tok("op", "_"), Tok("op", "{")] + den[1:] + [Tok("op", "}")] + num[1:]
        sub = type(parser)(toks, parser.text)
        sub.atoms = parser.atoms
        out = sub.relation_free()
        parser.issues.extend(sub.issues)
        return out
    sub = type(parser)(num[1:], parser.text)
    sub.atoms = parser.atoms
    f = sub.relation_free()
    parser.issues.extend(sub.issues)
    return parser.atom_symbol(Atom("jac", args=(sp.sstr(f), vat.name)))


def trace_of_jacobian(expr: sp.Expr, atoms) -> sp.Expr:
    """tr · ∂f/∂x (the trace written as a word before the Jacobian) → div(f), the divergence placeholder."""
    def fix(m: sp.Expr) -> sp.Expr:
        if not isinstance(m, sp.Mul):
            return m
        tr = [a for a in m.args if isinstance(a, sp.Symbol) and a in atoms and atoms[a].base in _TRACE and not atoms[a].sub]
        jac = [a for a in m.args if isinstance(a, sp.Symbol) and a in atoms and atoms[a].base == "jac"]
        if len(tr) != 1 or len(jac) != 1:
            return m
        j = atoms[jac[0]]
        div = Atom("div", args=(j.args[0],))
        sym = sp.Symbol(div.name, real=True)
        atoms[sym] = div
        rest = [a for a in m.args if a not in (tr[0], jac[0])]
        return sp.Mul(*rest) * sym
    if not any(isinstance(a, sp.Symbol) and a in atoms and atoms[a].base == "jac" for a in expr.free_symbols):
        return expr
    return expr.replace(lambda e: isinstance(e, sp.Mul), fix)


_BAL = r"(?:[^{}]|\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\})*"
_PARTIAL_LOG = re.compile(r"\\frac\s*\{\s*\\partial\s*\\(?:log|ln)(?![a-zA-Z])(?P<f>" + _BAL + r")\}\s*\{\s*\\partial\s*(?P<v>"
                          + _BAL + r")\}")
_STATE_TEXT = re.compile(r"^(?:\\(?:mathbf|boldsymbol|bm|tilde|bar|hat|widetilde)\s*\{?\s*|\{\s*)*[xzuy](?![a-zA-Z])")


def partial_log_as_gradient(text: str) -> str:
    """``\\frac{\\partial \\log p(x)}{\\partial x}`` → ``\\nabla_{x} \\log p(x)`` in the LaTeX text (module docstring), so
    the readers that recognise a score by its ``\\nabla … \\log`` read Vincent's (2011) and Hyvärinen's (2005) ∂-form too."""
    def rep(m: "re.Match[str]") -> str:
        v = m.group("v").strip()
        if not _STATE_TEXT.match(v):
            return m.group(0)
        return r"\nabla_{" + v + r"} \log " + m.group("f").strip() + " "
    return _PARTIAL_LOG.sub(rep, text)
