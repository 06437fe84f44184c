#!/usr/bin/env bash
# Run HERE (dev machine) before scripts/gpu/gpu-train-step.sh: publishes bench/GpuTrainStep (framework-dependent) and
# packs it, the .NET runtime, the native sources and the run script into a git-ignored carry folder of the checkout the
# device tool sends (CARRY_ROOT, default this repo; CARRY_DIR, default .device-carry-speed).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=${CARRY_ROOT:-$repo}
carry="$root/${CARRY_DIR:-.device-carry-speed}"
mkdir -p "$carry"
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
[ -f "$carry/dotnet-rt.tar.xz" ] || tar cJf "$carry/dotnet-rt.tar.xz" -C "$dotnet_root" dotnet host shared/Microsoft.NETCore.App
native="$repo/src/MaskedSft.Torch/obj/native/Release"
rm -rf "$carry/bench" "$carry/Native"
dotnet publish "$repo/bench/GpuTrainStep" -c Release -nologo -v q -p:MaskedSftNativeDir="$native" -p:UseAppHost=false \
  -p:SatelliteResourceLanguages=en --artifacts-path "$repo/artifacts/gpu-publish" -o "$carry/bench"
rm -f "$carry/bench/libMaskedSftNative.so"
tar cJf "$carry/bench.tar.xz" -C "$carry/bench" . && rm -rf "$carry/bench"
cp -r "$repo/src/MaskedSft.Torch/Native" "$carry/Native"
cp "$repo/scripts/gpu/gpu-train-step.sh" "$repo/scripts/gpu/profile-train-step.sh" "$carry/"
cp "$repo/bench/PretrainedTrain/reference.py" "$carry/pretrained_reference.py"   # writes the qwen2.5-0.5b folder
du -sh "$carry"/* | sed 's/^/  /'
echo "carry: $(du -sh "$carry" | cut -f1) (limit 64 MiB)"
