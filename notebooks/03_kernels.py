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
# # 03. Perturbation kernels from the mean and variance ODEs
#
# The kernel $q(x_t\mid x_0) = \mathcal N(m x_0, s^2)$ of a linear SDE solves $m' = f m$, $(s^2)' = 2 f s^2 + g^2$.
#
# The cell below runs the executable derivation (`scoresde/teach/t03_kernels.py`): every claim is a
# check. Set `FAST = False` for the full-size run.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("03", fast=FAST)

# %% [markdown]
# ## Exercise 1
# VP with $\beta(t) = 0.1 + 19.9t$: compute $s(0.5)^2 = 1 - e^{-B(0.5)}$, $B(t) = \int_0^t\beta$.

# %%
import math

import torch

from scoresde.sde import VPSDE

B = 0.1 * 0.5 + 19.9 * 0.5**2 / 2
answer = 1 - math.exp(-B)
check("exercise 1", answer, float(VPSDE().marginal_var(torch.tensor(0.5, dtype=torch.float64))))

# %% [markdown]
# ## Exercise 2
# The sub-VP SDE has $s^2 = (1 - e^{-B})^2$. Compute it at $t = 0.5$.

# %%
from scoresde.sde import subVPSDE

answer = (1 - math.exp(-B)) ** 2
check("exercise 2", answer, float(subVPSDE().marginal_var(torch.tensor(0.5, dtype=torch.float64))))
