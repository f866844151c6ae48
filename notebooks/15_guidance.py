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
# # 15. Guidance
#
# $\nabla\log p_t(x\mid y) = \nabla\log p_t(x) + \nabla\log p_t(y\mid x)$. Classifier guidance scales the second term
# by $w$; classifier-free guidance $(1+w)\nabla\log p_t(x\mid y) - w\nabla\log p_t(x)$ is the same field with scale
# $1 + w$. Neither samples the tilted density $p(x)\,p(y\mid x)^{1+w}/Z$.

# %%
FAST = True
from scoresde.teach.notebook import check, show_derivation

show_derivation("15", fast=FAST)

# %% [markdown]
# ## Exercise 1: a classifier from two densities
# For the labelled 3-mode mixture of the derivation (class 1 = the mode at 2.6), compute $p(y = 1 \mid x = 1.6)$ at $t = 0$.

# %%
import math

import torch

from scoresde.sde import VPSDE
from scoresde.teach.common import mixture_1d
from scoresde.teach.t15_guidance import LABELS, Labelled

lab = Labelled(mixture_1d(), LABELS, VPSDE())
x = torch.tensor([[1.6]], dtype=torch.float64)
mix = mixture_1d()
comp = torch.exp(torch.stack([torch.distributions.Normal(float(mix.means[k, 0]), float(mix.stds[k, 0])).log_prob(x[0, 0])
                              for k in range(3)])) * mix.weights
answer = float(comp[2] / comp.sum())
check("exercise 1", answer, math.exp(float(lab.log_py_given_x(x, 1)[0])))

# %% [markdown]
# ## Exercise 2: CFG as classifier guidance
# Classifier-free guidance with $w = 2$ equals classifier guidance with which scale?

# %%
answer = 3
xs = torch.linspace(-3, 4, 50, dtype=torch.float64)[:, None]
tv = torch.full((50,), 0.4, dtype=torch.float64)
assert float((lab.cfg(1, 2.0)(xs, tv) - lab.cg(1, answer)(xs, tv)).abs().max()) < 1e-12
check("exercise 2", answer, 3)
