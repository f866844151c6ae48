"""Whole-cell readers of wave 9 (vdm area), called from check.verify_formula with one line each.

* :func:`before_split` — cells read as a whole before normalisation: flow matching's paths and fields
  (flow_paths.py), a training step with its network input defined beside the loss (train_step.py);
* :func:`per_alternative` — the split equations of one alternative read together: a VP rate β(t) beside its σ_t²
  (vp_variance_ode.py), the truncated cosine log-SNR schedule (logsnr_truncated.py), x^{VP}/x^{VE} (ve_vp_states.py).
Each returns the verdicts with source and location set, or None (the cell is left to the other readers).
"""
from __future__ import annotations

import dataclasses
from typing import Callable, List, Optional

from .flow_paths import judge_flow_paths
from .logsnr_truncated import truncated_cosine_logsnr
from .train_step import judge_training_step
from .ve_vp_states import judge_ve_vp_states
from .verdict import Verdict
from .vp_variance_ode import beta_with_variance

__all__ = ["before_split", "per_alternative"]


def _placed(vs: List[Verdict], source: str, location: str) -> List[Verdict]:
    return [dataclasses.replace(v, source=source, location=location) for v in vs]


def before_split(text: str, judge: Callable[[str], list], source: str, location: str) -> Optional[List[Verdict]]:
    """Verdicts of a flow-matching cell or of a training step (``judge`` verifies one formula), or None."""
    fm = judge_flow_paths(text)
    if fm is not None:
        return _placed(fm, source, location)
    return judge_training_step(text, judge)


def per_alternative(eqs: List[str], source: str, location: str) -> Optional[List[Verdict]]:
    """Verdicts of the equations of one alternative read together, or None."""
    one = beta_with_variance(eqs) or truncated_cosine_logsnr(eqs)
    if one is not None:
        return _placed([one], source, location)
    states = judge_ve_vp_states(eqs)
    return None if states is None else _placed(states, source, location)
