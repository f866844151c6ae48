"""The parser's symbol rules: a name with its decorations, scripts and argument list (mixin of the parser)."""
from __future__ import annotations

from typing import List, Optional


from .atoms import APPLICABLE, DECORATIONS, FONTS, GREEK, Atom, ParseError
from .tokens import _norm_script


#: a bold e is a vector (the mean e(t), Song et al. 2021, App. B, Eq. 33), never Euler's number (ISO 80000-2)
_BOLD = ("mathbf", "boldsymbol", "bm", "pmb")


class SymbolRules:
    """Mixin of :class:`scoresde.formulas.parse._Parser`: symbols, scripts, argument lists, differentials."""

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
        if atom.base not in ("N", "p", "q", "D", "F") and "θ" not in atom.sub and "φ" not in atom.sub and self._args_hold_network():
            # ε(s_θ(x, t) + ∇log p(y | x)): a step size or weight times a bracket of network outputs and scores, never a
            # function of them (as objective_pieces._scale_not_call; Song et al. 2021, App. I: x + ε(s + ∇log p(y|x)))
            return False
        if self._args_have_top_comma(";"):
            # f(x; θ), x̂_θ(z_t; t), ℓ(θ; σ): a ';' only separates arguments (never a product)
            return True
        if atom.base == "c" and atom.sub in ("skip", "out", "in", "noise"):
            return True  # EDM's preconditioning functions c_skip(σ), c_out(σ), c_in(σ), c_noise(σ) (Karras et al. 2022, Eq. 7)
        if len(atom.base) > 1 and atom.base.isascii() and atom.base.isalpha() and not atom.deco:
            # a named function in upright type applied to a time, \mathrm{SNR}(t) (Kingma et al. 2021, Eq. 2)
            return self._args_look_like_time()
        if atom.base not in APPLICABLE:
            return False
        if self._args_have_top_comma():
            # (a, b) after a name is an argument list (a product with a pair means nothing): x_θ(x_t, t), x_t(x_0, ε)
            return True
        if atom.base in ("β", "σ", "α", "λ", "g", "m", "w", "γ", "τ", "ω", "κ") and atom.sub and atom.sub not in ("θ", "d"):
            # beta_t(...) is a product; beta(t) and sigma(t) are applications
            return self._args_look_like_time()
        if atom.base in ("v", "x", "z", "h") and "θ" in atom.sub.split(","):
            # v̂_θ(z_t), x_θ(z): a θ subscript names a network, and a bracket after it is its input (Salimans & Ho 2022,
            # Sec. 4 v̂_θ(z_t); Kingma et al. 2021, Eq. 4 x̂_θ(z_t; t)), never a product
            return True
        if atom.base == "u" and not atom.deco and self._args_single_state():
            # u_t(x), u_t^θ(X_t): the flow-matching vector field at a state (Lipman et al. 2023, Eq. 1; Holderrieth &
            # Erives 2025, Sec. 2), never u_t times the state
            return True
        if atom.base == "x" and atom.sub:
            return False
        if atom.base == "e" and not atom.sub and atom.font not in _BOLD:  # e^{…}(…) is Euler's number times a bracket
            return False
        if atom.base in ("β", "σ", "α", "λ", "g", "m", "γ", "x", "ψ", "φ", "τ", "ω", "κ", "h", "u", "v", "z", "e", "P"):
            return self._args_look_like_time()
        return True

    def _args_hold_network(self) -> bool:
        """Whether the bracket ahead holds, at its own level, a score ∇… or a network's output (a name with subscript θ/φ)."""
        j = self.i
        while j < len(self.toks) and self.toks[j].kind == "cmd":
            j += 1  # \left, \big
        prev = None
        for tk in self._top_level(j):
            if tk.kind == "cmd" and tk.val == "nabla" or prev is not None and prev.val == "_" and tk.kind == "cmd" and tk.val in ("theta", "phi"):
                return True
            prev = tk
        return False

    def _top_level(self, k: int):
        """The tokens at depth 1 of the bracketed group opening at or after token ``k``, until it closes."""
        depth = 0
        for tk in self.toks[k:]:
            if tk.kind == "op" and tk.val in ("(", "[", "{"):
                depth += 1
            elif tk.kind == "op" and tk.val in (")", "]", "}"):
                depth -= 1
                if depth == 0:
                    return
            elif depth == 1:
                yield tk

    def _args_have_top_comma(self, sep: str = ",") -> bool:
        """Whether the parenthesised group ahead holds a comma (or ``sep``) at its own depth."""
        j = self.i
        if j < len(self.toks) and self.toks[j].kind == "cmd":
            j += 1
        return any(tk.kind == "op" and tk.val == sep for tk in self._top_level(j))

    def _args_single_state(self) -> bool:
        """( x ), ( X_t ), ( \\mathbf{x}_{t} ): one state, with its index, as the only argument."""
        vals = [tk.val for tk in self._top_level(self.i + (1 if self.toks[self.i].kind == "cmd" else 0))
                if not (tk.kind == "cmd" and tk.val in ("left", "right", "mathbf", "boldsymbol", "bm"))]
        vals = [v_ for v_ in vals if v_ not in ("{", "}")]
        return bool(vals) and vals[0] in ("x", "X", "z") and (len(vals) == 1 or vals[1] == "_" and 3 <= len(vals) <= 5)

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
        if not vals or len(vals) > 8:
            return False
        # (ξ is the dummy time of an integral, ∫_0^t g(ξ)² dξ, Karras et al. 2022, Eq. 11)
        allowed = {"t", "s", "T", "0", "1", "_", "i", "{", "}", "u", "τ", "tau", "-", "+", "n", "k", "r", "Delta", "h", "xi"}
        if vals in (["η"], ["eta"]):  # σ_t(η): DDIM's σ as a function of η
            return True
        return all(v in allowed or v.isdigit() for v in vals) and vals[0] in ("t", "s", "T", "0", "1", "u", "tau", "r", "τ", "xi")

    def _peek_bracket(self) -> bool:
        """Whether ``[`` or ``\\left[`` (and so an argument in square brackets) comes next."""
        self.skip_spacing()
        t, n = self.peek(), self.peek(1)
        return t is not None and (t.val == "[" and t.kind == "op" or t.kind == "cmd" and t.val == "left" and n is not None and n.val == "[")

    def _bracket_has_bar(self) -> bool:
        """Whether the bracket ahead holds a conditioning bar (| or \\mid) at its own depth: 𝔼[a | b]."""
        return any(tk.kind == "op" and tk.val == "|" or tk.kind == "cmd" and tk.val == "mid" for tk in self._top_level(self.i))

    def _bare_normal(self) -> bool:
        """``N(μ, Σ)``, ``N(x; μ, Σ)`` with a plain N: a letter applied to a list of two or three arguments is the
        normal distribution (a product of N with a pair means nothing); N(N − 1) stays a product."""
        t = self.peek()
        if t is None or t.kind != "let" or t.val != "N":
            return False
        i0 = self.i
        self.i += 1
        try:
            return self._peek_call() and (self._args_have_top_comma() or self._args_have_top_comma(";"))
        finally:
            self.i = i0  # (_peek_call skips spacing and \right: N\right) is N, not the normal distribution)

    def arglist(self, opener: str = "(") -> List[str]:
        """The arguments of f(a, b; c | d) (or of 𝔼[a | b] with ``opener`` "["), as normalised text; "|" kept."""
        closer = {"(": ")", "[": "]"}[opener]
        self.skip_spacing()
        self.accept("cmd", "left")
        self.expect("op", opener)
        args, cur, depth = [], [], 0
        while True:
            t = self.next()
            if t.kind == "cmd" and t.val in ("left", "right") and depth == 0:
                continue
            if t.kind == "op" and t.val in ("(", "[", "{"):
                depth += 1
            elif t.kind == "op" and t.val in (")", "]", "}"):
                if depth == 0 and t.val == closer:
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

    def _prior_density(self) -> bool:
        """``\\pi(x)``, ``\\pi(\\mathbf{x}_T)``: the prior density π of Song et al. 2021 (Sec. 3.1: p_T ≈ π), a function
        of a state, not the number π (which multiplies a time or a variance: 2πσ², cos(πt/2))."""
        k = 2 if self.peek(1) is not None and self.peek(1).kind == "cmd" and self.peek(1).val in ("left", "big", "Big") else 1
        t1 = self.peek(k)  # π\left(x^{(T)}\right) (Sohl-Dickstein et al. 2015, Eq. 1)
        if t1 is None or t1.kind != "op" or t1.val != "(":
            return False
        k += 1
        while self.peek(k) is not None and (self.peek(k).kind == "cmd" and self.peek(k).val in FONTS
                                            or self.peek(k).kind == "op" and self.peek(k).val == "{"):
            k += 1
        first = self.peek(k)
        return first is not None and first.kind == "let" and first.val in ("x", "z", "y")

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
            if t.val == "pi" and self._prior_density():
                self.i += 1
                return Atom("π")
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
                if t.val in _BOLD and inner.base == "e" and not inner.sub:
                    font = "mathbf"  # the bold e is a vector, kept apart from Euler's number (_BOLD)
                return Atom(inner.base, deco or inner.deco, inner.sub, inner.sup, None, font or inner.font)
        return None

    def _is_differential(self) -> bool:
        """``d`` followed by x, t, w, W, s, u, tau or a decorated/bold x or w is a differential."""
        n = self.peek(1)
        if n is None:
            return False
        if n.kind == "let" and n.val in ("x", "t", "w", "W", "s", "u", "X", "z", "r", "B"):
            return True
        if n.kind == "cmd" and (n.val in ("tau", "bar", "overline", "mathrm") or n.val in FONTS):
            return True
        if n.kind == "op" and n.val in ("(", "[") and self._diff_ok_paren:
            return True
        return False

    _diff_ok_paren = False
