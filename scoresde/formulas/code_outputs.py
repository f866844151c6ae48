"""A network output whose meaning the code leaves to a setting: diffusers' ``model_output``.

diffusers' DDPM/DDIM and Euler-family schedulers (huggingface/diffusers, schedulers/scheduling_ddpm.py ``step``,
scheduling_ddim.py ``step``, scheduling_euler_discrete.py ``step``) name the network's output ``model_output`` whatever it predicts; ``prediction_type`` says whether it is the
noise ε ("epsilon", the default the code vocabulary reads), the data ("sample") or the velocity v = √ᾱ_t ε − √(1 − ᾱ_t) x_0
("v_prediction", Salimans & Ho 2022, Sec. 4 and App. D). A line judged other than exact/consistent with the default
reading is judged again with the v reading; when it is exact there, the verdict is ``consistent`` with the reading
stated (it is the formula of a v-predicting model, not of the default one), so a wrong line of the ε form that happens
to be the v form is never called exact.
"""
from __future__ import annotations

import re
from typing import Callable, List, Optional

from .verdict import Verdict

__all__ = ["output_reading", "judge_with_output_readings"]

_BUSY: List[bool] = []  # set while judging the readings: their own judging does not look for readings again

_OUTPUT = re.compile(r"(?<![\w.])model_output(?!\w)")
V_NAME = "model_output_v"  # code_vocab.py: diffusers' vocabulary reads it as v_θ(x_t, t)
_NOTE = ("model_output read as the v-prediction (diffusers' prediction_type='v_prediction'; Salimans & Ho 2022, "
         "Sec. 4): exact for a v-predicting model")


def output_reading(text: str) -> Optional[str]:
    """The cell with diffusers' generic ``model_output`` read as the v-prediction, or None when the cell is not
    Python code of diffusers' DDPM/DDIM schedulers naming it."""
    from .code_latex import code_to_latex
    from .code_vocab import pick_vocab

    if "\\" in text or not _OUTPUT.search(text):
        return None
    ids = set(re.findall(r"[A-Za-z_]\w*", text))
    vocab = pick_vocab(ids)
    if vocab is None or not vocab.name.startswith(("diffusers (DDPM", "diffusers (Euler")) or code_to_latex(text) is None:
        return None
    return _OUTPUT.sub(V_NAME, text)


def judge_with_output_readings(text: str, judge: Callable[[str], List[Verdict]]) -> Optional[List[Verdict]]:
    """``judge(text)``, and where that is not exact/consistent and the v reading of ``model_output`` is exact, the v
    reading's verdicts as ``consistent`` (module docstring); None when the cell has no such output."""
    if _BUSY:
        return None
    alt = output_reading(text)
    if alt is None:
        return None
    _BUSY.append(True)
    try:
        first = judge(text)
        if all(v.verdict in ("exact", "consistent") for v in first):
            return first
        second = judge(alt)
    finally:
        _BUSY.pop()
    if not second or not all(v.verdict == "exact" for v in second):
        return first
    for v in second:
        v.verdict = "consistent"
        v.detail = f"{_NOTE}; {v.detail}"
        v.notes.insert(0, _NOTE)
    return second
