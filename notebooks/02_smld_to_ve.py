# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02. The SMLD forward chain becomes the VE SDE
#
# The SMLD chain $x_i = x_{i-1} + \sqrt{\sigma_i^2-\sigma_{i-1}^2}\,z$ is exact for the VE SDE
# $dx = \sqrt{d[\sigma^2]/dt}\,dw$: its variances telescope.
#
# The cell below runs the executable derivation (`scoresde/teach/t02_smld_to_ve.py`): every claim is a
# check. Set `FAST = False` for the full-size run.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("02", fast=FAST)

# %% [markdown]
# ## Exercise 1
# For $\sigma(t) = \sigma_\min(\sigma_\max/\sigma_\min)^t$ with $\sigma_\min = 0.01$, $\sigma_\max = 50$, compute $g(0.5)^2 = d[\sigma^2]/dt$ at $t = 0.5$.

# %%
import math

import torch

from scoresde.sde import VESDE

sig = 0.01 * (50 / 0.01) ** 0.5
answer = 2 * sig**2 * math.log(50 / 0.01)
check("exercise 1", answer, float(VESDE(sigma_min=0.01, sigma_max=50.0, marginal="smld").diffusion_sq(torch.tensor(0.5, dtype=torch.float64))))

# %% [markdown]
# ## Exercise 2
# Ten geometric noise levels from 1 down to 0.01: what is the ratio $q = \sigma_{i+1}/\sigma_i$?

# %%
answer = 0.01 ** (1 / 9)
check("exercise 2", answer, 10 ** (-2 / 9))
