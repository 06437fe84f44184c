#!/usr/bin/env bash
# The README's test command: sets the machine up, builds everything (the native layer included) and runs the MSTest suite.
# Ends with a plain `N passed, N failed, N skipped` line read from the TRX results.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/setup.sh || exit 1
results="$repo/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
dotnet test MaskedSft.MLNet.slnx -c Release --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" "$@"
status=$?
trx="$results/results.trx"
if [ ! -f "$trx" ]; then
  echo "test: no TRX results were written (the build failed?)"
  echo "0 passed, 1 failed"
  exit 1
fi
counters=$(grep -o '<Counters [^>]*>' "$trx")
attr() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
passed=$(attr passed); failed=$(( $(attr failed) + $(attr error) + $(attr timeout) + $(attr aborted) )); skipped=$(attr notExecuted)
inconclusive=$(attr inconclusive); skipped=$(( skipped + inconclusive ))
# VSTest's TRX logger leaves notExecuted at 0 for skipped/ignored tests; count their per-test outcomes instead.
outcomes=$(grep -o '<UnitTestResult [^>]*outcome="\(NotExecuted\|Inconclusive\)"' "$trx" | wc -l)
[ "$outcomes" -gt "$skipped" ] && skipped=$outcomes
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
exit 0
