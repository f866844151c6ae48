"""Write a tiny, untrained diffusers model folder (UNet2DModel + DDPMScheduler) to try the adapters offline.

    python examples/make_tiny_diffusers_model.py tiny-model
    scoresde compare --model diffusers:tiny-model --nfe 10,20 --out compare-tiny

The network is random (seeded), so the samples are noise; what the run shows is the plumbing: the
scheduler's alpha-bar table as a continuous VP SDE, the t <-> timestep map, NFE counted by the toolkit, and
every sampler measured against a high-accuracy solve of the same network's PF-ODE. Needs
``pip install "scoresde[peers]"``; nothing is downloaded.
"""
from __future__ import annotations

import argparse
import os
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", help="folder to create (unet/ and scheduler/ inside)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")
    a = p.parse_args(argv)
    try:
        import diffusers as D
        import torch
    except ImportError:
        sys.stderr.write('make_tiny_diffusers_model: needs diffusers: pip install "scoresde[peers]"\n')
        return 2
    if os.path.exists(a.out) and os.listdir(a.out):
        sys.stderr.write(f"make_tiny_diffusers_model: {a.out!r} exists and is not empty\n")
        return 2
    torch.manual_seed(a.seed)
    unet = D.UNet2DModel(sample_size=8, in_channels=1, out_channels=1, layers_per_block=1,
                         block_out_channels=(8, 16), down_block_types=("DownBlock2D", "DownBlock2D"),
                         up_block_types=("UpBlock2D", "UpBlock2D"), norm_num_groups=4)
    unet.save_pretrained(os.path.join(a.out, "unet"))
    D.DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear").save_pretrained(os.path.join(a.out, "scheduler"))
    print(f"wrote {a.out}/unet and {a.out}/scheduler")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
