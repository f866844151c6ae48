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
| dpmpp_3m | PF-ODE multistep | 3 | 1 | all |
| unipc | PF-ODE multistep predictor-corrector (UniP-2 + UniC) | 3 | 1 | all |
| deis | PF-ODE multistep exp. integrator (t-AB) | 3 | 1 | all |
| lms | PF-ODE linear multistep in sigma | 4 | 1 | all |
| dpm_solver_2 / dpm_solver_3 | PF-ODE singlestep | 2 / 3 | 2 / 3 | all |
| sde_dpmpp_2m / sde_dpmpp_3m | reverse SDE multistep | 2 (weak, Gaussian data) | 1 | all |
| edm | churn + Heun in sigma | 2 (weak) | 2 | all |
| restart | Heun + forward/backward restarts | 2 (weak) | 2 + restarts | all |
| unic (corrector) | UniC | - | 1 (shared) | all |
| langevin (corrector) | MCMC | - | n_steps | all |
| ald (corrector) | annealed Langevin | - | n_steps | VE |
"""
from __future__ import annotations

from .ancestral import Ancestral
from .base import Coeffs, NoPredictor, Step, StepContext, grid_coeffs, interval_coeffs
from .ddim import DDIM
from .deis import DEIS
from .dpm_solver import DPMSolverPP2M
from .dpm_solver_single import DPMSolver2, DPMSolver3
from .dpmpp_3m import DPMSolverPP3M
from .edm import EDMStochastic
from .euler_maruyama import EulerMaruyama
from .langevin import AnnealedLangevin, Langevin
from .ode import Heun, ODEEuler
from .lms import LMS
from .restart import Restart
from .reverse_diffusion import ReverseDiffusion
from .sde_dpm_solver import SDEDPMSolverPP2M, SDEDPMSolverPP3M
from .unipc import UniC, UniPC

#: predictor name -> class (the CLI's vocabulary)
PREDICTORS = {
    "euler_maruyama": EulerMaruyama,
    "reverse_diffusion": ReverseDiffusion,
    "ancestral": Ancestral,
    "ode_euler": ODEEuler,
    "heun": Heun,
    "ddim": DDIM,
    "dpmpp_2m": DPMSolverPP2M,
    "dpmpp_3m": DPMSolverPP3M,
    "unipc": UniPC,
    "deis": DEIS,
    "lms": LMS,
    "dpm_solver_2": DPMSolver2,
    "dpm_solver_3": DPMSolver3,
    "sde_dpmpp_2m": SDEDPMSolverPP2M,
    "sde_dpmpp_3m": SDEDPMSolverPP3M,
    "edm": EDMStochastic,
    "restart": Restart,
    "none": NoPredictor,
}

#: corrector name -> class
CORRECTORS = {
    "langevin": Langevin,
    "ald": AnnealedLangevin,
    "unic": UniC,
}

#: the probability-flow ODE steps (deterministic predictors)
ODE_SOLVERS = {k: v for k, v in PREDICTORS.items() if v.deterministic_ode is True or k == "ddim"}

__all__ = [
    "Step", "StepContext", "Coeffs", "grid_coeffs", "interval_coeffs", "NoPredictor",
    "EulerMaruyama", "ReverseDiffusion", "Ancestral", "ODEEuler", "Heun", "DDIM", "DPMSolverPP2M",
    "DPMSolverPP3M", "UniPC", "UniC", "DEIS", "LMS", "DPMSolver2", "DPMSolver3", "SDEDPMSolverPP2M",
    "SDEDPMSolverPP3M", "EDMStochastic", "Restart",
    "Langevin", "AnnealedLangevin", "PREDICTORS", "CORRECTORS", "ODE_SOLVERS",
]
