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
# # 08. DDIM is the exponential integrator of the probability-flow ODE
#
# DDIM ($\eta = 0$) is Euler in $\sigma$ on $y = x/m$: $y \leftarrow y + (\sigma' - \sigma)(y - D(y;\sigma))/\sigma$, exact for point-mass data.
#
# The cell below runs the executable derivation (`scoresde/teach/t08_ddim.py`): every claim is a
# check. Set `FAST = False` for the full-size run.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("08", fast=FAST)

# %% [markdown]
# ## Exercise 1
# Point mass at 0.7 ($D \equiv 0.7$): one step from $\sigma = 10$ to $\sigma' = 0$ starting at $y = 5$.

# %%
y, s, s1, D = 5.0, 10.0, 0.0, 0.7
answer = y + (s1 - s) * (y - D) / s
check("exercise 1", answer, 0.7)

# %% [markdown]
# ## Exercise 2
# DDIM's $\sigma_t(\eta)^2 = \eta^2\frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\bigl(1 - \frac{\bar\alpha_t}{\bar\alpha_{t-1}}\bigr)$ at $\eta = 1$ equals $\tilde\beta_t$ (the ancestral step with $\sigma^2 = \tilde\beta$, not $\beta$). Compute it for $\bar\alpha_t = 0.4$, $\bar\alpha_{t-1} = 0.45$.

# %%
at, ap = 0.4, 0.45
answer = (1 - ap) / (1 - at) * (1 - at / ap)
beta_t = 1 - at / ap
check("exercise 2", answer, (1 - ap) / (1 - at) * beta_t)
