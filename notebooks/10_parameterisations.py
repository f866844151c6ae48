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
# # 10. score <-> eps <-> x0 <-> v, and Tweedie's formula
#
# score $= -\epsilon/s$, $\hat x_0 = (x + s^2\,\text{score})/m$ (Tweedie), $v = m\epsilon - s x_0$.
#
# The cell below runs the executable derivation (`scoresde/teach/t10_parameterisations.py`): every claim is a
# check. Set `FAST = False` for the full-size run.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("10", fast=FAST)

# %% [markdown]
# ## Exercise 1
# Data $\mathcal N(\mu = 1, c^2 = 0.25)$ at $m = 0.8$, $s = 0.6$: the score at $x$ is $-(x - m\mu)/(m^2c^2 + s^2)$. Compute Tweedie's $\hat x_0$ at $x = 0.5$ and compare with the Gaussian posterior mean.

# %%
m, s, mu, c2, x = 0.8, 0.6, 1.0, 0.25, 0.5
score = -(x - m * mu) / (m * m * c2 + s * s)
answer = (x + s * s * score) / m
check("exercise 1", answer, mu + m * c2 / (m * m * c2 + s * s) * (x - m * mu))

# %% [markdown]
# ## Exercise 2
# With $x_0 = 1$, $\epsilon = -0.5$, $m = 0.8$, $s = 0.6$, compute $v = m\epsilon - s x_0$, and check that $m x_t - s v$ gives back $x_0$ (VP: $m^2 + s^2 = 1$).

# %%
x0, eps = 1.0, -0.5
xt = m * x0 + s * eps
answer = m * eps - s * x0
check("exercise 2", m * xt - s * answer, x0)
