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
# # 04. The reverse-time SDE (Anderson), checked through Fokker-Planck
#
# Anderson's reverse SDE $dx = [f x - g^2\nabla\log p_t]\,dt + g\,d\bar w$ has the forward marginals; so does
# $dx = [f x - \tfrac{1+\lambda^2}{2}g^2\nabla\log p_t]\,dt + \lambda g\,d\bar w$ for every $\lambda$.
#
# The cell below runs the executable derivation (`scoresde/teach/t04_reverse_sde.py`): every claim is a
# check. Set `FAST = False` for the full-size run.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("04", fast=FAST)

# %% [markdown]
# ## Exercise 1
# Which coefficient of $g^2\nabla\log p_t$ goes with noise $\lambda g$ for $\lambda = 0.5$?

# %%
lam = 0.5
answer = (1 + lam**2) / 2
check("exercise 1", answer, 0.625)

# %% [markdown]
# ## Exercise 2
# VE with $g = 1$ ($p_t = \mathcal N(0, v + t)$ for data $\mathcal N(0, v)$): the reverse drift is $-g^2\nabla\log p_t(x) = x/(v+t)$. Evaluate it at $x = 1$, $v = 1$, $t = 1$.

# %%
answer = 1 / (1 + 1)
check("exercise 2", answer, 0.5)
