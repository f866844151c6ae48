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
# # 17. PF-ODE likelihood
#
# Along $dx/dt = v(x,t)$, $\frac{d}{dt}\log p_t(x(t)) = -\nabla\cdot v$, so
# $\log p_\epsilon(x) = \log p_T(x(T)) + \int_\epsilon^T \nabla\cdot v\,dt$ (Chen et al. 2018; Song et al. 2021, Sec. 4.3).

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("17", fast=FAST)

# %% [markdown]
# ## Exercise 1: a linear flow
# For $v(x) = -a x$ in two dimensions with $a = 0.3$, by how much does $\log p$ change along a path from $t = 0$ to $t = 2$?

# %%
a, t, dim = 0.3, 2.0, 2
answer = a * dim * t  # -int div v dt = +a * dim * t
check("exercise 1", answer, 1.2)

# %% [markdown]
# ## Exercise 2: Hutchinson's estimator
# Estimate the trace of the matrix below with 20000 Rademacher probes; it should be within 0.1 of the exact trace.

# %%
import torch

J = torch.tensor([[1.0, 2.0, 0.5], [0.0, -3.0, 1.0], [4.0, 0.2, 0.7]], dtype=torch.float64)
g = torch.Generator().manual_seed(0)
zs = torch.randint(0, 2, (20000, 3), generator=g).to(torch.float64) * 2 - 1
answer = float(torch.einsum("ni,ij,nj->n", zs, J, zs).mean())
check("exercise 2", answer, float(J.trace()), rel=0, abs_tol=0.1)
