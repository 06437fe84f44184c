#!/usr/bin/env bash
# Here (CPU, .NET): fine-tunes the tiny fixtures with the CLI and writes what the GPU machine checks in transformers + peft
# (scripts/gpu/roundtrip-check.sh) into .device-carry/roundtrip/ (git-ignored):
#   lora/adapter/      a LoRA adapter trained a few steps on the qwen2 fixture (`train --model --lora-rank`), base in lora/base/
#   full/model/        the llama-gqa-sharded fixture fully fine-tuned a few steps and saved as a Hugging Face folder
#   */cases.jsonl      {"ids": [...]} lines (random ids below the vocabulary);  */logprobs.jsonl: our `maskedsft logprobs` output for them (--adapter for LoRA)
# Then on the GPU machine: carry [".device-carry/roundtrip"], command `bash scripts/gpu/roundtrip-check.sh`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
fixtures=test/MaskedSft.MLNet.Tests/Fixtures/HfModels
out=.device-carry/roundtrip
rm -rf "$out"; mkdir -p "$out/lora" "$out/full" "$out/work"
dotnet build src/MaskedSft.Cli -c Release -v q -nologo "$@" >"$out/work/build.log" 2>&1 || { cat "$out/work/build.log"; exit 1; }
cli=(dotnet "$(find src/MaskedSft.Cli/bin/Release -name maskedsft.dll | head -1)")

# Fixed-reply chats: the adapter and the full model learn something visible.
python3 - "$out/work/chats.jsonl" <<'PY'
import json, random, sys
r = random.Random(7)
words = "red blue green apple river stone cloud quick slow bright dark north tree bird fish".split()
with open(sys.argv[1], "w") as f:
    for _ in range(32):
        q = " ".join(r.choice(words) for _ in range(r.randint(3, 6)))
        f.write(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": "Sure: done."}]}) + "\n")
PY

cases() {  # three seeded random id sequences below the vocabulary (5, 17 and 40 ids)
  python3 - "$1" "$2" <<'PY'
import json, random, sys
vocab = json.load(open(sys.argv[1] + "/config.json"))["vocab_size"]
r = random.Random(11)
with open(sys.argv[2], "w") as f:
    for n in (5, 17, 40):
        f.write(json.dumps({"ids": [r.randrange(vocab) for _ in range(n)]}) + "\n")
PY
}

echo "== LoRA on qwen2"
cp -r "$fixtures/qwen2" "$out/lora/base"
"${cli[@]}" prepare --input "$out/work/chats.jsonl" --tokenizer "$out/lora/base" --out "$out/work/data-qwen2" >"$out/work/prepare-qwen2.log"
"${cli[@]}" train --model "$out/lora/base" --data "$out/work/data-qwen2" --out "$out/work/run-lora" --device cpu \
  --lora-rank 8 --lora-alpha 16 --lora-targets q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj \
  --steps 8 --batch-size 8 --lr 5e-3 --warmup 1 --log-interval 4 --no-hard-examples | tee "$out/work/train-lora.log"
cp -r "$out/work/run-lora/model" "$out/lora/adapter"
cases "$out/lora/base" "$out/lora/cases.jsonl"
"${cli[@]}" logprobs --model "$out/lora/base" --adapter "$out/lora/adapter" <"$out/lora/cases.jsonl" >"$out/lora/logprobs.jsonl"

echo "== full fine-tuning of llama-gqa-sharded"
"${cli[@]}" prepare --input "$out/work/chats.jsonl" --tokenizer "$fixtures/llama-gqa-sharded" --out "$out/work/data-llama" >"$out/work/prepare-llama.log"
"${cli[@]}" train --model "$fixtures/llama-gqa-sharded" --data "$out/work/data-llama" --out "$out/work/run-full" --device cpu \
  --steps 4 --batch-size 8 --lr 1e-3 --warmup 1 --log-interval 2 --no-hard-examples | tee "$out/work/train-full.log"
cp -r "$out/work/run-full/model" "$out/full/model"
cases "$out/full/model" "$out/full/cases.jsonl"
"${cli[@]}" logprobs --model "$out/full/model" <"$out/full/cases.jsonl" >"$out/full/logprobs.jsonl"

rm -rf "$out/work/run-lora/checkpoints" "$out/work/run-full/checkpoints" "$out/work/data-"*
cp scripts/reference/hf_roundtrip_check.py "$out/"
du -sh "$out"
echo "ready: $out (GPU machine: carry [\".device-carry/roundtrip\"], command: bash scripts/gpu/roundtrip-check.sh)"
