"""Identifiers that spell out the quantity they hold, read as that quantity.

Code written beside a paper often names the classifier's gradient by what it is rather than by a code base's own
word: ``grad_log_p_y_given_x``, ``grad_log_prob_y_given_xt``, ``nabla_logp_c_given_z``, ``classifier_grad``,
``grad_classifier``. Each is ∇_{x_t} log p_φ(y | x_t), the gradient guided-diffusion calls ``gradient`` (the value of
its ``cond_fn``; openai/guided-diffusion, gaussian_diffusion.py, condition_mean and condition_score; Dhariwal & Nichol
2021, Alg. 1-2). Such a name is renamed to ``gradient`` before the vocabulary is picked (code_vocab.py), so that the
line is read in guided-diffusion's vocabulary: ``eps`` assigned is the guided ε̂(x_t), ``eps`` read is ε_θ(x_t),
``alpha_bar`` is ᾱ_t. A name spelling another conditional (``grad_log_p_x_given_y``: a state given a label, the
conditional score) is left alone.
"""
from __future__ import annotations

import ast
import re

__all__ = ["spelled_gradients", "is_classifier_gradient"]

_LOGP = r"(?:log_?(?:p|prob|probs|pdf|lik|likelihood|density)|logp|logprob|log_py)"
_LABEL = r"(?:y|c|label|labels|class|cls|cond)"
_STATE = r"(?:x|xt|x_t|x_noisy|z|zt|z_t|x_in|sample)"
_GIVEN = re.compile(rf"(?:grad|nabla|d)_?{_LOGP}_{_LABEL}_(?:given|giv|cond|mid|bar)_{_STATE}")
_WORDS = re.compile(r"(?:classifier|cls|clf)_?grad(?:ient)?s?|grad(?:ient)?_(?:classifier|cls|clf|of_classifier)"
                    r"|(?:guidance|cond)_grad(?:ient)?")


def is_classifier_gradient(name: str) -> bool:
    """Whether ``name`` spells the classifier's gradient ∇_{x_t} log p_φ(y | x_t) (module docstring)."""
    return bool(_GIVEN.fullmatch(name) or _WORDS.fullmatch(name))


def spelled_gradients(mod: ast.AST, names, renamer) -> ast.AST:
    """``mod`` with each name spelling the classifier's gradient renamed to guided-diffusion's ``gradient`` (unless
    ``gradient`` is already a name of the cell)."""
    if "gradient" in names:
        return mod
    for n_ in sorted(names):
        if is_classifier_gradient(n_):
            mod = renamer(n_, "gradient").visit(mod)
    return mod
