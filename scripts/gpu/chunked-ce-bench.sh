#!/usr/bin/env bash
# Run ON THE GPU MACHINE (device tool, repo root; nothing to carry: it needs only the tracked sources and PyTorch):
# builds the native layer against PyTorch's CUDA libtorch (reusing /tmp/nb when scripts/gpu/run-gpu-tests.sh built it
# from the same sources), then runs bench/ChunkedCrossEntropy/bench.py, which loads that library into the PyTorch
# process (one CUDA caching allocator for both sides) and prints, per shape, the peak CUDA memory above the inputs of
# PyTorch's naive head (whole (N, V) logits, float32 cross-entropy) and of our chunked op, and the max |diff| of the loss
# and of both gradients:
#   1. the issue's shape, bf16: N=16384, C=2048, V=151936 (target: chunked <= 2 GiB extra);
#   2. the same shape in float32 (exactness at scale: TF32 is off in both, PyTorch's default for matmuls);
#   3. a float32 shape with chunk sizes that do not divide N or V.
# Logs go to $OUT/chunked-ce-bench.log (and native-build.log); the last lines are the JSON results.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
out=${OUT:-$repo/artifacts/gpu}
mkdir -p "$out"
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
TL=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')/lib
if ! nm -D /tmp/nb/libMaskedSftNative.so 2>/dev/null | grep -q msft_linear_cross_entropy; then
  { cmake -S src/MaskedSft.Torch/Native -B /tmp/nb -DCMAKE_PREFIX_PATH="$TP" -DCMAKE_BUILD_TYPE=Release \
      && cmake --build /tmp/nb -j"$(nproc)"; } > "$out/native-build.log" 2>&1 \
    || { tail -n 20 "$out/native-build.log"; echo "chunked-ce-bench: the native build failed (see native-build.log)"; exit 1; }
fi
export LD_LIBRARY_PATH="/tmp/nb:$TL:${LD_LIBRARY_PATH:-}"
run() { python3 bench/ChunkedCrossEntropy/bench.py --lib /tmp/nb/libMaskedSftNative.so --device cuda "$@"; }
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  run --rows 16384 --hidden 2048 --vocab 151936 --dtype bfloat16
  run --rows 16384 --hidden 2048 --vocab 151936 --dtype float32
  run --rows 4099 --hidden 1024 --vocab 50257 --dtype float32 --row-chunk 333 --vocab-chunk 4097
} 2>&1 | tee "$out/chunked-ce-bench.log"
status=${PIPESTATUS[0]}
exit "$status"
