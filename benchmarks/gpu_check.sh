#!/usr/bin/env bash
# One GPU check in <= 5 minutes: the CUDA tests, then benchmarks/gpu_bench.py (training throughput vs a
# plain PyTorch loop, sampler overhead vs network time at batch 256, bf16 vs fp32 quality).
#   bash benchmarks/gpu_check.sh [OUT_DIR]     # on a CUDA machine; figures go to OUT_DIR/gpu_bench.json
#   bash benchmarks/gpu_check.sh --cpu         # no GPU: the CPU-capable part (CUDA tests skip; quick bench)
# Without a CUDA device the first form runs the CPU-capable part too, and says so.
# Record the figures, with the card's name, in benchmarks/RESULTS.md ("## GPU").
set -euo pipefail
cd "$(dirname "$0")/.."
DEVICE=cuda
if [ "${1:-}" = "--cpu" ]; then DEVICE=cpu; shift
elif ! python -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)"; then
  DEVICE=cpu
  echo "gpu_check: no CUDA device here: running the CPU-capable part only (CUDA tests skip, quick benchmark on cpu)"
fi
if [ "$DEVICE" = cpu ]; then OUT="${1:-${OUT_DIR:-$(mktemp -d)}}"; QUICK=--quick; export OMP_NUM_THREADS=1
else OUT="${1:-${OUT_DIR:-gpu-check}}"; QUICK=""; fi
mkdir -p "$OUT"
if [ "$DEVICE" = cuda ]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt" || true
fi
# CUDA tests (skip without CUDA, each skip listed with its reason) and the device-independent checks of
# the same paths (bf16 autocast, device strings, precision checks); the 2-process sampling and compare
# tests run NCCL-free on gloo.
timeout 150 python -m pytest -p no:cacheprovider -rs -m "slow or not slow" \
  tests/test_train_loop.py tests/test_train_nets.py tests/test_distributed_sampling.py tests/test_train_ddp.py \
  tests/test_train_compile.py tests/test_compare_shard.py \
  -k "cuda or bf16 or fp16 or precision or two_processes or two_cpu or compile"
timeout 170 python benchmarks/gpu_bench.py --device "$DEVICE" $QUICK --json "$OUT/gpu_bench.json" > /dev/null
echo "gpu_check: figures in $OUT/gpu_bench.json"
if [ "$DEVICE" = cpu ]; then
  echo "gpu_check: CPU only: the CUDA tests skipped and the figures are CPU figures; the GPU figures stay 'not measured'"
fi
