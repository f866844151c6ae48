"""The score network under torch.compile inside the fixed-step sampling loop: the same samples.

CPU: TorchDynamo graph capture with the ``aot_eager`` backend (no C++ toolchain needed), slow suite.
CUDA: inductor with ``mode="reduce-overhead"`` (CUDA graphs), skipped without a GPU.
"""
from __future__ import annotations

import pytest
import torch

from scoresde import grids, sample
from scoresde.solvers import PREDICTORS
from scoresde.train import Config, load_run, train

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available on this machine")


def _run(tmp_path, device):
    out = str(tmp_path / "run")
    train(Config().replace({"data.name": "gmm2d", "data.n": 1024, "model.hidden": 16, "model.depth": 1,
                            "model.emb_dim": 8, "train.batch_size": 32, "train.steps": 10, "train.log_every": 5,
                            "train.ckpt_every": 10, "train.device": device}), out)
    return load_run(out, device=device)


def _draw(run, device):
    return sample(run.sde, run.score_fn, (64, 2), predictor=PREDICTORS["heun"](), grid=grids.uniform(run.sde, 10),
                  seed=3, denoise=True, device=device).x


@pytest.mark.slow
def test_compiled_network_in_the_sampling_loop_cpu(tmp_path):
    run = _run(tmp_path, "cpu")
    ref = _draw(run, "cpu")
    run.net.core = torch.compile(run.net.core, backend="aot_eager", dynamic=False, fullgraph=True)
    assert torch.equal(_draw(run, "cpu"), ref)


@cuda
def test_cuda_graphs_network_in_the_sampling_loop(tmp_path):
    run = _run(tmp_path, "cuda")
    ref = _draw(run, "cuda")
    run.net.core = torch.compile(run.net.core, mode="reduce-overhead", dynamic=False)
    x = _draw(run, "cuda")
    torch.testing.assert_close(x, ref, rtol=1e-4, atol=1e-4)
