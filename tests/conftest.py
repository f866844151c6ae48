"""Shared fixtures: every registered SDE (plus VE with the SMLD convention), devices, float64 helpers."""
from __future__ import annotations

import pytest
import torch

from scoresde import VESDE
from scoresde.sde import SDES

# Tests are many tiny tensor ops: one thread is faster and keeps the shared CI cores free.
# This is set for the test process only; the package itself never touches the thread count.
torch.set_num_threads(1)


def _sde_factories():
    """(id, constructor) for every SDE the package ships, built from the registry."""
    out = [(name, ctor) for name, ctor in SDES.items()]
    out.append(("ve-smld", lambda: VESDE(marginal="smld")))
    return out


SDE_FACTORIES = _sde_factories()
SDE_IDS = [name for name, _ in SDE_FACTORIES]


def all_sdes():
    """Fresh instances of every SDE (registry defaults, plus VE with marginal='smld')."""
    return [ctor() for _, ctor in SDE_FACTORIES]


@pytest.fixture(params=[ctor for _, ctor in SDE_FACTORIES], ids=SDE_IDS)
def sde(request):
    """Every SDE in turn (a fresh instance per test)."""
    return request.param()


DEVICES = [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")),
]


@pytest.fixture(params=DEVICES)
def device(request):
    return torch.device(request.param)


def f64(x) -> torch.Tensor:
    """A float64 CPU tensor."""
    return torch.as_tensor(x, dtype=torch.float64)


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a - b| / |b| (elementwise, b nonzero)."""
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return float(((a - b).abs() / b.abs()).max())


def times(sde, n: int = 50, lo: float | None = None) -> torch.Tensor:
    """n float64 times spread over [lo or eps, T]."""
    return torch.linspace(sde.eps if lo is None else lo, sde.T, n, dtype=torch.float64)


def claim_verdicts(text: str, notation=None) -> list:
    """The verdict names ``scoresde verify`` gives one formula (numeric check off), in the order of its equations."""
    from scoresde.formulas import verify_claims
    from scoresde.formulas.claims import ClaimSpec

    return [v.verdict for _, v in verify_claims([ClaimSpec(name="c", text=text, notation=notation)], numeric=False)]
