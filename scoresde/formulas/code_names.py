"""Identifiers of diffusion code -> LaTeX symbols, by the compositional naming of Ho et al.'s ``diffusion_utils``
(and the code derived from it: improved/guided-diffusion, the Annotated Diffusion Model), Song et al.'s ``sde_lib`` and
Karras et al.'s sampler (the rules are listed in :mod:`scoresde.formulas.code_latex`)."""
from __future__ import annotations

import ast
import re
from typing import List, Optional

__all__ = ["CodeError", "name_to_latex", "BASES", "is_array", "is_step_scalar", "in_place_update"]

BASES = {
    "alpha": r"\alpha", "alphas": r"\alpha", "beta": r"\beta", "betas": r"\beta", "sigma": r"\sigma",
    "sigmas": r"\sigma", "gamma": r"\gamma", "lambda": r"\lambda", "lmbda": r"\lambda", "lam": r"\lambda",
    "mu": r"\mu", "theta": r"\theta", "eps": r"\epsilon", "epsilon": r"\epsilon", "noise": r"\epsilon",
    "tau": r"\tau", "eta": r"\eta", "rho": r"\rho", "xi": r"\xi", "pi": r"\pi", "snr": r"\mathrm{SNR}",
}
_BAR = {"cumprod", "bar", "bars"}
_DECO = {"hat": r"\hat", "tilde": r"\tilde"}
#: quantities named by their meaning in Ho et al.'s diffusion_utils (and the code derived from it)
_MEANING = {"posterior_variance": r"\tilde{\beta}", "posterior_mean": r"\tilde{\mu}", "model_mean": r"\mu_\theta(x_t, t)",
            "loss": "L", "eps_theta": r"\epsilon_\theta", "eps_pred": r"\epsilon_\theta", "pred_noise": r"\epsilon_\theta",
            "noise_pred": r"\epsilon_\theta", "eps_hat": r"\epsilon_\theta", "s_theta": r"s_\theta", "score": r"s_\theta",
            "mu_theta": r"\mu_\theta(x_t, t)", "model_variance": r"\sigma_t^2", "model_log_variance": r"\log\sigma_t^2", "x0_pred": r"\hat{x}_0", "pred_x0": r"\hat{x}_0", "x0_hat": r"\hat{x}_0",
            "x_0_hat": r"\hat{x}_0", "pred_xstart": r"\hat{x}_0", "abar": r"\bar{\alpha}", "alphabar": r"\bar{\alpha}",
            "logp": r"\log p", "log_p": r"\log p",  # sde_lib's prior_logp(z): logp = -N/2 log(2π) - Σz²/2
            "alpha_bar": r"\bar{\alpha}", "alphas_bar": r"\bar{\alpha}", "alpha_bars": r"\bar{\alpha}",
            # the DDPM code of the widely copied video tutorials (dome272/Diffusion-Models-pytorch, ddpm.py:
            # alpha_hat = torch.cumprod(alpha), predicted_noise = model(x, t)): the hat is Ho et al.'s bar
            "alpha_hat": r"\bar{\alpha}", "alphas_hat": r"\bar{\alpha}", "predicted_noise": r"\epsilon_\theta",
            # classifier-free guidance (Ho & Salimans 2022, Eq. 6): the two network outputs and their combination
            "eps_cond": r"\epsilon_\theta(x_t, c)", "eps_uncond": r"\epsilon_\theta(x_t)", "eps_tilde": r"\tilde{\epsilon}_\theta(x_t, c)",
            "eps_guided": r"\tilde{\epsilon}_\theta(x_t, c)", "eps_cfg": r"\tilde{\epsilon}_\theta(x_t, c)",
            # EDM's preconditioning (Karras et al. 2022, Table 1; k-diffusion's Denoiser.get_scalings, diffusers' EDM
            # schedulers): functions of the noise level, named without their argument in code
            "c_skip": r"c_{skip}(\sigma)", "c_out": r"c_{out}(\sigma)", "c_in": r"c_{in}(\sigma)",
            "c_noise": r"c_{noise}(\sigma)", "sigma_data": r"\sigma_{data}",
            # Ho et al.'s diffusion_utils_2.py: the coefficients of the posterior mean μ̃_t = coef1 x_0 + coef2 x_t (Eq. 7)
            "posterior_mean_coef1": r"\frac{\sqrt{\bar{\alpha}_{t-1}}\beta_t}{1 - \bar{\alpha}_t}",
            "posterior_mean_coef2": r"\frac{\sqrt{\alpha_t}\left(1 - \bar{\alpha}_{t-1}\right)}{1 - \bar{\alpha}_t}"}
_INDEX = {"t", "s", "i", "j", "k", "n", "T", "N", "0", "1", "prev", "next", "cur", "min", "max", "ts"}
_STEPS = ("prev", "next", "cur")
_X_NAMES = {"x_data": "x(0)", "x_start": "x_0", "x0": "x_0", "x_0": "x_0", "x_noisy": "x_t", "x_t": "x_t", "xt": "x_t",
            "x_tm1": "x_{t-1}", "z_t": "z_t", "x_T": "x_T", "dx_dt": r"\frac{dx}{dt}", "dxdt": r"\frac{dx}{dt}",
            "Delta_t": r"\Delta t",
            # differentials in an SDE written as code (dx = drift * dt + diffusion * dw; Song et al. 2021's reverse
            # samplers write the reverse-time increment dw_bar)
            "dx": "dx", "dt": "dt", "dw": "dw", "dw_bar": r"d\bar{w}", "dwbar": r"d\bar{w}", "dw_rev": r"d\bar{w}"}


class CodeError(ValueError):
    """A construct this reader does not translate (the caller falls back to its other readers)."""


def name_to_latex(name: str, index: Optional[str] = None, *, song_code: bool = False, step: str = "t") -> str:
    """One identifier (and an index written ``[index]``) as LaTeX, by the compositional naming of the module docstring;
    ``step`` is the step index that ``_prev``/``_next``/``_cur`` count from."""
    if name in _X_NAMES and index is None:
        return _X_NAMES[name]
    for word, tex in _MEANING.items():
        if name == word or name.startswith(word + "_") and name[len(word) + 1:] in _INDEX:
            idx = index if name == word else name[len(word) + 1:]
            if idx in _STEPS:  # alpha_bar_prev: the previous step's (guided-diffusion's DDIM sampler)
                idx = {"prev": f"{step}-1", "next": f"{step}+1", "cur": step}[idx]
            return tex if idx is None else (f"{tex}_{{{idx}}}" if "_" not in tex else tex)
    if song_code and name in ("beta_0", "beta_1") and index is None:  # sde_lib.VPSDE: self.beta_0 = beta_min, beta_1 = beta_max
        return r"\beta_{\min}" if name == "beta_0" else r"\beta_{\max}"
    if name.startswith("discrete_") and len(name) > 9:
        # score_sde's sde_lib: discrete_betas, discrete_sigmas, discrete_alphas are the discretised chain's β_i, σ_i
        # (Song et al. 2021, App. C: β_i = β̄_i/N; VESDE's σ_i), the arrays themselves
        return name_to_latex(name[9:], index, song_code=song_code, step=step)
    parts = [p for p in name.split("_") if p]
    ops: List[str] = []
    while len(parts) > 1 and parts[0] in ("sqrt", "recip", "recipm1", "one", "log"):
        if parts[0] == "one" and len(parts) > 2 and parts[1] == "minus":
            ops.append("one_minus")
            parts = parts[2:]
        elif parts[0] == "one":
            break
        else:
            ops.append(parts.pop(0))
    if not parts:
        raise CodeError(f"cannot read the name {name!r}")
    head = parts[0]
    square = False
    m = re.fullmatch(r"([a-z]+)2", head)
    if m and m.group(1) in BASES:  # sigma2, alpha2: the square (VDM's code)
        head, square = m.group(1), True
    bar = False
    deco = None
    if len(parts) > 1 and parts[-1] in _INDEX and parts[-1] not in _STEPS + ("min", "max"):
        index = None  # the name carries its own index (betas_t): an elementwise reading does not add another
    sub = index
    for p in parts[1:]:
        if p in _BAR:
            bar = True
        elif p in _DECO and deco is None:
            deco = _DECO[p]
        elif p in _INDEX and sub is None:
            sub = {"prev": f"{step}-1", "next": f"{step}+1", "cur": step, "min": r"\min", "max": r"\max", "ts": "t|s"}.get(p, p)
        elif p in _STEPS and sub is not None:
            sub = {"prev": f"{sub}-1", "next": f"{sub}+1", "cur": sub}[p]
        elif len(parts) == 2 and len(head) == 1 and sub is None and p.isalpha():
            sub = p  # S_noise, S_churn (Karras et al. 2022, Alg. 2): a letter with a word as its label
        elif len(parts) == 2 and head in BASES and sub is None and len(p) == 1 and p.isalpha():
            sub = p  # beta_d (Karras et al. 2022, Table 1: β_d of the VP column): a symbol with a letter as its label
        else:
            return r"\text{%s}" % name  # a name of the code's own: a word, for the domain layer to place or not
    if head == "alphas" and not bar:
        # Ho et al.'s diffusion_utils: ``alphas = 1. - betas`` (α_t of DDPM, never DDIM's α = ᾱ)
        base = r"\left(1 - \beta%s\right)" % (f"_{{{sub}}}" if sub is not None else "")
        sub = None
    elif head in BASES:
        base = BASES[head]
    elif len(head) == 1 and head.isalpha():
        base = head
    else:
        return r"\text{%s}" % name
    if bar:
        base = r"\bar{%s}" % base
    if deco:
        base = r"%s{%s}" % (deco, base)
    tex = base + (f"_{{{sub}}}" if sub is not None else "")
    if square:
        tex = f"{tex}^{{2}}"
    for op in reversed(ops):
        tex = {"sqrt": r"\sqrt{%s}", "recip": r"\frac{1}{%s}", "recipm1": r"\left(\frac{1}{%s} - 1\right)",
               "one_minus": r"\left(1 - %s\right)", "log": r"\log\left(%s\right)"}[op] % tex
    return tex


def is_array(name: str) -> bool:
    """A schedule array by its name: a plural (``betas``, ``alphas_cumprod_prev``) or a cumulative product."""
    head = name.split("_")[0]
    return "cumprod" in name or (head.endswith("s") and head[:-1] in BASES) or name.startswith("posterior_")


def is_step_scalar(name: str) -> bool:
    """A schedule value named in the singular without an index (``alpha``, ``beta``, ``alpha_hat``, ``alpha_bar``)."""
    return name.split("_")[0] in ("alpha", "beta", "sigma") and not is_array(name) and (
        "_" not in name or name.split("_", 1)[1] in ("hat", "bar", "cumprod"))


def in_place_update(target, value) -> bool:
    """``x = f(x, alpha, beta, …)`` with no index written anywhere: a sampling loop's body after its schedule values
    were read at the loop's step (dome272/Diffusion-Models-pytorch, ddpm.py: ``alpha = self.alpha[t][:, None, None,
    None]``), so the unindexed schedule values are the step's α_t, β_t, ᾱ_t."""
    return (isinstance(target, ast.Name) and any(isinstance(n, ast.Name) and n.id == target.id for n in ast.walk(value))
            and not any(isinstance(n, ast.Subscript) for n in ast.walk(value))
            and any(isinstance(n, ast.Name) and is_step_scalar(n.id) for n in ast.walk(value)))
