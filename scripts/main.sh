#!/usr/bin/env bash
# The README's main-job command: sets the machine up, builds, and runs src/Examples/TrainTiny — a tiny GPT (2 layers x 64)
# trained with loss masking on deterministic synthetic chat episodes, with progress lines, an evaluation of what it learned
# (greedy answers to held-out chats, loss on trained vs masked tokens, the validation kit) and a run directory (runs/main).
# Extra arguments go to the job: --out DIR --steps N --batch-size B --train N --validation N --seed S --threads T.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/setup.sh
dotnet build src/Examples/TrainTiny -c Release -v quiet -nologo
dotnet run --project src/Examples/TrainTiny -c Release --no-build -- "$@"
