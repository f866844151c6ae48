"""Reverse solvers. Registries map CLI names to classes; add a solver with one file + one line.

| name | kind | order | NFE/step | SDEs |
|---|---|---|---|---|
| euler_maruyama | reverse SDE | 1 (weak) | 1 | all |
| reverse_diffusion | reverse of the twin | 1 (weak) | 1 | all |
| ancestral | DDPM/SMLD posterior | 1 (weak; exact chain) | 1 | all |
| ode_euler | PF-ODE | 1 | 1 | all |
| heun | PF-ODE | 2 | 2 | all |
| ddim | PF-ODE exp. integrator (eta=0) | 1 | 1 | all |
| dpmpp_2m | PF-ODE multistep | 2 | 1 | all |
| langevin (corrector) | MCMC | - | n_steps | all |
| ald (corrector) | annealed Langevin | - | n_steps | VE |
"""
from __future__ import annotations

from .ancestral import Ancestral
from .base import Coeffs, NoPredictor, Step, StepContext, grid_coeffs, interval_coeffs
from .ddim import DDIM
from .dpm_solver import DPMSolverPP2M
from .euler_maruyama import EulerMaruyama
from .langevin import AnnealedLangevin, Langevin
from .ode import Heun, ODEEuler
from .reverse_diffusion import ReverseDiffusion

#: predictor name -> class (the CLI's vocabulary)
PREDICTORS = {
    "euler_maruyama": EulerMaruyama,
    "reverse_diffusion": ReverseDiffusion,
    "ancestral": Ancestral,
    "ode_euler": ODEEuler,
    "heun": Heun,
    "ddim": DDIM,
    "dpmpp_2m": DPMSolverPP2M,
    "none": NoPredictor,
}

#: corrector name -> class
CORRECTORS = {
    "langevin": Langevin,
    "ald": AnnealedLangevin,
}

#: the probability-flow ODE steps (deterministic predictors)
ODE_SOLVERS = {k: v for k, v in PREDICTORS.items() if v.deterministic_ode is True or k == "ddim"}

__all__ = [
    "Step", "StepContext", "Coeffs", "grid_coeffs", "interval_coeffs", "NoPredictor",
    "EulerMaruyama", "ReverseDiffusion", "Ancestral", "ODEEuler", "Heun", "DDIM", "DPMSolverPP2M",
    "Langevin", "AnnealedLangevin", "PREDICTORS", "CORRECTORS", "ODE_SOLVERS",
]
