#!/usr/bin/env bash
# Everything a session measures on the GPU machine, in ONE device call (each call pays a machine start), each part
# time-boxed so the call ends inside the 10-minute limit:
#   1. the native shim built once against PyTorch's CUDA libtorch (NCCL on), reused by every part;
#   2. the GPU test category (CUDA tensors, trainer on CUDA, pretrained parity, NCCL world of one);
#   3. TensorBoard read-back of the carried sample runs (scripts/gpu/tensorboard_check.py, tensorboard's own reader);
#   4. the chunked LM-head + CE memory bench (scripts/gpu/chunked-ce-bench.sh);
#   5. issue 12's pretrained bench (scripts/gpu/bench-pretrained.sh: Qwen2.5-0.5B / Llama-3.2-1B shapes vs transformers+peft);
#   6. issue 13's training-step bench (speed: scripts/gpu/gpu-train-step.sh; SIDES, MODELS, STEPS pick what runs);
#   7. kernel-level profiles (profile: scripts/gpu/profile-train-step.sh; PROFILES picks the shapes).
# Here first:  bash scripts/gpu/prepare-carry.sh && bash scripts/gpu/bench-pretrained.sh prepare
#              && bash scripts/gpu/tensorboard-sample.sh
# Then the device tool: carry [".device-carry"], command `bash scripts/gpu/run-all.sh` (PARTS="tests tensorboard ce
# pretrained speed" picks parts; TEST_FILTER narrows the tests). $OUT gets summary.txt and logs.tar.gz (the device returns at most 8 files).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
out=${OUT:-$repo/artifacts/gpu}
mkdir -p "$out"
logs=/tmp/run-all-logs; rm -rf "$logs"; mkdir -p "$logs"
carry="$repo/.device-carry"
parts=${PARTS:-tests tensorboard ce pretrained speed}
export PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
summary="$out/summary.txt"; : > "$summary"
say() { echo "$*" | tee -a "$summary"; }
finish() { tar czf "$out/logs.tar.gz" -C "$logs" . 2>/dev/null; }
trap finish EXIT

[ -f "$carry/tests.tar.xz" ] && [ ! -d "$carry/tests" ] && tar xJf "$carry/tests.tar.xz" -C "$carry"
if [ ! -d .cache/tokenizers ] && [ -f "$carry/tokenizers.tar.xz" ]; then mkdir -p .cache && tar xJf "$carry/tokenizers.tar.xz" -C .cache; fi
mkdir -p /tmp/dn && tar xJf "$carry/dotnet-rt.tar.xz" -C /tmp/dn
export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

start=$(date +%s)
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
TL=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')/lib
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count())'
  cmake -S src/MaskedSft.Torch/Native -B /tmp/nb -DCMAKE_PREFIX_PATH="$TP" -DCMAKE_BUILD_TYPE=Release && cmake --build /tmp/nb -j"$(nproc)"
} > "$logs/native-build.log" 2>&1 || {
  # Our CUDA kernels are the newest part of the build: report their failure, then measure without them.
  grep -E "error" "$logs/native-build.log" | head -n 20 | tee -a "$summary"
  say "native build with our CUDA kernels FAILED; building with MSFT_CUDA_KERNELS=OFF"
  rm -rf /tmp/nb
  { cmake -S src/MaskedSft.Torch/Native -B /tmp/nb -DCMAKE_PREFIX_PATH="$TP" -DCMAKE_BUILD_TYPE=Release -DMSFT_CUDA_KERNELS=OFF \
      && cmake --build /tmp/nb -j"$(nproc)"; } >> "$logs/native-build.log" 2>&1 || { tail -n 30 "$logs/native-build.log"; say "native build FAILED"; exit 1; }
}
head -n 3 "$logs/native-build.log" | tee -a "$summary"
say "native build: $(( $(date +%s) - start )) s"
export MASKEDSFT_NATIVE_LIB=/tmp/nb/libMaskedSftNative.so LD_LIBRARY_PATH="/tmp/nb:$TL:${LD_LIBRARY_PATH:-}"
export MASKEDSFT_PYTHON=$(command -v python3) MSFT_NATIVE_BUILD=/tmp/nb

part() {  # name, seconds, command...
  local name=$1 limit=$2; shift 2
  case " $parts " in *" $name "*) ;; *) return 0 ;; esac
  local t0; t0=$(date +%s)
  OUT="$logs/$name" timeout "$limit" "$@" > "$logs/$name.log" 2>&1
  local rc=$?
  say "== $name: exit $rc after $(( $(date +%s) - t0 )) s (limit $limit s)"
  tail -n "${TAIL:-25}" "$logs/$name.log" | tee -a "$summary"
}
mkdir -p "$logs/tests" "$logs/tensorboard" "$logs/ce" "$logs/pretrained" "$logs/speed"

part tests "${TESTS_LIMIT:-150}" dotnet "$carry/tests/MaskedSft.MLNet.Tests.dll" --output detailed --no-ansi --no-progress --filter "${TEST_FILTER:-TestCategory=GPU}"
grep -E "^\s*failed " "$logs/tests.log" | head -n 20 | tee -a "$summary"
part tensorboard 60 python3 scripts/gpu/tensorboard_check.py "$carry/tensorboard-runs/main" "$carry/tensorboard-runs/mock:images"
part ce 100 bash scripts/gpu/chunked-ce-bench.sh
part pretrained 230 bash scripts/gpu/bench-pretrained.sh
# bench/GpuTrainStep (prepared into .device-carry by: CARRY_DIR=.device-carry bash scripts/gpu/prepare-gpu-train-step.sh)
part speed "${SPEED_LIMIT:-300}" env CARRY="$carry" STEPS="${STEPS:-10}" SIDES="${SIDES:-ours ours-unchunked pytorch-compiled}" \
  MODELS="${MODELS:-gpt2-124m 16}" bash scripts/gpu/gpu-train-step.sh
# 7. kernel-level profiles of our step (scripts/gpu/profile-train-step.sh on the shim built above): PROFILES="model batch,..."
#    (default the Qwen2.5-0.5B shape B4), PROFILE_SIDES (ours sides, default ours), PROFILE_PY_SIDES (PyTorch sides, default
#    none); each model's summary.txt lands in logs.tar.gz (profile-MODEL/), the traces are dropped.
IFS=, read -ra profiles <<< "${PROFILES:-qwen2.5-0.5b 4}"
for entry in "${profiles[@]}"; do
  read -r m b <<< "$entry"
  mkdir -p "$logs/profile-$m"
  case " $parts " in *" profile "*) parts="$parts profile-$m" ;; esac
  part "profile-$m" "${PROFILE_LIMIT:-150}" env CARRY="$carry" NATIVE_PREBUILT=/tmp/nb QWEN=0 MODEL="$m" BATCH="$b" \
    OURS_SIDES="${PROFILE_SIDES:-ours}" PY_SIDES="${PROFILE_PY_SIDES-}" bash scripts/gpu/profile-train-step.sh
  rm -f "$logs/profile-$m/traces.tar"
done
say "total: $(( $(date +%s) - start )) s"
