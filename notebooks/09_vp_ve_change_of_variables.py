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
# # 09. VP <-> VE by a change of variables: the same noise lands on the same points
#
# With $\sigma = s/m$ and $y = x/m$ every linear SDE's PF-ODE is $dy/d\sigma = -\sigma\nabla\log p_\sigma(y)$.
#
# The cell below runs the executable derivation (`scoresde/teach/t09_vp_ve_change_of_variables.py`): every claim is a
# check. Set `FAST = False` for the full-size run.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("09", fast=FAST)

# %% [markdown]
# ## Exercise 1
# The VP SDE's noise level at $t = 1$: $\sigma = s/m = \sqrt{e^{B(1)} - 1}$, $B(1) = 10.05$.

# %%
import math

import torch

from scoresde.sde import VPSDE

answer = math.sqrt(math.exp(10.05) - 1)
check("exercise 1", answer, float(VPSDE().noise_level(torch.tensor(1.0, dtype=torch.float64))))

# %% [markdown]
# ## Exercise 2
# The VE variable for a VP state $x = 0.3$ at $t = 1$ is $y = x/m$. Compute it.

# %%
answer = 0.3 * math.exp(10.05 / 2)
check("exercise 2", answer, 0.3 / math.exp(float(VPSDE().log_mean_coeff(torch.tensor(1.0, dtype=torch.float64)))), rel=1e-9)
