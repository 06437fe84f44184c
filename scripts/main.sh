#!/usr/bin/env bash
# The README's main-job command (until the trainer exists): sets the machine up, then trains the MLP demo (a 2-layer MLP
# fitting sin(x) with AdamW through the libtorch bindings), printing progress lines and a final loss report.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/setup.sh
dotnet run --project src/Examples/MlpDemo -c Release -- "$@"
