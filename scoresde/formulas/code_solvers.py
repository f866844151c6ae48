"""Readings of diffusers' solver and Euler-family scheduler lines that depend on the statement itself.

diffusers' schedulers call the network's output ``model_output`` whatever it predicts, and keep their state
``sample`` in the scaling of the scheduler; the line itself tells which (each rule holds for every line of the code
base it names, never for one formula):

* ``DPMSolverMultistepScheduler`` (huggingface/diffusers, schedulers/scheduling_dpmsolver_multistep.py,
  ``dpm_solver_first_order_update`` and the multistep updates) steps from the time s (``sigma_s``, ``alpha_s``,
  ``lambda_s``) to t: ``sample`` is x_s, the result ``x_t``; ``convert_model_output`` has already turned the output into
  the data prediction x_θ for ``algorithm_type="dpmsolver++"`` and into the noise prediction ε_θ for ``"dpmsolver"``.
  Which one a line uses is written in it: in every update of Lu et al. (2022a, Eq. 3.7; 2022b, Eq. 9-10) the noise
  prediction is scaled by σ_t and the data prediction by α_t (x_t = α_t x_0 + σ_t ε), so ``model_output`` is x_θ when its
  factor names an α and no σ, else ε_θ. The reference code (LuChengTHU/dpm-solver, dpm_solver_pytorch.py,
  ``dpm_solver_first_update(x, s, t, model_s)``) names the same output ``model_s`` and the state at s ``x``.
* the same scheduler's ``_sigma_to_alpha_sigma_t`` and the Euler-family schedulers (scheduling_euler_discrete.py:
  ``sigmas = ((1 − ᾱ)/ᾱ)^½``) name by a bare ``sigma`` the noise level of Karras et al.'s scaling (EDM Eq. 1 with
  s(t) = 1), σ_t/α_t in the VP notation; their ``sample`` is the state in that scaling, x_t/α_t, and
  ``scale_model_input`` (an in-place ``sample = sample / f(sigma)``, no model evaluated) returns the network's input
  in the VP scaling, x_t.
"""
from __future__ import annotations

import ast
from typing import Dict, Optional, Tuple

__all__ = ["dpm_adapt", "euler_adapt", "EDM_SIGMA", "EDM_STATE"]

EDM_SIGMA = r"\frac{\sigma_t}{\alpha_t}"
EDM_STATE = r"\frac{x_t}{\alpha_t}"
_DATA = r"x_\theta\left(x_s, s\right)"
_NOISE = r"\epsilon_\theta\left(x_s, s\right)"


def _terms(node: ast.AST):
    """The additive terms of an expression (through + and −)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        yield from _terms(node.left)
        yield from _terms(node.right)
    else:
        yield node


def _names(node: ast.AST):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def output_is_data(value: ast.AST, output: str = "model_output") -> Optional[bool]:
    """Whether the network output ``output`` is scaled by an α (True: a data prediction) or by a σ (False: a noise
    prediction) in the term of ``value`` that holds it; None when the line does not say."""
    for term in _terms(value):
        names = _names(term)
        if output not in names:
            continue
        names.discard(output)
        alpha = any(n.startswith("alpha") for n in names)
        sigma = any(n.startswith("sigma") for n in names)
        if alpha != sigma:
            return alpha
    return None


def dpm_adapt(value: ast.AST, target: Optional[str]) -> Tuple[Dict[str, str], Optional[str]]:
    """Names read from a DPMSolverMultistepScheduler line (module docstring): (overrides, the left side or None)."""
    names = _names(value)
    out: Dict[str, str] = {}
    if names & {"sigma_s", "alpha_s", "lambda_s", "sigma_s0", "alpha_s0", "lambda_s0"}:
        out["sample"] = "x_s"
        out["model_output"] = _DATA if output_is_data(value) else _NOISE
    if "model_s" in names:  # DPM-Solver's reference code: dpm_solver_first_update(x, s, t, model_s), x at s
        out["x"] = "x_s"
        out["model_s"] = _DATA if output_is_data(value, "model_s") else _NOISE
    if "sigma" in names and target != "sigma":
        out["sigma"] = EDM_SIGMA
    return out, None


def euler_adapt(value: ast.AST, target: Optional[str]) -> Tuple[Dict[str, str], Optional[str]]:
    """An Euler-family line (module docstring): the in-place rescale of ``sample`` by a function of ``sigma`` alone
    is scale_model_input, whose result is the VP state x_t."""
    if target == "sample" and isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Div, ast.Mult)) \
            and _names(value) == {"sample", "sigma"}:
        return {}, "x_t"
    return {}, None
