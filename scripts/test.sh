#!/usr/bin/env bash
# The README's test command: sets the machine up, builds everything (the native layer included) and runs the MSTest suite.
# Ends with a plain `N passed, N failed, N skipped` line read from the TRX results.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash scripts/setup.sh || exit 1
results="$repo/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
dotnet test MaskedSft.MLNet.slnx -c Release --logger trx --logger "console;verbosity=normal" \
  --results-directory "$results" "$@"
status=$?
shopt -s nullglob
trx_files=("$results"/*.trx)
if [ ${#trx_files[@]} -eq 0 ]; then
  echo "test: no TRX results were written (the build failed?)"
  echo "0 passed, 1 failed"
  exit 1
fi
# One TRX per test project; sum them. VSTest's TRX logger leaves notExecuted at 0 for skipped tests, so the per-test
# outcomes are counted instead of the summary counters.
passed=0; failed=0; skipped=0
for trx in "${trx_files[@]}"; do
  n() { grep -o "<UnitTestResult [^>]*outcome=\"$1\"" "$trx" | wc -l; }
  passed=$(( passed + $(n Passed) ))
  failed=$(( failed + $(n Failed) + $(n Error) + $(n Timeout) + $(n Aborted) ))
  skipped=$(( skipped + $(n NotExecuted) + $(n Inconclusive) ))
done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
exit 0
