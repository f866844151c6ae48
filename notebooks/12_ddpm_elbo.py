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
# # 12. The variational view: DDPM's ELBO → KL terms → $L_\text{simple}$
#
# Ho et al. (2020) bound $-\log p_\theta(x_0)$ by a sum of KL divergences between Gaussians,
# $\mathrm{KL}(q(x_{t-1}\mid x_t, x_0)\,\|\,p_\theta(x_{t-1}\mid x_t))$, each of which becomes a weighted
# $\epsilon$-prediction loss $\lambda_t \|\epsilon - \epsilon_\theta\|^2$ with
# $\lambda_t = \beta_t^2 / (2\sigma_t^2 \alpha_t (1-\bar\alpha_t))$; $L_\text{simple}$ sets $\lambda_t = 1$.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("12", fast=FAST)

# %% [markdown]
# ## Exercise 1: a KL between Gaussians
# Compute $\mathrm{KL}(\mathcal N(0, 1)\,\|\,\mathcal N(1, 2))$ (second argument: mean 1, variance 2).

# %%
import math

answer = 0.5 * (math.log(2 / 1) + (1 + (0 - 1) ** 2) / 2 - 1)
check("exercise 1", answer, 0.5 * math.log(2))

# %% [markdown]
# ## Exercise 2: the ELBO's weight at the first step
# With $\sigma_t^2 = \beta_t$, $\lambda_t = \beta_t / (2\alpha_t(1-\bar\alpha_t))$. Evaluate it at $t = 1$ for
# Ho et al.'s $\beta_1 = 10^{-4}$ (so $\bar\alpha_1 = \alpha_1 = 1 - \beta_1$).

# %%
b1 = 1e-4
answer = b1 / (2 * (1 - b1) * (1 - (1 - b1)))
check("exercise 2", answer, 1 / (2 * (1 - b1)))
