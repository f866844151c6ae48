"""Fenced code in documents: a Python / pseudocode sampling loop read as the update it implements.

A fenced block (```` ```python ```` or a bare fence) is parsed with :mod:`ast`. A loop whose body
reassigns a state from itself (``x = f(x, ...)``) is a sampling loop; its last such assignment is the
update. Names assigned earlier in the loop body (``eps = model(x, t)``, ``z = torch.randn_like(x)``,
``alpha_t = alphas[t]``) are substituted into it, library prefixes (``torch.``, ``np.``, ``math.``) are
dropped, a network call becomes the noise prediction ε_θ (the score s_θ when the name says score) and a
``randn`` call fresh noise z. The result is plain math (``x = 1/sqrt(alpha_bars[t]) * (...)``) judged like
a formula, as the reverse step x_{t−1} = f(x_t).

A block with a syntax error is reported as such (in the verdict's notes), and the intended update is
still judged: continuation lines (a line ending in an operator or an open bracket) are joined, and
failing that each ``name = expr`` line is read on its own.
"""
from __future__ import annotations

import ast
import re
import textwrap
from typing import Dict, List, Optional, Tuple

__all__ = ["find_snippets", "read_update", "verify_snippets"]

_FENCE = re.compile(r"^([ \t]*)```[ \t]*([\w+-]*)[^\n]*\n(.*?)^[ \t]*```", re.S | re.M)
_SCHEDULE_WORDS = re.compile(r"alpha|beta|sigma|abar|cumprod", re.I)
_NOISE_CALLS = {"randn_like", "randn", "normal", "standard_normal", "normal_like"}
_LIB = {"torch", "np", "numpy", "math", "jnp", "tf", "F"}
_MAX_BLOCK = 20000


def find_snippets(text: str) -> List[Tuple[int, str]]:
    """(line number, code) of every fenced block that mentions a schedule (alpha/beta/sigma) and loops."""
    out = []
    for m in _FENCE.finditer(text):
        code = m.group(3)
        lang = m.group(2).lower()
        if lang and lang not in ("python", "py", "python3", "pseudocode", "text", "plain"):
            continue
        if len(code) > _MAX_BLOCK or not _SCHEDULE_WORDS.search(code) or not re.search(r"\b(for|while)\b", code):
            continue
        out.append((text.count("\n", 0, m.start()) + 2, textwrap.dedent(code)))
    return out


def _parse(code: str) -> Tuple[Optional[ast.Module], Optional[str]]:
    """The module (repaired if needed) and the syntax error of the code as written (None if none)."""
    try:
        return ast.parse(code), None
    except SyntaxError as err:
        error = f"the code has a syntax error at line {err.lineno}: {err.msg}"
    # join continuation lines: a line ending in an operator, a comma or an open bracket
    lines = code.split("\n")
    joined: List[str] = []
    for ln in lines:
        body = ln.split("#")[0].rstrip()
        if joined and re.search(r"[-+*/%(,\[=]\s*$", joined[-1].split("#")[0].rstrip()):
            joined[-1] = joined[-1].split("#")[0].rstrip() + " " + body.strip()
        else:
            joined.append(ln)
    try:
        return ast.parse("\n".join(joined)), error
    except SyntaxError:
        pass
    # last resort: every `name = expr` line on its own, inside one synthetic loop
    stmts = []
    for ln in joined:
        m = re.match(r"^\s*([A-Za-z_]\w*)\s*=\s*(.+)$", ln.split("#")[0])
        if m:
            try:
                ast.parse(m.group(0).strip())
                stmts.append("    " + m.group(0).strip())
            except SyntaxError:
                continue
    if not stmts:
        return None, error
    return ast.parse("for _ in _:\n" + "\n".join(stmts)), error


class _Rewrite(ast.NodeTransformer):
    """Library calls to plain functions, network calls to ε_θ / s_θ, noise draws to z, names inlined."""

    def __init__(self, env: Dict[str, ast.expr], state: str):
        self.env = env
        self.state = state

    def visit_Name(self, node: ast.Name):
        if node.id in self.env:
            return self.visit(_copy(self.env[node.id]))
        return node

    def visit_IfExp(self, node: ast.IfExp):  # `randn_like(x) if t > 1 else 0`: the general branch
        return self.visit(node.body)

    def visit_Attribute(self, node: ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id in _LIB:
            return ast.Name(node.attr, ast.Load())
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call):
        fn = node.func
        name = fn.attr if isinstance(fn, ast.Attribute) else (fn.id if isinstance(fn, ast.Name) else "")
        if name in _NOISE_CALLS:
            return ast.Name("z", ast.Load())
        if name == "sqrt" and isinstance(fn, ast.Attribute) and not (isinstance(fn.value, ast.Name) and fn.value.id in _LIB):
            return ast.Call(ast.Name("sqrt", ast.Load()), [self.visit(fn.value)], [])
        uses_state = any(isinstance(n, ast.Name) and n.id == self.state for a in node.args for n in ast.walk(a))
        if uses_state and name not in ("sqrt", "exp", "log", "cos", "sin", "clip", "clamp"):
            return ast.Name("s_theta" if "score" in name.lower() else "eps_theta", ast.Load())
        node.args = [self.visit(a) for a in node.args]
        return node


def _copy(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body


def _target(node: ast.stmt) -> Optional[str]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        return node.target.id
    return None


def read_update(code: str) -> Tuple[Optional[str], Optional[str]]:
    """(the update as plain math ``x = ...`` or None, the syntax error as written or None)."""
    mod, error = _parse(code)
    if mod is None:
        return None, error
    best = None
    for loop in [n for n in ast.walk(mod) if isinstance(n, (ast.For, ast.While))]:
        env: Dict[str, ast.expr] = {}
        body = [s for s in ast.walk(loop) if isinstance(s, (ast.Assign, ast.AugAssign))]
        body.sort(key=lambda s: (s.lineno, s.col_offset))
        for st in body:
            name = _target(st)
            if name is None:
                continue
            value = st.value
            if isinstance(st, ast.AugAssign):
                value = ast.BinOp(ast.Name(name, ast.Load()), st.op, st.value)
            reads_self = any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(value))
            if reads_self and _SCHEDULE_WORDS.search(ast.unparse(value) + " " + " ".join(ast.unparse(v) for v in env.values())):
                expr = _Rewrite({k: v for k, v in env.items() if k != name}, name).visit(_copy(value))
                best = f"{name} = {ast.unparse(expr)}"
            else:
                env[name] = value
    return best, error


def verify_snippets(text: str, source: str = "", numeric=True, budget=None) -> list:
    """Verdicts of the sampling updates implemented by the document's fenced code blocks."""
    from .check import Verdict, verify_formula

    out = []
    for line, code in find_snippets(text):
        upd, error = read_update(code)
        where = f"line {line}, code block"
        if upd is None:
            if error:
                out.append(Verdict(code.strip()[:300], "unparsed", f"{error}; no sampling update could be read from it",
                                   source=source, location=where))
            continue
        for v in verify_formula(upd, None, source=source, location=where + " (the loop's update)", numeric=numeric, budget=budget):
            v.notes.insert(0, f"read from the code as {upd}")
            if error:
                v.notes.insert(0, error + " (the update it evidently intends is judged)")
            out.append(v)
    return out
