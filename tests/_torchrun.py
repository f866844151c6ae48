"""Running a scoresde command in one process and under torchrun in two (gloo on CPU), for the scale-out tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import List, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    """A TCP port that was free a moment ago (a rendezvous port for torchrun)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_and_two(common: List[str], tmp_path) -> Tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """``python -m scoresde COMMON --out tmp/one`` and the same under torchrun with 2 processes (``--out tmp/two``)."""
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
    one = subprocess.run([sys.executable, "-m", "scoresde", *common, "--out", str(tmp_path / "one")],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    for _ in range(2):  # a fresh port on a retry: the free port can be taken between bind and use
        two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
                              "--master_addr=127.0.0.1", f"--master_port={free_port()}", "-m", "scoresde", *common,
                              "--out", str(tmp_path / "two")], env=env, cwd=ROOT, capture_output=True, text=True,
                             timeout=300)
        if two.returncode == 0:
            break
    return one, two
