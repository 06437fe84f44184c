#!/usr/bin/env bash
# Run HERE (the dev machine): produces two small runs whose TensorBoard files scripts/gpu/tensorboard_check.py reads on
# the GPU machine (which has the tensorboard package; this machine has not), into .device-carry/tensorboard-runs/
# (git-ignored; only metrics.jsonl, hard_examples.jsonl and tensorboard/ of each run are kept, a few hundred KB):
#   main: the main job (scripts/main.sh, its default run): the trainer's scalars, validation loss and snapshot texts;
#   mock: maskedsft mock-train (40 steps): the mock images' PNG thumbnails as TensorBoard images.
# Then the device tool, carry [".device-carry"]:
#   python3 scripts/gpu/tensorboard_check.py .device-carry/tensorboard-runs/main .device-carry/tensorboard-runs/mock:images
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
grep -qxF '/.device-carry/' .gitignore 2>/dev/null || grep -qxF '/.device-carry/' .git/info/exclude 2>/dev/null \
  || echo '/.device-carry/' >> .git/info/exclude
out="$repo/.device-carry/tensorboard-runs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"; mkdir -p "$out/main" "$out/mock"
bash scripts/main.sh --out "$work/main" "$@" > "$work/main.log" || { tail -20 "$work/main.log"; exit 1; }
dotnet build src/MaskedSft.Cli -c Release -v quiet -nologo
dotnet run --project src/MaskedSft.Cli -c Release --no-build -- mock-train --num-train-steps 40 --log-interval 5 \
  --hard-example-log-interval 10 --checkpoint-dir "$work/mock" > "$work/mock.log" || { tail -20 "$work/mock.log"; exit 1; }
for run in main mock; do
  cp -r "$work/$run/metrics.jsonl" "$work/$run/hard_examples.jsonl" "$work/$run/tensorboard" "$out/$run/"
done
du -sh "$out"/*
