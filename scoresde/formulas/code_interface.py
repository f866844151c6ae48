"""The interface of Song et al.'s ``sde_lib`` (yang-song/score_sde, sde_lib.py), read from the statements of a cell.

* ``SDE.sde`` returns ``drift, diffusion``: both in one cell are dx = drift dt + diffusion dw;
* ``marginal_prob`` returns ``mean, std`` of p_{0t}(x(t) | x(0)) for the data x: both are x(t) ~ N(mean, std² I);
  a ``mean`` from ``log_mean_coeff`` without its ``std`` is the kernel's mean alone, 𝔼[x(t) | x(0)] = mean.
  The VP and sub-VP SDEs compute both from ``log_mean_coeff`` with ``mean = exp(log_mean_coeff) * x``, so a ``std``
  computed from ``log_mean_coeff`` alone is the std of that kernel (its mean is the interface's);
* ``SDE.reverse`` computes ``rev_drift = drift − diffusion² · score · (0.5 if probability_flow else 1.)`` and returns
  ``rev_drift, diffusion`` (zero noise for the probability flow): a ``rev_drift`` whose score term carries the ½ is the
  drift of the probability-flow ODE dx = rev_drift dt (Eq. 13), one without it the reverse-time SDE
  dx = rev_drift dt + diffusion dw̄ (Eq. 6);
* ``prior_logp(z)``: a Gaussian log-density (a π in it) of the sample ``z`` is the prior's, log p_T(z).

The coefficients of the DDPM posterior mean μ̃_t(x_t, x_0) = c_0 x_0 + c_t x_t (Ho et al. 2020, Eq. 7) are computed
under names of their own: ``posterior_mean_coef1``/``posterior_mean_coef2`` (Ho et al.'s diffusion_utils_2.py and the
improved/guided-diffusion code derived from it) and ``pred_original_sample_coeff``/``current_sample_coeff``
(diffusers' DDPMScheduler.step). A line defining one is judged as that term of Eq. 7, the other term written as the
paper has it, so a wrong coefficient is named as the term it multiplies (:func:`posterior_term`).
"""
from __future__ import annotations

import ast
from fractions import Fraction
from typing import Dict, List

from .code_solvers import _names, _terms  # the names and additive terms of a code expression

__all__ = ["interface_pairs", "prior_logp", "code_objective", "posterior_term", "POSTERIOR_C0", "POSTERIOR_CT"]

_C0 = r"\frac{\sqrt{\bar{\alpha}_{t-1}}\beta_t}{1 - \bar{\alpha}_t}"
_CT = r"\frac{\sqrt{\alpha_t}\left(1 - \bar{\alpha}_{t-1}\right)}{1 - \bar{\alpha}_t}"
POSTERIOR_C0, POSTERIOR_CT = r"\left(%s\right)" % _C0, r"\left(%s\right)" % _CT  # the names used on a right side
_POSTERIOR = {"posterior_mean_coef1": "x0", "pred_original_sample_coeff": "x0",
              "posterior_mean_coef2": "xt", "current_sample_coeff": "xt"}


def posterior_term(name: str, rhs: str):
    """(left side, right side) of Eq. 7 with the coefficient ``name`` (module docstring) given by ``rhs``, or None."""
    which = _POSTERIOR.get(name)
    if which is None:
        return None
    lhs = r"\tilde{\mu}_t\left(x_t, x_0\right)"
    if which == "x0":
        return lhs, r"\left(%s\right) x_0 + %s x_t" % (rhs, _CT)
    return lhs, r"%s x_0 + \left(%s\right) x_t" % (_C0, rhs)


def prior_logp(name: str, value: ast.AST) -> bool:
    """``logps = -N / 2. * np.log(2 * np.pi) - torch.sum(z ** 2) / 2.``: the prior's log-density (module docstring)."""
    if name not in ("logp", "logps", "log_p", "prior_logp", "log_prob", "logpz"):
        return False
    names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
    return "z" in names and any(isinstance(n, ast.Attribute) and n.attr == "pi" or isinstance(n, ast.Name) and n.id == "pi"
                                for n in ast.walk(value))


def _has_half(node: ast.AST) -> bool:
    """A factor ½ in a product: a constant 0.5 / 1/2 factor, or a division by 2."""
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) and not isinstance(n.value, bool) \
                and Fraction(repr(n.value)) == Fraction(1, 2):
            return True
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) and isinstance(n.right, ast.Constant) \
                and n.right.value == 2:
            return True
    return False


def interface_pairs(finals: List[tuple], env: Dict[str, ast.expr]) -> List[tuple]:
    """The final statements ``(name, target, value)`` with the interface's pairs made one formula (module docstring):
    a pair's value is a tuple (read by code_latex.code_to_latex)."""
    by = {o[0]: o for o in finals if o[0] is not None}
    for a, b in (("drift", "diffusion"), ("mean", "std")):
        if a in by and b in by:
            rest = [o for o in finals if o[0] not in (a, b)]
            return rest + [(a + "+" + b, None, (by[a][2], by[b][2]))]
    if "std" in by and "mean" not in by and "log_mean_coeff" in _names(by["std"][2]) and "log_mean_coeff" not in env:
        mean = ast.parse("exp(log_mean_coeff) * x", mode="eval").body
        rest = [o for o in finals if o[0] != "std"]
        return rest + [("mean+std", None, (mean, by["std"][2]))]
    if "mean" in by and "std" not in by and "log_mean_coeff" in env:
        # marginal_prob's mean alone, exp(log_mean_coeff) · x: the kernel's mean 𝔼[x(t) | x(0)] (kernel_mean.py)
        return [o for o in finals if o[0] != "mean"] + [("mean", None, (by["mean"][2],))]
    if "rev_drift" in by:
        value = by["rev_drift"][2]
        rest = [o for o in finals if o[0] != "rev_drift"]
        score = [t_ for t_ in _terms(value) if _names(t_) & {"score", "grad", "score_fn"}]
        if score and all(_has_half(t_) for t_ in score):
            return rest + [("rev_drift", None, (value,))]
        diffusion = env.get("diffusion", ast.Name("diffusion", ast.Load()))
        return rest + [("rev_drift+diffusion", None, (value, diffusion))]
    return finals


def code_objective(text: str, target, judge):
    """A loss line of code judged as the objective its LaTeX states (code_latex.py reads the code base's names), or
    None when the cell is not code, not one equation, or its LaTeX is not read as an objective."""
    from .code_latex import code_to_latex
    from .tokens import looks_plain

    if not looks_plain(text):
        return None
    code = code_to_latex(text)
    if not code or " ; " in code:  # (code_to_latex joins equations with " ; ")
        return None
    got = judge(code, target)
    return got if got is not None and got.verdict != "unparsed" else None
