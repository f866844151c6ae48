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
# # 16. The exponential integrator and DPM-Solver
#
# In $\lambda = \log(m/s)$ the PF-ODE is $d(x/s)/d\lambda = e^\lambda D$, so
# $x_t = \frac{s_t}{s_s}x_s + s_t\int_{\lambda_s}^{\lambda_t} e^\lambda D\,d\lambda$: the linear part is exact and only the
# data prediction $D$ is approximated (Lu et al. 2022).

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("16", fast=FAST)

# %% [markdown]
# ## Exercise 1: $\varphi_1$
# The first-order step's weight is $m_t\varphi_1(h)$, $\varphi_1(h) = 1 - e^{-h}$. Evaluate it at $h = 0.5$.

# %%
import math

answer = -math.expm1(-0.5)
check("exercise 1", answer, 1 - math.exp(-0.5))

# %% [markdown]
# ## Exercise 2: why 2M is second order
# DPM-Solver++(2M)'s $D'$ coefficient $(1 - e^{-h})h/2$ differs from $\varphi_2(h) = h - 1 + e^{-h}$ by about
# $-h^3/12$. Check the ratio of the two at $h = 0.01$.

# %%
h = 0.01
answer = ((1 - math.exp(-h)) * h / 2 - (h - 1 + math.exp(-h))) / (-(h**3) / 12)
check("exercise 2", answer, 1.0, rel=0.01)
