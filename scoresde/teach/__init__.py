"""Teach the unified view: executable derivations, the machine-checked unified table, figures.

Each topic is a module ``tNN_*.py`` that states a claim, derives it (sympy where there is algebra),
confirms it numerically against exact ground truth (the Gaussian-mixture score, exact Gaussian
moments) and records every claim as a pass/fail check. Run one from its script in
``derivations/NN_*.py``, all of them with ``scoresde derive``, or in-process::

    from scoresde.teach import run_topic
    outcome = run_topic("06", fast=True)
    assert outcome.passed
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import List, Optional, Sequence, TextIO

from .core import FORMATS, Check, Derivation, Outcome, run

#: key -> (module in scoresde.teach, script in derivations/); "00" is the on-ramp
TOPICS = {
    "00": ("t00_onramp", "00_onramp_score_langevin_fokker_planck.py"),
    "01": ("t01_ddpm_to_vp", "01_ddpm_chain_to_vp_sde.py"),
    "02": ("t02_smld_to_ve", "02_smld_chain_to_ve_sde.py"),
    "03": ("t03_kernels", "03_kernels_from_moment_odes.py"),
    "04": ("t04_reverse_sde", "04_reverse_time_sde.py"),
    "05": ("t05_pf_ode", "05_probability_flow_ode.py"),
    "06": ("t06_ddpm_samplers", "06_ddpm_ancestral_vs_reverse_diffusion.py"),
    "07": ("t07_annealed_langevin", "07_smld_annealed_langevin.py"),
    "08": ("t08_ddim", "08_ddim_exponential_integrator.py"),
    "09": ("t09_vp_ve_change_of_variables", "09_vp_ve_change_of_variables.py"),
    "10": ("t10_parameterisations", "10_score_eps_x0_v_tweedie.py"),
    "11": ("t11_notation", "11_notation_map.py"),
    "12": ("t12_elbo", "12_ddpm_elbo_to_l_simple.py"),
    "13": ("t13_score_matching", "13_learning_the_score.py"),
    "14": ("t14_edm", "14_edm_preconditioning_and_sampler.py"),
    "15": ("t15_guidance", "15_classifier_and_cfg_guidance.py"),
    "16": ("t16_dpm_solver", "16_exponential_integrator_dpm_solver.py"),
    "17": ("t17_likelihood", "17_pf_ode_likelihood.py"),
}

#: the documentation figures and the topic that draws each
FIGURES = {
    "forward_fan.png": "03",
    "sde_vs_ode_paths.png": "05",
    "ddpm_vs_smld_samples.png": "07",
    "vp_ve_ode_endpoints.png": "09",
    "onramp_score.png": "00",
    "onramp_langevin.png": "00",
    "onramp_fokker_planck.png": "00",
    "guidance.png": "15",
}


def topic_module(key: str):
    """The module of topic ``key`` (a key of :data:`TOPICS`)."""
    if key not in TOPICS:
        raise ValueError(f"unknown derivation {key!r}; valid: {', '.join(TOPICS)}")
    return importlib.import_module(f".{TOPICS[key][0]}", __name__)


def parse_keys(spec: Optional[str]) -> List[str]:
    """'1,6,07' -> ['01', '06', '07']; None or '' -> all topics."""
    if not spec:
        return list(TOPICS)
    out = []
    for part in spec.split(","):
        part = part.strip()
        key = part.zfill(2) if part.isdigit() else part
        if key not in TOPICS:
            raise ValueError(f"--only: unknown derivation {part!r}; valid: {', '.join(TOPICS)}")
        if key not in out:
            out.append(key)
    return out


def run_topic(key: str, *, fast: bool = False, figdir: Optional[Path] = None,
              stream: Optional[TextIO] = None, fmt: str = "text") -> Outcome:
    """Run one derivation in-process and return its :class:`Outcome` (``.passed``, ``.checks``).

    ``fmt="markdown"`` narrates in GitHub markdown with sympy shown as LaTeX."""
    return run(topic_module(key), fast=fast, figdir=figdir, stream=stream, fmt=fmt)


def run_topics(keys: Sequence[str], *, fast: bool = False, figdir: Optional[Path] = None,
               stream: Optional[TextIO] = None, fmt: str = "text") -> List[Outcome]:
    """Run several derivations in order; figures go to ``figdir`` if given."""
    out = []
    for k in keys:
        out.append(run_topic(k, fast=fast, figdir=figdir, stream=stream, fmt=fmt))
        (stream or sys.stdout).write("\n")
    return out


def script_main(key: str, argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``derivations/NN_*.py``: exit status 0 if every check passed, 1 otherwise."""
    mod = topic_module(key)
    p = argparse.ArgumentParser(prog=TOPICS[key][1], description=f"{key}. {mod.TITLE}. Claim: {mod.CLAIM}")
    p.add_argument("--fast", action="store_true", help="fewer samples and step counts (seconds)")
    p.add_argument("--figures", metavar="DIR", default=None, help="also save this derivation's figures into DIR")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (default) or markdown (GitHub markdown, sympy shown as LaTeX)")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # many tiny tensor ops: one thread is fastest
    outcome = run(mod, fast=args.fast, figdir=Path(args.figures) if args.figures else None, fmt=args.format)
    for c in outcome.failures:
        sys.stderr.write(f"FAILED CHECK: {c.line()}\n")
    return 0 if outcome.passed else 1


__all__ = ["TOPICS", "FIGURES", "FORMATS", "Check", "Derivation", "Outcome", "run", "run_topic", "run_topics", "topic_module",
           "parse_keys", "script_main"]
