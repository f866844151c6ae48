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
# # 11. The notation map: one kernel x_t = m x_0 + s eps, five spellings
#
# DDPM's $\alpha_t = 1 - \beta_t$, DDIM's $\alpha_t = \bar\alpha_t$, VDM/DPM-Solver's $\alpha_t = \sqrt{\bar\alpha_t}$, EDM's $\sigma(t) = s/m$.
#
# The cell below runs the executable derivation (`scoresde/teach/t11_notation.py`): every claim is a
# check. Set `FAST = False` for the full-size run.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("11", fast=FAST)

# %% [markdown]
# ## Exercise 1
# The VP SDE at $t = 0.5$: compute DPM-Solver's $\lambda = \log(\alpha_t/\sigma_t) = \log(m/s)$.

# %%
import math

import torch

from scoresde.sde import VPSDE

sde = VPSDE()
t = torch.tensor(0.5, dtype=torch.float64)
m = math.exp(float(sde.log_mean_coeff(t)))
s = math.sqrt(float(sde.marginal_var(t)))
answer = math.log(m / s)
check("exercise 1", answer, float(sde.log_snr(t)))

# %% [markdown]
# ## Exercise 2
# ... and DDIM's $\alpha_t$ (which is $\bar\alpha_t = m^2$) at the same time.

# %%
answer = m * m
check("exercise 2", answer, 1 - s * s)
