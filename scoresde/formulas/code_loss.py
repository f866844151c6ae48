"""A loss written in code as the batch mean of a per-sample sum of squares, read with :mod:`ast` (Python's own grammar):
``torch.mean(torch.sum((score * std[:, None, None, None] + z) ** 2, dim=(1, 2, 3)))`` (Song 2021's score-SDE
tutorial, ``loss_fn``) is E‖σ(t) s_θ(x̃, t) + z‖².

* the mean over the batch, ``mean(X)`` / ``torch.mean(X)`` / ``X.mean()``, is the expectation E[X] (the batch holds
  the samples of x, t and the noise);
* a sum over the data dimensions, ``sum(X, dim=…)`` / ``X.sum(dim=…)``, of a square ``D ** 2`` / ``D.pow(2)`` /
  ``D.square()`` / ``square(D)`` is ‖D‖²; a mean of squares without it is ‖D‖² divided by the (constant) dimension,
  which no minimiser depends on, so it is read as ‖D‖² too;
* the names a loss line uses for what the lines before it computed: ``score`` is the score network's output at the
  perturbed sample, s_θ(x̃, t) (``score = model(perturbed_x, t)``); ``std`` is the standard deviation σ(t) of the
  perturbation kernel p_{0t} (Song's ``marginal_prob_std``); ``perturbed_x`` / ``x_tilde`` / ``x_noisy`` is x̃;
  ``z`` / ``noise`` / ``eps`` the standard normal noise; every other name and call as :mod:`code_latex` reads it.
"""
from __future__ import annotations

import ast
from typing import Optional

from .code_latex import _Tex
from .code_names import CodeError

__all__ = ["mean_of_squares"]

_PERTURBED = {"perturbed_x", "x_tilde", "x_perturbed", "noisy_x", "x_noisy"}


def _func_name(n: ast.AST) -> Optional[str]:
    if not isinstance(n, ast.Call):
        return None
    f = n.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _reduced(n: ast.AST, name: str) -> Optional[ast.AST]:
    """X of ``name(X, …)`` / ``lib.name(X, …)`` / ``X.name(…)``, or None."""
    if _func_name(n) != name:
        return None
    f = n.func
    if isinstance(f, ast.Attribute) and not (isinstance(f.value, ast.Name) and f.value.id in ("torch", "np", "numpy", "jnp", "th")):
        return None if n.args else f.value  # X.mean(), X.sum(dim=…)
    return n.args[0] if len(n.args) == 1 else None


def _square_of(n: ast.AST) -> Optional[ast.AST]:
    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) and isinstance(n.right, ast.Constant) and n.right.value == 2:
        return n.left
    name = _func_name(n)
    if name == "pow" and isinstance(n.func, ast.Attribute) and len(n.args) == 1 and isinstance(n.args[0], ast.Constant) \
            and n.args[0].value == 2:
        return n.func.value
    if name == "square":
        return _reduced(n, "square")
    return None


class _LossNames(ast.NodeTransformer):
    """The names of the module docstring, as the calls and symbols they stand for."""

    def visit_Name(self, node: ast.Name):
        if node.id == "score":
            return ast.Call(ast.Name("score", ast.Load()), [ast.Name("x_tilde", ast.Load()), ast.Name("t", ast.Load())], [])
        if node.id == "std":
            return ast.Call(ast.Name("sigma", ast.Load()), [ast.Name("t", ast.Load())], [])
        if node.id in _PERTURBED:
            return ast.Name("x_tilde", ast.Load())
        if node.id in ("noise", "eps"):
            return ast.Name("z", ast.Load())
        return node


def mean_of_squares(rhs: str) -> Optional[str]:
    """``E‖D‖²`` as LaTeX for a mean of (summed) squares, or None when the code is not one."""
    try:
        node = ast.parse(rhs.strip(), mode="eval").body
    except SyntaxError:
        return None
    inner = _reduced(node, "mean")
    if inner is None:
        return None
    inner = _reduced(inner, "sum") or inner
    d = _square_of(inner)
    if d is None:
        return None
    try:
        tex = _Tex(song_code=True)(_LossNames().visit(d))
    except (CodeError, RecursionError):
        return None
    if "\\text{" in tex:
        return None  # a name of the code's own: what it holds is not in the line
    return r"\mathbb{E}\left[\left\|" + tex + r"\right\|^2\right]"
