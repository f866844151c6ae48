"""Readings of a formula the one-step reader could not place, each a rule of a notation (hooks of check._verify_one).

* an identity between schedule symbols (α_t² + β_t² = 1; in Su's notation ᾱ_t² = 1 − β̄_t²), :mod:`identities`;
* Su's ᾱ_t, β̄_t beside f_t, g_t: the kernel of a general linear SDE, :mod:`linear_kernel`;
* a step written at a concrete index, q(x_1 | x_0) = N(…β_1…), :mod:`concrete_step`;
* the latent notation, z_k the state and x the data (Bishop & Bishop 2024; Prince 2023), :mod:`latent_state`;
* a bare x beside x_t on the left is the data, :func:`latent_state.bare_x_as_data`;
* λ(t) written for λ_t, and β_t in an update with step Δt read as β(t), :mod:`time_readings`;
* dz on the left of a differential equation: z is its state, :func:`latent_state.dz_as_state`;
* an accented state in a differential equation, dx̂ = …, dx̃/dt = … (Song, Durkan et al. 2021), :mod:`state_decoration`;
* σ̃ in a prior as the terminal std σ_T (:mod:`prior_std`), z in a mean as the noise ε of x_t and μ(t) = m(t) x(0) as the
  kernel's mean (:mod:`mean_noise`), a primed state x'_{i−1} alone on the left as the step's result
  (:func:`state_decoration.unprimed_state`).

Each is tried only where its notation is present, and a reading that judges nothing leaves the verdict as it was.
``again(eq, hints)`` is the verifier's own judge of one equation (check._verify_one), used for the rewritten formula.
"""
from __future__ import annotations

from typing import Callable, Optional

from .verdict import RANK, Verdict

__all__ = ["before_domain", "after_domain", "second_reading"]

Judge = Callable[[str, dict], Verdict]


def before_domain(eq: str, target: Optional[str], hints) -> Optional[Verdict]:
    """In Su's notation a relation between his schedule symbols is an identity of the notation (ᾱ_t² = 1 − β̄_t²), not
    the definition of one schedule: tried first (exact only when it holds)."""
    if target is not None or hints.get("notation") != "su":
        return None
    from .identities import judge_identity

    return judge_identity(eq, hints)


def after_domain(eq: str, v: Verdict, target: Optional[str], hints) -> Optional[Verdict]:
    """α_t² + β_t² = 1 and the like: no single quantity on the left, only schedule symbols (identities.py);
    ‖v − v̂‖² = (1 + α²/σ²)‖x − x̂‖²: weighted squared errors of the parameterisations (param_errors.py); a guidance
    relation in one row of an aligned block (guidance_reader.py)."""
    if v.verdict != "unparsed" or target is not None or v.detail.startswith("not judged"):
        return None
    from .param_errors import judge_error_identity

    ev = judge_error_identity(eq)
    if ev is not None:
        return ev
    from .guidance_reader import judge_guidance  # one row of an aligned block (the objective hook saw the whole cell)

    gv = judge_guidance(eq)
    if gv is not None and gv.verdict != "unparsed":
        return gv
    from .gauss_kl import judge_gauss_kl  # D_KL(N(μ₁, Σ₁) ‖ N(μ₂, Σ₂)) = ½[log |Σ₂|/|Σ₁| − d + …]

    kv = judge_gauss_kl(eq)
    if kv is not None:
        return kv
    from .gauss_logpdf import judge_gauss_logpdf  # log N(v; m, cI) = −(d/2) log(2πc) − ‖v − m‖²/(2c)

    lv = judge_gauss_logpdf(eq)
    if lv is not None:
        return lv
    from .min_snr import judge_clipped_snr_weight  # w_t = min{SNR(t), γ}/SNR(t): Min-SNR-γ, truncated SNR

    wv = judge_clipped_snr_weight(eq)
    if wv is not None:
        return wv
    if v.detail != "the left side is not a single named quantity":
        return None
    from .identities import judge_identity
    from .vp_identities import judge_vp_identity  # g(t)²/σ(t)² = β(t)/(1 − e^{−∫β}): the VP SDE's functions

    from .schedule_rescale import judge_rescale  # √ᾱ_t ← (√ᾱ_t − √ᾱ_T)·…: Lin et al. 2024's zero-terminal-SNR rescale

    return judge_identity(eq, hints) or judge_vp_identity(eq) or judge_rescale(eq)


def second_reading(eq: str, v: Verdict, target: Optional[str], hints, again: Judge) -> Optional[Verdict]:
    """The first of the module docstring's later readings that judges the formula, or None."""
    if v.detail.startswith("not judged"):
        return None
    if v.verdict == "unparsed" and v.detail.startswith(("the left side is not a single", "the left side of an SDE")):
        from .state_decoration import undecorated_state  # dx̂ = …, dx̃/dt = …: the accent names the process

        plain = undecorated_state(eq)
        if plain is not None:
            pv = again(plain, hints)
            if pv.verdict != "unparsed":
                pv.latex = eq
                pv.notes = ["the accented state (x̂, x̃) read as the state x of this SDE/ODE (Song, Durkan, Murray & Ermon "
                            "2021, Eq. 4 and 6 mark the learned process so)"] + list(pv.notes)
                return pv
    if v.verdict == "unparsed" and hints.get("notation") == "su":
        from .linear_kernel import judge_linear_kernel

        lk = judge_linear_kernel(eq, hints)
        if lk is not None:
            return lk
    from .latent_state import z_as_state

    if v.verdict == "unparsed" and v.detail.startswith("cannot tell which step") and not hints.get("at_index"):
        from .concrete_step import at_general_index

        generals = at_general_index(eq) if hints.get("latent_z") or z_as_state(eq) is None else []  # z_k first
        tried = [again(g_, dict(hints, at_index="1")) for g_ in generals]
        if tried:
            gv = min(tried, key=lambda q: (RANK[q.verdict] if q.verdict != "unparsed" else 99, len(q.terms or ())))
            if gv.verdict != "unparsed":
                gv.latex = eq
                gv.notes = ["a step written at a concrete index, judged as the general step at that index "
                            "(its subscripts n and n − 1 read as t and t − 1)"] + list(gv.notes)
                return gv
    alarms = ("unparsed", "inconsistent", "ill-defined")
    from .latent_state import bare_x_as_data, dz_as_state
    from .prior_std import TERMINAL_NOTE, tilde_sigma_as_terminal
    from .state_decoration import unprimed_state
    from .mean_noise import KERNEL_MEAN_NOTE, MEAN_NOISE_NOTE, mu_t_as_kernel_mean, noise_in_mean_as_eps
    from .time_readings import FUNCTION_NOTE, STEP_NOTE, continuous_schedule, time_as_subscript

    def better(rv: Verdict) -> bool:  # a bare x read as x_0: kept where it reads more, or names fewer terms
        return v.verdict == "unparsed" or RANK[rv.verdict] < RANK[v.verdict] or len(rv.terms or ()) < len(v.terms or ())

    # (flag, when, rewrite, note, keep): z with a step index and no indexed x is the state (the reading that took it for
    # a noise sample is replaced); λ(t) for λ_t; β_t beside Δt can only be the SDE's β(t); dz makes z the state; a bare
    # x beside x_t is the data; σ̃ in a prior is σ_T; z in a mean is ε; μ(t) of x(0) is the kernel's mean; x' is the step's
    readings = (
        ("latent_z", v.verdict in alarms, z_as_state,
         "z_k read as the state x_k and x as the data x_0 (the latent notation of Bishop & Bishop 2024, Ch. 20 and "
         "Prince 2023, Ch. 18)", None),
        ("time_sub", v.verdict == "unparsed", time_as_subscript, FUNCTION_NOTE, None),
        ("time_fn", v.verdict not in ("exact", "consistent"), continuous_schedule, STEP_NOTE, None),
        ("dz_state", v.verdict in alarms, dz_as_state,
         "dz on the left: z is the state (Kingma et al. 2021, App. A; Vahdat et al. 2021, Eq. 1)", None),
        ("bare_x", v.verdict in alarms, bare_x_as_data,
         "the bare x beside x_t is the data x_0 (Kingma et al. 2021, Eq. 1; Song et al. 2023, Sec. 2)", better),
        ("terminal_std", v.verdict in alarms, tilde_sigma_as_terminal, TERMINAL_NOTE, None),
        ("mean_noise", v.verdict in alarms and "variance" in (v.terms or ()), noise_in_mean_as_eps, MEAN_NOISE_NOTE, None),
        ("kernel_mean", v.verdict in alarms, mu_t_as_kernel_mean, KERNEL_MEAN_NOTE, None),
        ("unprimed", v.verdict == "unparsed", unprimed_state,
         "the primed state x' on the left read as the step's result (Chung et al. 2023, Alg. 1: x'_{i−1} before the "
         "correction of the next line)", None),
    )
    for flag, when, rewrite, note, keep in readings:
        if not when or hints.get(flag):
            continue
        rewritten = rewrite(eq)
        if rewritten is None:
            continue
        rv = again(rewritten, dict(hints, **{flag: "1"}))
        if rv.verdict != "unparsed" and (keep is None or keep(rv)):
            rv.latex, rv.notes = eq, [note] + list(rv.notes)
            return rv
    return None
