"""Parameters written after a semicolon, in the LaTeX text (a rule of :func:`normalize.normalize_latex`):

* ``F(x; \\theta)`` is the network ``F_\\theta(x)``: the semicolon separates a function's inputs from its parameters
  (Hyvärinen 2005, Eq. 2 writes the model score ψ(ξ; θ); Vincent 2011, Sec. 4 writes ψ(x̃; θ); Bishop & Bishop 2024
  write y(x; w)), so ``s(x; θ)`` is ``s_θ(x)``;
* ``\\psi(x; \\theta)`` is the model *score* s_θ(x): Hyvärinen (2005, Eq. 2) and Vincent (2011, Eq. 6-8) name the
  model's score function ψ, the gradient of the model's log-density.

Only the parameters θ, φ (Greek, alone after the semicolon) are moved: ``N(x; μ, σ²)`` (a density's variable, then
its parameters) is left as written.
"""
from __future__ import annotations

import re

__all__ = ["params_after_semicolon"]

_PAR = r"(?:\\(?:boldsymbol|mathbf|bm)\s*)?\{?\s*\\(?:theta|phi)(?![a-zA-Z])\s*\}?"
_CALL = re.compile(r"(?P<head>(?P<font>\\(?:mathbf|boldsymbol|bm)\s*\{\s*)?(?:\\psi|\\epsilon|\\varepsilon|\\mu|(?<![a-zA-Z\\])[sfgDFx])"
                   r"(?(font)\s*\}))\s*(?P<open>\\left\s*\(|\()"
                   r"(?P<args>[^();]*(?:\([^()]*\)[^();]*)*);\s*(?P<par>" + _PAR + r")\s*(?P<close>\\right\s*\)|\))")


def params_after_semicolon(text: str) -> str:
    """``F(x; θ)`` → ``F_{θ}(x)``, ``ψ(x; θ)`` → ``s_{θ}(x)`` (module docstring)."""
    def rep(m: "re.Match[str]") -> str:
        head = m.group("head")
        head = head.replace(r"\psi", "s")
        par = r"\phi" if "phi" in m.group("par") else r"\theta"
        return head + "_{" + par + "}(" + m.group("args").strip() + ")"
    return _CALL.sub(rep, text)
