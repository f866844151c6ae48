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
# # 14. EDM's $\sigma$-view
#
# $D(x;\sigma) = c_\text{skip}(\sigma)\,x + c_\text{out}(\sigma)\,F(c_\text{in}(\sigma)\,x;\ c_\text{noise}(\sigma))$ with
# $c_\text{in} = 1/\sqrt{\sigma^2+\sigma_\text{data}^2}$, $c_\text{skip} = \sigma_\text{data}^2/(\sigma^2+\sigma_\text{data}^2)$,
# $c_\text{out} = \sigma\sigma_\text{data}/\sqrt{\sigma^2+\sigma_\text{data}^2}$ (Karras et al. 2022).

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("14", fast=FAST)

# %% [markdown]
# ## Exercise 1: preconditioning at $\sigma = \sigma_\text{data}$
# Compute $c_\text{out}$ at $\sigma = \sigma_\text{data} = 0.5$.

# %%
import math

s, sd = 0.5, 0.5
answer = s * sd / math.sqrt(s**2 + sd**2)
check("exercise 1", answer, 0.5 / math.sqrt(2))

# %% [markdown]
# ## Exercise 2: the $\rho$ schedule
# With $\rho = 7$, 18 levels from $\sigma_\text{max} = 80$ to $\sigma_\text{min} = 0.002$, what is the second level $\sigma_1$?

# %%
from scoresde.teach.t14_edm import rho_sigmas

answer = (80 ** (1 / 7) + (1 / 17) * (0.002 ** (1 / 7) - 80 ** (1 / 7))) ** 7
check("exercise 2", answer, rho_sigmas(80.0, 0.002, 18, 7.0)[1])
