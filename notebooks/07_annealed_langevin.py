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
# # 07. SMLD annealed Langevin dynamics is a corrector-only sampler of the VE SDE
#
# Song & Ermon's annealed Langevin dynamics is the VE predictor–corrector sampler with no predictor; each level is a Langevin chain
# $x \leftarrow x + \tfrac{\alpha}{2}s + \sqrt\alpha z$ whose stationary variance for $\mathcal N(0, v)$ is $v/(1 - \alpha/4v)$.
#
# The cell below runs the executable derivation (`scoresde/teach/t07_annealed_langevin.py`): every claim is a
# check. Set `FAST = False` for the full-size run.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("07", fast=FAST)

# %% [markdown]
# ## Exercise 1
# Stationary variance for $v = 1$, $\alpha = 0.1$.

# %%
answer = 1 / (1 - 0.1 / 4)
check("exercise 1", answer, 1 / 0.975)

# %% [markdown]
# ## Exercise 2
# Song & Ermon's step size $\alpha_i = \epsilon\,\sigma_i^2/\sigma_L^2$ with $\epsilon = 2\cdot10^{-5}$: compute it at $\sigma_i = 1$, $\sigma_L = 0.01$.

# %%
answer = 2e-5 * 1**2 / 0.01**2
check("exercise 2", answer, 0.2)
