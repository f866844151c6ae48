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
# # 00. On-ramp: the score, Langevin dynamics and the Fokker–Planck equation
#
# A score is the gradient of a log-density, $s(x) = \partial_x \log p(x)$. Langevin dynamics
# $dx = s(x)\,dt + \sqrt{2}\,dw$ samples $p$ using only $s$; the forward noising process moves
# densities by the Fokker–Planck equation $\partial_t p = -\partial_x (f x p) + \tfrac{g^2}{2}\partial_x^2 p$.
# The cell below runs the executable derivation (`scoresde/teach/t00_onramp.py`): every claim is a check.
# Set `FAST = False` for the full-size run (a minute on a laptop CPU).

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("00", fast=FAST)

# %% [markdown]
# ## Exercise 1: the score of a Gaussian
# What is the score of $\mathcal N(1, 4)$ (mean 1, **variance** 4) at $x = 3$? Replace the answer
# below by your own, or derive it with sympy.

# %%
import sympy as sp

x = sp.Symbol("x")
answer = sp.diff(-(x - 1) ** 2 / (2 * 4), x).subs(x, 3)  # the log-density up to a constant is enough
check("exercise 1", answer, -0.5)

# %% [markdown]
# ## Exercise 2: the bias of unadjusted Langevin
# For the target $\mathcal N(0, 1)$ the step $x \leftarrow x + \epsilon s(x) + \sqrt{2\epsilon} z$ has a
# stationary variance $V(\epsilon)$ that is not 1. Compute $V(0.1)$ by simulation (it should agree
# with the formula of step 2 of the derivation to within 2 %).

# %%
import torch

g = torch.Generator().manual_seed(0)
eps, xs = 0.1, torch.zeros(20000, dtype=torch.float64)
for _ in range(300):
    xs = xs - eps * xs + (2 * eps) ** 0.5 * torch.randn(xs.shape, generator=g, dtype=torch.float64)
answer = float(xs.var())
check("exercise 2", answer, 1 / (1 - eps / 2), rel=0.02)
