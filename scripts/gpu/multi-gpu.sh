#!/usr/bin/env bash
# Run ON THE GPU MACHINE (device tool, repo root, carry: [".device-carry"] prepared by scripts/gpu/prepare-carry.sh):
# data-parallel training over NCCL (issue 16).
#   1. Always: the NCCL world-of-one tests (a real ProcessGroupNCCL on cuda:0: every collective, and a trainer run in the
#      group equal to the run without one).
#   2. With 2+ GPUs: for the tiny GPT and the tiny Qwen2 fixture, `maskedsft launch --nproc-per-node 2` over NCCL against
#      one process with the same global batch: per-step loss within the stated tolerance (fp32: 1e-5 relative; bf16:
#      2e-2 relative, the rounding of bf16 activations summed in a different order), hard examples of both ranks in the
#      merged snapshot, and a 2-rank run resumed from step 3 equal to the uninterrupted one bit for bit.
# NVLink multicast stays off (also in what `launch` gives its children: they inherit this environment).
# Logs go to $OUT. Ends with "N passed, N failed"; exits non-zero when something failed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
out=${OUT:-$repo/artifacts/gpu}
mkdir -p "$out"
carry="$repo/.device-carry"
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
[ -f "$carry/tests.tar.xz" ] && [ ! -d "$carry/tests" ] && tar xJf "$carry/tests.tar.xz" -C "$carry"
[ -f "$carry/tests/maskedsft.dll" ] || { echo "multi-gpu: $carry/tests is missing; run scripts/gpu/prepare-carry.sh first" >&2; exit 2; }
if [ ! -d .cache/tokenizers ] && [ -f "$carry/tokenizers.tar.xz" ]; then mkdir -p .cache && tar xJf "$carry/tokenizers.tar.xz" -C .cache; fi

if [ -z "${MASKEDSFT_NATIVE_LIB:-}" ]; then
  mkdir -p /tmp/dn && tar xJf "$carry/dotnet-rt.tar.xz" -C /tmp/dn
  export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
  TL=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')/lib
  cmake -S src/MaskedSft.Torch/Native -B /tmp/nb -DCMAKE_PREFIX_PATH="$TP" -DCMAKE_BUILD_TYPE=Release -DMSFT_WITH_NCCL=ON \
    > "$out/multi-gpu-native.log" 2>&1 && cmake --build /tmp/nb -j"$(nproc)" >> "$out/multi-gpu-native.log" 2>&1 \
    || { tail -n 20 "$out/multi-gpu-native.log"; echo "0 passed, 1 failed"; exit 1; }
  export MASKEDSFT_NATIVE_LIB=/tmp/nb/libMaskedSftNative.so LD_LIBRARY_PATH="/tmp/nb:$TL:${LD_LIBRARY_PATH:-}"
fi

passed=0; failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# 1. A world of one over NCCL.
dotnet "$carry/tests/MaskedSft.MLNet.Tests.dll" --output detailed --no-ansi --no-progress \
  --filter "FullyQualifiedName~ProcessGroupNcclTests" > "$out/nccl-world-of-one.log" 2>&1 \
  && pass "NCCL world of one ($(grep -oE 'succeeded: [0-9]+' "$out/nccl-world-of-one.log" | tail -n 1))" \
  || { fail "NCCL world of one (nccl-world-of-one.log)"; grep -E "^failed " "$out/nccl-world-of-one.log" | head -n 5; }

gpus=$(nvidia-smi -L 2>/dev/null | wc -l)
if [ "$gpus" -lt 2 ]; then
  echo "multi-gpu: $gpus GPU(s) here; the two-rank runs need 2 (take a nvidia-h200-x2 machine)."
  echo "${passed} passed, ${failed} failed"
  [ "$failed" -eq 0 ]; exit $?
fi

cli=(dotnet "$carry/tests/maskedsft.dll")
work=/tmp/multi-gpu; rm -rf "$work"; mkdir -p "$work"
chats=src/Examples/LoraFineTune/chats.jsonl
qwen2=test/MaskedSft.MLNet.Tests/Fixtures/HfModels/qwen2
"${cli[@]}" prepare --input "$chats" --tokenizer .cache/tokenizers/gpt2 --out "$work/data-gpt2" > "$out/prepare.log" 2>&1 || fail "prepare gpt2"
"${cli[@]}" prepare --input "$chats" --tokenizer "$qwen2" --out "$work/data-qwen2" >> "$out/prepare.log" 2>&1 || fail "prepare qwen2"

# name, data, extra train arguments, loss tolerance (relative)
cases=(
  "tiny|$work/data-gpt2||1e-5"
  "qwen2-fp32|$work/data-qwen2|--model $qwen2 --dtype float32 --lora-rank 8|1e-5"
  "qwen2-bf16|$work/data-qwen2|--model $qwen2 --dtype bfloat16|2e-2"
)
common=(--steps 6 --warmup 1 --lr 3e-3 --log-interval 1 --eval-interval 0 --checkpoint-interval 3 --seed 3 --device cuda
        --max-hard-examples-buffer 4 --hard-example-log-interval 3)
for spec in "${cases[@]}"; do
  IFS='|' read -r name data extra tol <<< "$spec"
  # shellcheck disable=SC2206
  extra_args=($extra)
  one="$work/$name-one"; two="$work/$name-two"; resumed="$work/$name-resumed"
  "${cli[@]}" train --data "$data" --out "$one" --batch-size 8 "${common[@]}" "${extra_args[@]}" > "$out/$name-one.log" 2>&1 \
    || { fail "$name: one process (see $name-one.log)"; continue; }
  "${cli[@]}" launch --nproc-per-node 2 -- "${cli[@]}" train --data "$data" --out "$two" --batch-size 4 "${common[@]}" "${extra_args[@]}" \
    > "$out/$name-two.log" 2>&1 || { fail "$name: two ranks over NCCL (see $name-two.log)"; continue; }
  "${cli[@]}" launch --nproc-per-node 2 -- "${cli[@]}" train --data "$data" --out "$resumed" --batch-size 4 "${common[@]}" "${extra_args[@]}" \
    --resume "$two/checkpoints/step-00000003" > "$out/$name-resumed.log" 2>&1 || { fail "$name: resume (see $name-resumed.log)"; continue; }
  if python3 scripts/gpu/compare_dp_runs.py --one "$one" --two "$two" --resumed "$resumed" --resumed-from 3 --tolerance "$tol" \
       >> "$out/multi-gpu-compare.log" 2>&1; then
    pass "$name: 2 ranks over NCCL = 1 process (tol $tol), both ranks' hard examples, exact resume"
  else
    fail "$name (multi-gpu-compare.log)"; tail -n 5 "$out/multi-gpu-compare.log"
  fi
done
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
