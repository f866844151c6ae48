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
# # 01. The DDPM forward chain becomes the VP SDE as N -> infinity
#
# The DDPM chain $x_i = \sqrt{1-\beta_i}\,x_{i-1} + \sqrt{\beta_i}\,z$ with $\beta_i = \beta(t_i)\Delta t$ is
# Euler–Maruyama of the VP SDE $dx = -\tfrac12\beta(t)x\,dt + \sqrt{\beta(t)}\,dw$ up to $O(\Delta t^2)$ per step.
#
# The cell below runs the executable derivation (`scoresde/teach/t01_ddpm_to_vp.py`): every claim is a
# check. Set `FAST = False` for the full-size run.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("01", fast=FAST)

# %% [markdown]
# ## Exercise 1
# Ho et al. use $\beta_i$ = linspace(1e-4, 0.02, 1000). With $\beta_i = \beta(t_i)/N$, what is $\beta_\max = \beta(1)$?

# %%
answer = 1000 * 0.02
check("exercise 1", answer, 20.0)

# %% [markdown]
# ## Exercise 2
# For $\beta(t) = 0.1 + 19.9\,t$, what is $\bar\alpha(1) = m(1)^2 = e^{-\int_0^1 \beta}$? Compare with `VPSDE().log_mean_coeff`.

# %%
import math

import torch

from scoresde.sde import VPSDE

answer = math.exp(-(0.1 + 19.9 / 2))
check("exercise 2", answer, math.exp(2 * float(VPSDE().log_mean_coeff(torch.tensor(1.0, dtype=torch.float64)))))
