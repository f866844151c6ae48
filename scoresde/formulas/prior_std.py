"""A prior written with an unnamed terminal std: DPM-Solver's ``x_T ∼ N(0, σ̃² I)``.

Lu et al. 2022a (DPM-Solver), Sec. 2.1, state the prior of a general diffusion SDE as q_T(x_T) ≈ N(x_T | 0, σ̃² I)
"for some σ̃ > 0": σ̃ is the process's std at the end time, σ_T (1 for the VP SDE, σ_max for the VE SDE). A σ̃ with
no index in a Gaussian prior is read as σ_T, so the prior is judged as the registry's prior of that std.
"""
from __future__ import annotations

import re
from typing import Optional

__all__ = ["TERMINAL_NOTE", "tilde_sigma_as_terminal"]

TERMINAL_NOTE = ("σ̃ (no index) in the prior read as the terminal std σ_T of the process (Lu et al. 2022a, Sec. 2.1: "
                 "q_T(x_T) ≈ N(x_T | 0, σ̃² I))")
_TILDE_SIGMA = re.compile(r"\\(?:tilde|widetilde)\s*(?:\{\s*\\sigma\s*\}|\\sigma)(?!\s*_)")
_PRIOR = re.compile(r"\\sim\s*\\mathcal\s*\{?\s*N|^\s*[pq]_\s*\{?\s*[T1]\s*\}?\s*\(")


def tilde_sigma_as_terminal(eq: str) -> Optional[str]:
    """``eq`` with the unindexed σ̃ of a Gaussian prior written σ_T, or None where it has none."""
    if not (_PRIOR.search(eq) and r"\mathcal" in eq and _TILDE_SIGMA.search(eq)):
        return None
    return _TILDE_SIGMA.sub(r"\\sigma_T", eq)
