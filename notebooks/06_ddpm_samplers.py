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
# # 06. DDPM ancestral sampling vs reverse diffusion: which is exact for what
#
# The ancestral step has the exact one-step mean for any data; its variance is exact only for unit-variance Gaussian data ($\sigma^2 = \beta$)
# or point-mass data ($\sigma^2 = \tilde\beta$).
#
# The cell below runs the executable derivation (`scoresde/teach/t06_ddpm_samplers.py`): every claim is a
# check. Set `FAST = False` for the full-size run.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("06", fast=FAST)

# %% [markdown]
# ## Exercise 1
# Compute $\tilde\beta_i = \frac{1-\bar\alpha_{i-1}}{1-\bar\alpha_i}\beta_i$ for $\beta_i = 0.02$, $\bar\alpha_{i-1} = 0.5$.

# %%
answer = (1 - 0.5) / (1 - 0.5 * (1 - 0.02)) * 0.02
check("exercise 1", answer, 0.01 / 0.51)

# %% [markdown]
# ## Exercise 2
# For Gaussian data $\mathcal N(\mu, c^2)$ the exact reverse variance is $P\beta/(aP + \beta)$ with $a = 1-\beta$, $P = \bar\alpha_{i-1}c^2 + 1 - \bar\alpha_{i-1}$. Evaluate it for $c^2 = 1$, $\beta = 0.02$, $\bar\alpha_{i-1} = 0.3$.

# %%
b, A, c2 = 0.02, 0.3, 1.0
P = A * c2 + 1 - A
answer = P * b / ((1 - b) * P + b)
check("exercise 2", answer, b)
