"""Variable names of diffusion code, read as the symbols they hold.

The official DDPM code (Ho et al. 2020, ``diffusion_utils_2.py``), Improved DDPM's ``gaussian_diffusion.py``
(Nichol & Dhariwal 2021), the DDIM code (Song, Meng & Ermon 2021) and tutorials that follow them (Hugging Face's
"The Annotated Diffusion Model") precompute the schedule's functions under compositional names:
``sqrt_alphas_cumprod`` is √ᾱ, ``sqrt_one_minus_alphas_cumprod`` √(1 − ᾱ), ``sqrt_recip_alphas_cumprod``
1/√ᾱ, ``sqrt_recipm1_alphas_cumprod`` √(1/ᾱ − 1), ``log_one_minus_alphas_cumprod`` log(1 − ᾱ),
``alphas_cumprod_prev`` ᾱ_{t−1}; a trailing ``_t`` (``betas_t``, ``sqrt_one_minus_alphas_cumprod_t``) is the value
at t. States and predictions are named by role: ``x_start`` x_0, ``x_noisy`` x_t, ``pred_xstart``/``x0_pred``/
``pred_x0`` x̂_0, ``model_mean`` μ_θ, ``posterior_mean`` μ̃_t, ``posterior_variance`` β̃_t.

:func:`code_word` gives the LaTeX of one such name (None for a name it does not know), for
:func:`scoresde.formulas.tokens.plain_to_latex`.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

__all__ = ["code_temporaries", "code_word"]

_CORE = {
    "alphas_cumprod": r"\bar{\alpha}", "alphas_bar": r"\bar{\alpha}", "alpha_bar": r"\bar{\alpha}",
    "alpha_bars": r"\bar{\alpha}", "alphas_hat": r"\bar{\alpha}", "alpha_cumprod": r"\bar{\alpha}",
    "alphas": r"\alpha", "alpha": r"\alpha", "betas": r"\beta", "beta": r"\beta",
    "posterior_variance": r"\tilde{\beta}",
}
_ROLE = {
    "x_start": "x_0", "x_noisy": "x_t", "x_t": "x_t", "x_prev": "x_{t-1}", "xt": "x_t",
    "pred_xstart": r"\hat{x}_0", "pred_x0": r"\hat{x}_0", "x0_pred": r"\hat{x}_0", "x_0_pred": r"\hat{x}_0",
    "x0_hat": r"\hat{x}_0", "x_0_hat": r"\hat{x}_0", "pred_original_sample": r"\hat{x}_0",
    "model_mean": r"\mu_\theta(x_t, t)", "posterior_mean": r"\tilde{\mu}_t", "eta": r"\eta",
}
_INDEX = {"t": "t", "prev": "t-1", "next": "t+1", "i": "i", "s": "s"}


def code_word(word: str, idx: Optional[str] = None) -> Optional[str]:
    """LaTeX for a code name of a schedule function or a state (see the module docstring), or None; ``idx`` is the
    index written after it (``alphas_cumprod[t - 1]``), used where the name has no index suffix of its own."""
    if word in _ROLE:
        return _ROLE[word]
    rest, ops = word, []
    while True:
        m = re.match(r"(sqrt_recipm1|sqrt_recip|sqrt|one_minus|log|recip)_", rest)
        if not m or m.group(1) == rest:
            break
        ops.append(m.group(1))
        rest = rest[m.end():]
    sub = re.sub(r"\s+", "", idx) if idx else "t"
    m = re.fullmatch(r"(.+?)_(t|prev|next|i|s)", rest)
    if m and m.group(1) in _CORE:
        rest, sub = m.group(1), _INDEX[m.group(2)]
    if rest not in _CORE or (not ops and not m and rest in ("alphas", "alpha", "betas", "beta")):
        return None  # plain alphas[t], beta: left to the plain-word table
    out = f"{_CORE[rest]}_{{{sub}}}"
    for op in reversed(ops):
        out = {"sqrt": rf"\sqrt{{{out}}}", "one_minus": f"(1 - {out})", "log": rf"\log({out})",
               "recip": rf"\frac{{1}}{{{out}}}", "sqrt_recip": rf"\frac{{1}}{{\sqrt{{{out}}}}}",
               "sqrt_recipm1": rf"\sqrt{{\frac{{1}}{{{out}}} - 1}}"}[op]
    return out


_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*)\s*=(?!=)\s*(.+?)\s*$", re.S)


def code_temporaries(eqs: List[str]) -> Tuple[List[str], List[str]]:
    """Statements of code run in order (``x_mean = x + …; std = …; x = x_mean + std * noise``, as in Song et al.
    2021's predictors): a name assigned by one statement and used by a later one is that statement's value there, so
    it is substituted and the temporary statement dropped; the last statements are judged. LaTeX is left alone."""
    if len(eqs) < 2 or any("\\" in e for e in eqs):
        return eqs, []
    out, notes = list(eqs), []
    k = 0
    while k < len(out) - 1:
        m = _ASSIGN.match(out[k])
        later = out[k + 1:]
        if m is None or not any(re.search(rf"(?<![\w.]){re.escape(m.group(1))}(?![\w\[(])", e.split("=", 1)[-1]) for e in later):
            k += 1
            continue
        name, body = m.group(1), m.group(2)
        subbed = []
        for e in later:
            lhs, eq, rhs = e.partition("=")
            if eq and not rhs.startswith("="):
                rhs = re.sub(rf"(?<![\w.]){re.escape(name)}(?![\w\[(])", lambda _m: f"({body})", rhs)
                e = lhs + eq + rhs
            subbed.append(e)
        out = out[:k] + subbed
        notes.append(f"{name} (assigned in an earlier statement) substituted into the statements after it")
    return out, notes
