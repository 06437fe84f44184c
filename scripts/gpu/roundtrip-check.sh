#!/usr/bin/env bash
# GPU machine (plain python3 with torch, transformers, peft; no .NET): checks what scripts/gpu/roundtrip-prepare.sh wrote
# into .device-carry/roundtrip/: our LoRA adapter loads in peft (unmerged and merged) and our fully fine-tuned folder loads
# in transformers, each giving the log-probs `maskedsft logprobs` computed (within 1e-4, fp32). Logs go to $OUT.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
dir=.device-carry/roundtrip
out=${OUT:-$dir/logs}
mkdir -p "$out"
check=scripts/reference/hf_roundtrip_check.py
[ -f "$check" ] || check=$dir/hf_roundtrip_check.py
device=${ROUNDTRIP_DEVICE:-cpu}   # the models are tiny; fp32 on the CPU is the exact reference (ROUNDTRIP_DEVICE=cuda to use the GPU)
status=0
run_case() {  # name, args...
  local name=$1; shift
  if python3 "$check" --device "$device" "$@" >"$out/roundtrip-$name.log" 2>&1; then
    echo "$name: PASS ($(tail -1 "$out/roundtrip-$name.log"))"
  else
    echo "$name: FAIL"; tail -20 "$out/roundtrip-$name.log"; status=1
  fi
}
if [ ! -d "$dir/lora/adapter" ] || [ ! -d "$dir/full/model" ]; then
  echo "FAIL: $dir is incomplete (run scripts/gpu/roundtrip-prepare.sh here first and carry .device-carry/roundtrip)"; exit 2
fi
run_case lora-peft --model "$dir/lora/base" --adapter "$dir/lora/adapter" --merge --cases "$dir/lora/cases.jsonl" --logprobs "$dir/lora/logprobs.jsonl"
run_case full-transformers --model "$dir/full/model" --cases "$dir/full/cases.jsonl" --logprobs "$dir/full/logprobs.jsonl"
[ "$status" -eq 0 ] && echo "PASS: both round trips" || echo "FAIL: see $out/roundtrip-*.log"
exit "$status"
