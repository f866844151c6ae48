"""Flow matching's conditional Gaussian paths and their vector fields (Lipman et al. 2023, Sec. 3-4).

Notation (Lipman et al. 2023): data x_1 at t = 1, noise at t = 0; the conditional path
p_t(x | x_1) = N(x | μ_t(x_1), σ_t(x_1)² I) (Eq. 10), its flow ψ_t(x) = σ_t(x_1) x + μ_t(x_1) (Eq. 11) and the unique
vector field that generates it (Theorem 3, Eq. 15)

    u_t(x | x_1) = σ'_t(x_1)/σ_t(x_1) (x − μ_t(x_1)) + μ'_t(x_1).

The three paths of Sec. 4, each read by the symbols it is written in:

* VE (Eq. 16-18): μ_t = x_1, σ_t = σ_{1−t} (a VE noise level run in reversed time), u = −σ'_{1−t}/σ_{1−t} (x − x_1);
* VP (Eq. 19-20): μ_t = α_{1−t} x_1, σ_t = √(1 − α²_{1−t}), α_t = e^{−½T(t)}, T(t) = ∫_0^t β(s) ds (the VP SDE's mean
  coefficient, Song et al. 2021, Eq. 29), u = α'_{1−t}/(1 − α²_{1−t}) (α_{1−t} x − x_1);
* optimal transport (Eq. 20-22): μ_t = t x_1, σ_t = 1 − (1 − σ_min) t, u = (x_1 − (1 − σ_min) x)/(1 − (1 − σ_min) t).

The flow may be written on the noise sample, ψ_t(x_0) (Eq. 22-23), and its time derivative d/dt ψ_t(x_0) = σ'_t x_0 + μ'_t
(for OT: x_1 − (1 − σ_min) x_0, the regression target of the CFM loss, Eq. 23) is read too.

A prime (α'_{1−t}, σ'_{1−t}, ^\\prime) is the derivative of the schedule evaluated at 1 − t. A cell that states μ_t and
σ_t beside u_t (or ψ_t) is judged with its own path (Theorem 3); otherwise the path is the one its symbols name
(α: VP, σ_{1−t}: VE, σ_min: OT, none of them: OT with σ_min = 0, the straight path x_t = (1 − t) x_0 + t x_1
of rectified flow, Liu et al. 2022). Every stated piece is checked at random points: exact when it holds
identically, else inconsistent (u_t, ψ_t, α_t: ``rhs``; μ_t: ``mean.x0``; σ_t: ``variance``).
"""
from __future__ import annotations

import random
import re
from typing import Dict, List, Optional

import sympy as sp

from .verdict import Verdict

__all__ = ["judge_flow_paths"]

_SRC = "Lipman et al. 2023 (Flow Matching), Theorem 3 (Eq. 15) and Sec. 4 (Eq. 16-22)"
_X = r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}|\\(?:mathbf|boldsymbol|bm)\s+x|x)"
_X1 = _X + r"\s*_\s*(?:\{\s*1\s*\}|1)"
_COND = r"(?:\\mid|\\vert|\|)"
_L, _R = r"(?:\\left|\\big|\\Big)?\s*\(\s*", r"\s*(?:\\right|\\big|\\Big)?\s*\)"
_U = re.compile(r"(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*u\s*\}|u)\s*_\s*(?:\{\s*t\s*\}|t)\s*" + _L + _X + r"\s*" + _COND
                + r"\s*" + _X1 + _R)
_MU = re.compile(r"\\mu\s*_\s*(?:\{\s*t\s*\}|t)\s*" + _L + _X1 + _R)
_SIG = re.compile(r"\\sigma\s*_\s*(?:\{\s*t\s*\}|t)\s*" + _L + _X1 + _R)
_X0 = _X + r"(?:\s*_\s*(?:\{\s*0\s*\}|0))?"
_PSI = re.compile(r"\\psi\s*_\s*(?:\{\s*t\s*\}|t)\s*" + _L + _X0 + _R)
#: the flow's time derivative, d/dt ψ_t(x) or dψ_t(x)/dt (the target of the CFM loss, Lipman et al. 2023, Eq. 23)
_DPSI = re.compile(r"\\frac\s*\{\s*d\s*\}\s*\{\s*d\s*t\s*\}\s*\\psi_\{fm\}|\\frac\s*\{\s*d\s*\\psi_\{fm\}\s*\}\s*\{\s*d\s*t\s*\}")
_PRIME = r"(?:'|\^\s*\{?\s*\\prime\s*\}?)"
_SUB = r"(_\s*(?:\{[^{}]*\}|\w))"
_PRIME_BEFORE = re.compile(r"\\(alpha|sigma)\s*" + _PRIME + r"\s*" + _SUB)
_PRIME_AFTER = re.compile(r"\\(alpha|sigma)\s*" + _SUB + r"\s*" + _PRIME)
_FUNC_DEF = re.compile(r"^\s*([A-Z])\s*\(\s*t\s*\)\s*=\s*(.+)$", re.S)
_SPLIT = re.compile(r"\\q?quad|\\text\s*\{\s*(?:and|where|with)\s*\}|;")


def _prepare(text: str) -> str:
    s = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s*\{\s*([A-Za-z])\s*\}", r"\1", text)
    s = re.sub(r"\\(?:left|right)(?![a-zA-Z])|\\[,;:!](?![a-zA-Z])|\\big|\\Big", " ", s)
    s = _U.sub("u_{fm}", s)
    s = _MU.sub(r"\\mu_{fm}", s)
    s = _SIG.sub(r"\\sigma_{fm}", s)
    if _PSI.search(s) and re.search(r"\\psi\s*_\s*(?:\{\s*t\s*\}|t)\s*\(\s*x\s*_", s):
        s = re.sub(r"(?<![A-Za-z\\])x\s*_\s*(?:\{\s*0\s*\}|0)", "x", s)  # ψ_t(x_0): the noise sample x_0 is the x
    s = _PSI.sub(r"\\psi_{fm}", s)
    s = _DPSI.sub(r"\\psi_{dfm}", s)
    s = _PRIME_BEFORE.sub(lambda m: "\\dot\\" + m.group(1) + m.group(2), s)
    return _PRIME_AFTER.sub(lambda m: "\\dot\\" + m.group(1) + m.group(2), s)


def _pieces(s: str) -> List[str]:
    eqs = [e.strip().strip(",.").strip() for e in _SPLIT.split(s)]
    eqs = [e for e in eqs if e]
    defs = {}
    for e in eqs:
        m = _FUNC_DEF.match(e)
        if m and "\\int" in m.group(2):
            defs[m.group(1)] = m.group(2)
    out = []
    for e in eqs:
        m = _FUNC_DEF.match(e)
        if m and m.group(1) in defs:
            continue
        for name, body in defs.items():
            e = re.sub(r"(?<![A-Za-z\\])" + name + r"\s*\(\s*t\s*\)", lambda _m: "(" + body + ")", e)
        out.append(e)
    return out


class _Model:
    """The parsed symbols as functions of τ = 1 − t (α_{1−t} = A(τ), σ_{1−t} = S(τ), primes their τ-derivatives)."""

    def __init__(self) -> None:
        self.tau = sp.Symbol("τ", positive=True)
        self.A, self.S = sp.Function("A")(self.tau), sp.Function("S")(self.tau)
        self.x, self.x1 = sp.Symbol("x"), sp.Symbol("x_1")
        self.smin = sp.Symbol("σ_min", positive=True)
        self.seen: set = set()

    def read(self, expr: sp.Expr, atoms) -> Optional[sp.Expr]:
        sub: Dict[sp.Symbol, sp.Expr] = {}
        for q in expr.free_symbols:
            at = atoms.get(q)
            if at is None or at.sup or at.args is not None:
                return None
            key = (at.base, at.sub, at.deco)
            if key in (("α", "1-t", ""), ("α", "1-t", "dot")):
                f = self.A
            elif key in (("σ", "1-t", ""), ("σ", "1-t", "dot")):
                f = self.S
            elif key == ("t", "", ""):
                sub[q] = 1 - self.tau
                self.seen.add("t")
                continue
            elif key == ("x", "", ""):
                sub[q] = self.x
                continue
            elif key == ("x", "1", ""):
                sub[q] = self.x1
                continue
            elif key == ("σ", "min", ""):
                sub[q] = self.smin
                self.seen.add("smin")
                continue
            else:
                return None
            self.seen.add("A" if f is self.A else "S")
            sub[q] = sp.diff(f, self.tau) if at.deco == "dot" else f
        return expr.xreplace(sub)

    def family(self) -> Optional[str]:
        if "A" in self.seen:
            return "VP"
        if "S" in self.seen:
            return "VE"
        if "smin" in self.seen:
            return "OT"
        return "OT0"  # no schedule symbol: the OT path with σ_min = 0 (Lipman et al. 2023, Eq. 20; Liu et al. 2022)

    def path(self, fam: str):
        tau = self.tau
        if fam == "VP":
            return self.A * self.x1, sp.sqrt(1 - self.A ** 2)
        if fam == "VE":
            return self.x1, self.S
        smin = 0 if fam == "OT0" else self.smin
        return (1 - tau) * self.x1, 1 - (1 - smin) * (1 - tau)

    def field(self, mu, sig):
        d = lambda e_: -sp.diff(e_, self.tau)  # noqa: E731  (d/dt = −d/dτ)
        return d(sig) / sig * (self.x - mu) + d(mu)

    def zero(self, expr: sp.Expr) -> Optional[bool]:
        rng = random.Random(7)
        dA, dS = sp.diff(self.A, self.tau), sp.diff(self.S, self.tau)
        for _ in range(5):
            vals = {dA: rng.uniform(-2, -0.1), dS: rng.uniform(0.1, 2)}
            e = expr.subs(vals)
            e = e.subs({self.A: rng.uniform(0.1, 0.9), self.S: rng.uniform(0.1, 3), self.tau: rng.uniform(0.1, 0.9),
                        self.smin: rng.uniform(0.001, 0.1), self.x: rng.uniform(-2, 2), self.x1: rng.uniform(-2, 2)})
            try:
                val = complex(sp.N(e, 30))
            except (TypeError, ValueError, ArithmeticError):
                return None
            if abs(val) > 1e-10:
                return False
        return True


def _alpha_def(rhs: sp.Expr, atoms) -> Optional[bool]:
    """α_t = e^{−½∫_0^t β(s) ds}: the VP SDE's mean coefficient (Song et al. 2021, Eq. 29)."""
    e = sp.expand_log(-2 * sp.log(rhs), force=True)
    ints = [i for i in sp.preorder_traversal(e) if isinstance(i, sp.Integral)]
    if len(ints) != 1:
        return None
    it = ints[0]
    lim = it.limits[0]
    ok_lim = len(lim) == 3 and lim[1] == 0 and str(lim[2]) == "t"
    beta = [q for q in it.function.free_symbols if (a := atoms.get(q)) is not None and a.base == "β"]
    if not ok_lim or len(beta) != 1:
        return None
    return sp.simplify(e - it) == 0


def judge_flow_paths(text: str) -> Optional[List[Verdict]]:
    """The verdicts of a flow-matching cell (module docstring), or None when the cell is not one."""
    if "x_1" not in re.sub(r"\\(?:mathbf|boldsymbol|bm)\s*\{\s*x\s*\}", "x", text).replace(" ", "") \
            or not (_U.search(text) or _MU.search(text) or _SIG.search(text) or _PSI.search(text)):
        return None
    from .atoms import ParseError
    from .parse import parse

    m = _Model()
    rows = []
    for eq in _pieces(_prepare(text)):
        try:
            p = parse(eq)
        except (ParseError, RecursionError, ValueError, TypeError):
            return None
        if len(p.sides) != 2 or not isinstance(p.sides[0], sp.Symbol) or (at := p.atoms.get(p.sides[0])) is None:
            return None
        if at.sub == "t" and at.base == "α" and not at.deco:
            rows.append((eq, "alpha", p.sides[1], p.atoms))
            continue
        if at.sub not in ("fm", "dfm") or at.sub == "dfm" and at.base != "ψ":
            return None
        rhs = m.read(p.sides[1], p.atoms)
        if rhs is None:
            return None
        rows.append((eq, "dψ" if at.sub == "dfm" else at.base, rhs, p.atoms))
    fam = m.family()
    if fam is None or not rows:
        return None
    given = {kind: rhs for _, kind, rhs, _ in rows if kind in ("μ", "σ")}
    own = "μ" in given and "σ" in given
    mu, sig = (given["μ"], given["σ"]) if own else m.path(fam)
    fmu, fsig = m.path(fam)
    out: List[Verdict] = []
    if fam == "OT0" and not any(kind in ("u", "ψ", "dψ") for _, kind, _, _ in rows):
        return None  # a path in no family's symbols: any Gaussian path is one (Theorem 3), nothing to compare with
    name = "OT (σ_min = 0)" if fam == "OT0" else fam
    path = f"the {name} path (μ_t, σ_t) " + ("stated beside it" if own else "its symbols name")
    for eq, kind, rhs, atoms in rows:
        if kind == "alpha":
            z = _alpha_def(rhs, atoms) if fam == "VP" else None
            what, want, term = "α_t of the VP path", "e^{−½∫_0^t β(s) ds}", "rhs"
        elif kind in ("u", "ψ", "dψ"):
            want_e = {"u": m.field(mu, sig), "ψ": sig * m.x + mu,
                      "dψ": -sp.diff(sig, m.tau) * m.x - sp.diff(mu, m.tau)}[kind]
            z = m.zero(rhs - want_e)
            what = {"u": "conditional vector field u_t(x | x_1)", "ψ": "conditional flow ψ_t(x)",
                    "dψ": "time derivative of the conditional flow, d/dt ψ_t(x)"}[kind]
            want = {"u": "σ'_t/σ_t (x − μ_t) + μ'_t", "ψ": "σ_t x + μ_t", "dψ": "σ'_t x + μ'_t"}[kind] + " of " + path
            term = "rhs"
        elif kind in ("μ", "σ") and fam == "OT0":
            continue  # the path the field is checked with (above), in no family's symbols: a definition
        elif kind in ("μ", "σ"):
            z = m.zero(rhs - (fmu if kind == "μ" else fsig))
            what = f"{kind}_t(x_1) of the {name} path"
            shown = str((fmu if kind == "μ" else fsig).subs(m.tau, 1 - sp.Symbol("t")))
            want = shown.replace("A(1 - t)", "α_{1−t}").replace("S(1 - t)", "σ_{1−t}").replace("**", "^")
            term = "mean.x0" if kind == "μ" else "variance"
        else:
            return None
        if z is None:
            return None
        if z:
            out.append(Verdict(eq, "exact", f"identical to the {what}: {want} ({_SRC})", claim=what, target="fm.path"))
        else:
            out.append(Verdict(eq, "inconsistent", f"differs from the {what}: expected {want} ({_SRC})", claim=what,
                               target="fm.path", terms=[term]))
    return out
