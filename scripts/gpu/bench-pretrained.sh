#!/usr/bin/env bash
# Issue 12's benchmark: LoRA (r=16, all linear layers) and full fine-tuning (AdamW) tokens/s and peak CUDA memory, and
# log-prob throughput, of Qwen2.5-0.5B- and Llama-3.2-1B-shaped models (random weights, real configs; T=2048, bf16) in C#
# (bench/PretrainedTrain) vs transformers + peft (bench/PretrainedTrain/reference.py) on the same model folder.
#
#   bash scripts/gpu/bench-pretrained.sh prepare
#       HERE (the dev machine): publishes the bench into .device-carry/bench-pretrained.tar.xz and packs the .NET runtime
#       (as scripts/gpu/prepare-carry.sh does).
#   bash scripts/gpu/bench-pretrained.sh [bench options]
#       ON THE GPU MACHINE (device tool, carry: [".device-carry"]): builds the native shim against PyTorch's libtorch, then
#       runs both sides in one invocation; the log goes to $OUT/bench-pretrained.log. Default options:
#       --shape qwen2.5-0.5b,llama-3.2-1b --device cuda --dtype bfloat16 --batch 1 --seq 2048.
#   bash scripts/gpu/bench-pretrained.sh --shape tiny --device cpu --dtype float32 --seq 64 --steps 2
#       the smoke test (works here too, after prepare; without transformers only the C# side runs).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
carry="$repo/.device-carry"

if [ "${1:-}" = "prepare" ]; then
  set -e
  mkdir -p "$carry"
  grep -qxF '/.device-carry/' .gitignore 2>/dev/null || grep -qxF '/.device-carry/' .git/info/exclude 2>/dev/null \
    || echo '/.device-carry/' >> .git/info/exclude
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  [ -f "$carry/dotnet-rt.tar.xz" ] || tar cJf "$carry/dotnet-rt.tar.xz" -C "$dotnet_root" dotnet host shared/Microsoft.NETCore.App
  dotnet build src/MaskedSft.Torch -c Release -nologo -v q
  native="$repo/src/MaskedSft.Torch/obj/native/Release"
  rm -rf "$carry/bench-pretrained" "$carry/bench-pretrained.tar.xz"
  dotnet publish bench/PretrainedTrain -c Release -nologo -v q -p:MaskedSftNativeDir="$native" -p:UseAppHost=false \
    -p:SatelliteResourceLanguages=en --artifacts-path "$repo/artifacts/gpu-publish" -o "$carry/bench-pretrained"
  rm -f "$carry/bench-pretrained/libMaskedSftNative.so"
  # Packed (ML.NET comes along with the product assembly): the whole carry must stay under 64 MiB.
  tar cJf "$carry/bench-pretrained.tar.xz" -C "$carry" bench-pretrained && rm -rf "$carry/bench-pretrained"
  du -sh "$carry"/* | sed 's/^/  /'
  echo "bench-pretrained prepare: .device-carry holds $(du -sh "$carry" | cut -f1) (limit 64 MiB)"
  exit 0
fi

out=${OUT:-$repo/artifacts/gpu}
mkdir -p "$out"
[ -f "$carry/bench-pretrained.tar.xz" ] && [ ! -d "$carry/bench-pretrained" ] && tar xJf "$carry/bench-pretrained.tar.xz" -C "$carry"
[ -f "$carry/bench-pretrained/PretrainedTrain.dll" ] || { echo "bench-pretrained: run 'bash scripts/gpu/bench-pretrained.sh prepare' on the dev machine first" >&2; exit 2; }

# .NET runtime: the carried one when this machine has none.
if ! command -v dotnet >/dev/null 2>&1; then
  mkdir -p /tmp/dn && tar xJf "$carry/dotnet-rt.tar.xz" -C /tmp/dn
  export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The native shim against the python's libtorch (PyTorch's own on the GPU machine; Debian's here).
py=${MASKEDSFT_PYTHON:-$(command -v python3)}
TP=$("$py" -c 'import torch;print(torch.utils.cmake_prefix_path)')
TL=$("$py" -c 'import torch,os;print(os.path.dirname(torch.__file__))')/lib
nb=${MSFT_NATIVE_BUILD:-/tmp/nb-bench}
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no nvidia-smi"
  "$py" -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda)'
  cmake -S src/MaskedSft.Torch/Native -B "$nb" -DCMAKE_PREFIX_PATH="$TP" -DCMAKE_BUILD_TYPE=Release && cmake --build "$nb" -j"$(nproc)"
} > "$out/bench-pretrained-native-build.log" 2>&1 || { tail -n 20 "$out/bench-pretrained-native-build.log"; echo "bench-pretrained: the native build failed"; exit 1; }
export MASKEDSFT_NATIVE_LIB="$nb/libMaskedSftNative.so" LD_LIBRARY_PATH="$nb:$TL:${LD_LIBRARY_PATH:-}" MASKEDSFT_PYTHON="$py"

dotnet "$carry/bench-pretrained/PretrainedTrain.dll" --work "${BENCH_WORK:-/tmp/msft-bench-pretrained}" "$@" 2>&1 | tee "$out/bench-pretrained.log"
exit "${PIPESTATUS[0]}"
