#!/usr/bin/env bash
# One GPU check in <= 5 minutes: the CUDA tests, then benchmarks/gpu_bench.py (training throughput vs a
# plain PyTorch loop, sampler overhead vs network time at batch 256, bf16 vs fp32 quality).
#   bash benchmarks/gpu_check.sh [OUT_DIR]     # on a CUDA machine; figures go to OUT_DIR/gpu_bench.json
#   bash benchmarks/gpu_check.sh --cpu         # no GPU: the CPU-capable part (CUDA tests skip; quick bench)
# Record the figures, with the card's name, in benchmarks/RESULTS.md ("## GPU").
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-${OUT:-gpu-check}}"
if [ "${1:-}" = "--cpu" ]; then OUT="${OUT_DIR:-$(mktemp -d)}"; DEVICE=cpu; QUICK=--quick; export OMP_NUM_THREADS=1
else DEVICE=cuda; QUICK=""; fi
mkdir -p "$OUT"
if [ "$DEVICE" = cuda ]; then
  python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'gpu_check.sh: no CUDA device; use --cpu')"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt" || true
fi
# CUDA tests (skip without CUDA) and the device-independent checks of the same paths (bf16 autocast,
# device strings, precision checks); the 2-process sampling test runs NCCL-free on gloo.
timeout 150 python -m pytest -q -p no:cacheprovider -m "slow or not slow" \
  tests/test_train_loop.py tests/test_train_nets.py tests/test_distributed_sampling.py tests/test_train_ddp.py \
  tests/test_train_compile.py -k "cuda or bf16 or fp16 or precision or two_processes or two_cpu or compile" | tail -3
timeout 170 python benchmarks/gpu_bench.py --device "$DEVICE" $QUICK --json "$OUT/gpu_bench.json" > /dev/null
echo "gpu_check: figures in $OUT/gpu_bench.json"
