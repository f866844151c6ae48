"""The digit-quality metric: Frechet distance against closed forms, and the classifier judge."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch
from scipy import linalg

from scoresde.train.digits_metric import frechet_distance, frechet_from_moments


def test_frechet_closed_form_for_diagonal_covariances():
    """Commuting covariances: FD = ||dmu||^2 + sum (sqrt a - sqrt b)^2 (W2^2 between Gaussians)."""
    mu1, mu2 = torch.tensor([0.0, 1.0, -2.0]), torch.tensor([1.0, 1.0, 0.5])
    a, b = torch.tensor([1.0, 4.0, 0.25]), torch.tensor([9.0, 1.0, 0.25])
    fd = frechet_from_moments(mu1, torch.diag(a), mu2, torch.diag(b))
    expect = float((mu1 - mu2).square().sum() + (a.sqrt() - b.sqrt()).square().sum())
    assert abs(fd - expect) < 1e-9


def test_frechet_matches_scipy_sqrtm_for_general_covariances():
    g = torch.Generator().manual_seed(0)
    A = torch.randn(6, 6, generator=g, dtype=torch.float64)
    Bm = torch.randn(6, 6, generator=g, dtype=torch.float64)
    s1, s2 = A @ A.T + 0.1 * torch.eye(6, dtype=torch.float64), Bm @ Bm.T + 0.1 * torch.eye(6, dtype=torch.float64)
    mu1, mu2 = torch.randn(6, generator=g, dtype=torch.float64), torch.randn(6, generator=g, dtype=torch.float64)
    cross = linalg.sqrtm(s1.numpy() @ s2.numpy()).real  # Heusel et al. 2017's Tr((S1 S2)^{1/2})
    ref = float(((mu1 - mu2) ** 2).sum()) + float(np.trace(s1.numpy() + s2.numpy() - 2 * cross))
    assert abs(frechet_from_moments(mu1, s1, mu2, s2) - ref) < 1e-7 * max(1.0, abs(ref))


def test_frechet_of_samples():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(20_000, 3, generator=g, dtype=torch.float64)
    y = 2.0 * torch.randn(20_000, 3, generator=g, dtype=torch.float64) + 1.0
    assert frechet_distance(x, x) < 1e-6
    # N(0, I) vs N(1, 4 I): 3 * 1 + 3 * (2 - 1)^2 = 6
    assert abs(frechet_distance(x, y) - 6.0) < 0.2


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="sklearn not installed (pip install 'scoresde[data]')")
def test_judge_separates_digits_from_noise():
    from scoresde.train.data import load_dataset
    from scoresde.train.digits_metric import evaluate, train_classifier

    d = load_dataset("digits")
    judge = train_classifier(d, epochs=10)
    assert judge.heldout_accuracy > 0.93
    real = evaluate(d.x[judge.test_idx], d, judge)
    noise = evaluate(torch.rand(400, 1, 8, 8) * 2 - 1, d, judge)
    assert real["mean_top_prob"] > 0.85 and noise["mean_top_prob"] < 0.4
    assert noise["frechet"] > 20 * real["frechet_real_baseline"]


def test_bootstrap_standard_errors():
    """The bootstrap SE of a mean matches the closed form sd/sqrt(n); the FD's SE is finite and
    shrinks as the group size grows (FD estimates concentrate like 1/sqrt(k))."""
    from scoresde.train.digits_metric import bootstrap_se

    g = torch.Generator().manual_seed(3)
    p = torch.softmax(2 * torch.randn(2000, 10, generator=g), 1)
    f = torch.randn(2000, 4, generator=g, dtype=torch.float64)
    ref = torch.randn(4000, 4, generator=g, dtype=torch.float64)
    top = p.max(1).values.double()
    se_top, se_fd_small = bootstrap_se(p, f, ref, k=100, n_boot=400)
    expect = float(top.std() / len(top) ** 0.5)
    assert abs(se_top / expect - 1) < 0.2
    _, se_fd_big = bootstrap_se(p, f, ref, k=1600, n_boot=400)
    assert 0 < se_fd_big < 0.5 * se_fd_small


@pytest.mark.parametrize("size", [8, 28])
def test_judge_default_epochs_do_not_depend_on_image_size(size, monkeypatch):
    """The judge trains 20 epochs on every data set (6 on 28-pixel MNIST left it unsure of real digits: accuracy 0.913,
    real-digit confidence 0.855 against 0.950 / 0.946 after 20; benchmarks/RESULTS.md, "mnist5k")."""
    from scoresde.train import digits_metric as DM
    from scoresde.train.data import Dataset

    seen = {}
    real = torch.optim.lr_scheduler.OneCycleLR

    def spy(opt, max_lr, total_steps):
        seen["steps"] = total_steps
        return real(opt, max_lr=max_lr, total_steps=total_steps)

    monkeypatch.setattr(torch.optim.lr_scheduler, "OneCycleLR", spy)
    g = torch.Generator().manual_seed(0)
    data = Dataset("tiny", torch.rand(20, 1, size, size, generator=g) * 2 - 1, "image", "", "",
                   labels=torch.arange(20) % 2)
    DM.train_classifier(data, batch=8)
    assert seen["steps"] == 20 * 2  # 16 training images, batch 8: 2 steps per epoch
