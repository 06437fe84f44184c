#!/usr/bin/env bash
# Run ON THE GPU MACHINE (device tool, repo root): bench/GpuTrainStep against PyTorch in the same invocation.
#   carry: [".device-carry-speed"] prepared by scripts/gpu/prepare-gpu-train-step.sh on the dev machine
#   command: bash .device-carry-speed/gpu-train-step.sh
# Builds the native layer (the carried sources) against PyTorch's CUDA libtorch, runs the CUDA checks (--check), then
# GPT-2 124M (B16 T1024) and 355M (B8 T1024): ours (bf16 autocast, SDPA, fused AdamW), ours with activation
# checkpointing, PyTorch eager (bf16 autocast + SDPA) and PyTorch torch.compile + fused AdamW; prints tokens/s, peak
# memory, MFU and ratios (compare.py). Logs and results.jsonl go to $OUT.
set -uo pipefail
carry=${CARRY:-.device-carry-speed}
out=${OUT:-$carry/out}
mkdir -p "$out"
steps=${STEPS:-20}
sides=${SIDES:-ours ours-checkpointing pytorch-eager pytorch-compiled}   # ours = the engine default (bf16 masters on CUDA), metrics read after the last step only (as the reference); also: ours-read-every-step, ours-bf16-autocast, ours-bf16-masters, ours-bf16 (pure bfloat16 weights), ours-unchunked
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda)'; } | tee "$out/machine.txt"
mkdir -p /tmp/dn && tar xJf "$carry/dotnet-rt.tar.xz" -C /tmp/dn
export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
mkdir -p /tmp/bench && tar xJf "$carry/bench.tar.xz" -C /tmp/bench
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
TL=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')/lib
native=${NATIVE_SRC:-$carry/Native}
if [ -n "${MASKEDSFT_NATIVE_LIB:-}" ] && [ -f "$MASKEDSFT_NATIVE_LIB" ]; then
  echo "native: reusing $MASKEDSFT_NATIVE_LIB"   # built by the caller (scripts/gpu/run-all.sh)
elif ! { cmake -S "$native" -B /tmp/nb -DCMAKE_PREFIX_PATH="$TP" -DCMAKE_BUILD_TYPE=Release && cmake --build /tmp/nb -j"$(nproc)"; } > "$out/native-build.log" 2>&1; then
  grep -E "error|Error" "$out/native-build.log" | head -30; echo "native build failed"; exit 1
else
  export MASKEDSFT_NATIVE_LIB=/tmp/nb/libMaskedSftNative.so
fi
export LD_LIBRARY_PATH="$(dirname "$MASKEDSFT_NATIVE_LIB"):$TL:${LD_LIBRARY_PATH:-}"
bench=(dotnet /tmp/bench/GpuTrainStep.dll)
ref=/tmp/bench/reference.py
[ -n "${SKIP_CHECKS:-}" ] || { echo "== CUDA checks"; "${bench[@]}" --check 2>&1 | tee "$out/checks.log"; }
results="$out/results.jsonl"; : > "$results"
IFS=, read -ra specs <<< "${MODELS:-gpt2-124m 16,gpt2-355m 8}"   # "model batch" pairs, comma-separated
for spec in "${specs[@]}"; do
  set -- $spec
  ours_extra=(); ref_extra=()
  if [ "$1" = qwen2.5-0.5b ]; then  # random weights written by transformers (bench/PretrainedTrain/reference.py), T2048
    [ -d /tmp/qwen2.5-0.5b ] || python3 "$carry/pretrained_reference.py" write --shape qwen2.5-0.5b --out /tmp/qwen2.5-0.5b > "$out/qwen-write.log" 2>&1 \
      || { echo "writing the qwen2.5-0.5b folder failed:"; tail -5 "$out/qwen-write.log"; continue; }
    ours_extra=(--pretrained /tmp/qwen2.5-0.5b); ref_extra=(--hf /tmp/qwen2.5-0.5b)
  fi
  echo "== $1 B$2"
  for side in $sides; do
    case $side in
      ours) "${bench[@]}" --model "$1" --batch "$2" "${ours_extra[@]}" --steps "$steps" --json "$results" --label ours 2>&1 | tail -3 ;;
      ours-unchunked) "${bench[@]}" --model "$1" --batch "$2" "${ours_extra[@]}" --steps "$steps" --json "$results" --label ours-unchunked --head-chunk-rows 0 2>&1 | tail -3 ;;
      ours-read-every-step) "${bench[@]}" --model "$1" --batch "$2" "${ours_extra[@]}" --steps "$steps" --json "$results" --label ours-read-every-step --read-every-step 2>&1 | tail -3 ;;
      ours-checkpointing) "${bench[@]}" --model "$1" --batch "$2" "${ours_extra[@]}" --steps "$steps" --json "$results" --label ours-checkpointing --checkpointing 2>&1 | tail -3 ;;
      ours-bf16) "${bench[@]}" --model "$1" --batch "$2" "${ours_extra[@]}" --steps "$steps" --json "$results" --label ours-bf16 --precision bf16 2>&1 | tail -3 ;;
      ours-bf16-autocast) "${bench[@]}" --model "$1" --batch "$2" "${ours_extra[@]}" --steps "$steps" --json "$results" --label ours-bf16-autocast --precision bf16-autocast 2>&1 | tail -3 ;;
      ours-bf16-masters) "${bench[@]}" --model "$1" --batch "$2" "${ours_extra[@]}" --steps "$steps" --json "$results" --label ours-bf16-masters --precision bf16-masters 2>&1 | tail -3 ;;
      pytorch-eager) python3 "$ref" --model "$1" --batch "$2" "${ref_extra[@]}" --steps "$steps" --json "$results" --mode eager 2>&1 | tail -3 ;;
      pytorch-compiled) python3 "$ref" --model "$1" --batch "$2" "${ref_extra[@]}" --steps "$steps" --json "$results" --mode compiled 2>&1 | tail -3 ;;
    esac
  done
done
python3 /tmp/bench/compare.py "$results" | tee "$out/summary.txt"
