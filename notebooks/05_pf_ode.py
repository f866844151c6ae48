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
# # 05. The probability-flow ODE has the same marginals
#
# The probability-flow ODE $dx/dt = f x - \tfrac12 g^2\nabla\log p_t$ has the same marginals as the SDE.
#
# The cell below runs the executable derivation (`scoresde/teach/t05_pf_ode.py`): every claim is a
# check. Set `FAST = False` for the full-size run.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("05", fast=FAST)

# %% [markdown]
# ## Exercise 1
# VP with data $\mathcal N(0, 1)$: $p_t = \mathcal N(0, 1)$ for every $t$. What is the PF-ODE drift at $x = 2$, $\beta = 5$?

# %%
beta, x = 5.0, 2.0
answer = -beta * x / 2 - 0.5 * beta * (-x)
check("exercise 1", answer, 0.0)

# %% [markdown]
# ## Exercise 2
# VE ($dx/d\sigma = -\sigma\nabla\log p_\sigma$) with data $\mathcal N(0, 1)$: the ODE maps $x$ at $\sigma = 0$ to $x\sqrt{1+\sigma^2}$. Integrate it numerically from $\sigma = 0$ to 1 starting at $x = 1$.

# %%
from scipy.integrate import solve_ivp

sol = solve_ivp(lambda s, x: s * x / (1 + s**2), (0.0, 1.0), [1.0], rtol=1e-10, atol=1e-12)
answer = sol.y[0, -1]
check("exercise 2", answer, 2**0.5, rel=1e-7)
