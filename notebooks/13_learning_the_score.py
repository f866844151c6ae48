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
# # 13. Learning the score
#
# Denoising score matching (Vincent 2011) replaces the unknown $\nabla \log q_\sigma(\tilde x)$ by the known
# $\nabla_{\tilde x} \log q(\tilde x \mid x) = -(\tilde x - x)/\sigma^2$ at the price of a constant. The weighting
# $\lambda(\sigma) = \sigma^2$ (NCSN), the $\epsilon$-loss ($\lambda = s^2$) and the likelihood weighting $\lambda = g^2$
# (Song et al. 2021b) are different choices of how much each noise level counts.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("13", fast=FAST)

# %% [markdown]
# ## Exercise 1: the DSM constant
# For data $\mathcal N(0, 1)$ and $\sigma = 0.5$, estimate $J_\text{DSM} - J_\text{ESM}$ by Monte Carlo for the
# model $s_\theta(\tilde x) = -\tilde x$ and compare with $1/\sigma^2 - 1/(1 + \sigma^2)$.

# %%
import torch

g = torch.Generator().manual_seed(0)
n, sigma = 400000, 0.5
x = torch.randn(n, generator=g, dtype=torch.float64)
z = torch.randn(n, generator=g, dtype=torch.float64)
xt = x + sigma * z
model = -xt
j_dsm = ((model + z / sigma) ** 2).mean()
j_esm = ((model + xt / (1 + sigma**2)) ** 2).mean()
answer = float(j_dsm - j_esm)
check("exercise 1", answer, 1 / sigma**2 - 1 / (1 + sigma**2), rel=0.02)

# %% [markdown]
# ## Exercise 2: the minimiser
# Among linear models $a\tilde x + b$, which slope $a$ minimises DSM for data $\mathcal N(0, 1)$, $\sigma = 0.5$?

# %%
answer = -1 / (1 + sigma**2)
check("exercise 2", answer, -0.8)
