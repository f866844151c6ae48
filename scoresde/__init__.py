"""scoresde: diffusion models as one family.

DDPM and SMLD are the discrete twins of the VP and VE SDEs; their samplers are special cases of
a few interchangeable reverse solvers. Every formula is checked against exact ground truth
(a Gaussian mixture pushed through a linear SDE has a closed-form score at every t).
"""
from __future__ import annotations

__version__ = "0.1.0"

from . import grids, integrators, params, solvers
from .analytic import ExactScore, GaussianMixture, gaussian
from .chain import MarkovChain
from .params import CountingScore, ScoreModel, convert, tweedie
from .problems import PROBLEMS, Problem, get_problem
from .likelihood import decode, encode, likelihood
from .noise import BatchNoise, BrownianNoise, PerSampleNoise
from .sampler import SampleResult, sample
from .sde import SDES, CosineVPSDE, LinearSDE, ReverseSDE, VESDE, VPSDE, subVPSDE

__all__ = [
    "__version__",
    "LinearSDE", "ReverseSDE", "VPSDE", "CosineVPSDE", "subVPSDE", "VESDE", "SDES",
    "MarkovChain", "GaussianMixture", "ExactScore", "gaussian",
    "Problem", "PROBLEMS", "get_problem",
    "sample", "SampleResult", "solvers", "PerSampleNoise", "BatchNoise", "BrownianNoise",
    "integrators", "likelihood", "encode", "decode",
    "grids", "params", "convert", "tweedie", "ScoreModel", "CountingScore",
]
