"""PerSampleNoise draws a short prefix for a partial chunk: the numbers must not change."""
from __future__ import annotations

import pytest
import torch

from scoresde import noise as N


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("B, rest", [(10000, (2,)), (7, (3, 32, 32)), (1001, (64,)), (5000, (1,)), (3, (5,)), (300, (3,))])
def test_prefix_draw_gives_the_numbers_of_the_full_chunk(B, rest, dtype, monkeypatch):
    fast = N.PerSampleNoise(3).randn((B,) + rest, 1, 7, dtype=dtype)
    assert N._PREFIX_OK.get(dtype) in (None, True)
    monkeypatch.setattr(N, "_prefix_ok", lambda *a: False)  # the old path: always the whole chunk
    slow = N.PerSampleNoise(3).randn((B,) + rest, 1, 7, dtype=dtype)
    assert torch.equal(fast, slow)
    # and a sample's noise does not depend on its batch-mates (rows of a larger batch)
    big = N.PerSampleNoise(3).randn((B + 50,) + rest, 1, 7, dtype=dtype)
    assert torch.equal(big[:B], slow)


def test_prefix_shortcut_is_used_on_cpu():
    assert N._prefix_ok(torch.device("cpu"), torch.float32, 3616, 8192)
    assert not N._prefix_ok(torch.device("cpu"), torch.float32, 8190, 8192)  # no saving
    assert not N._prefix_ok(torch.device("cpu"), torch.float32, 100, 8190)  # chunk not 16-aligned
