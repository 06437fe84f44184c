#!/usr/bin/env bash
# Kill -9 trials of `maskedsft train` (docs/reliability.md): a reference run of the tiny GPT on the bundled synthetic data,
# then TRIALS runs that are killed with SIGKILL at random moments (0-600 ms after a random step reaches metrics.jsonl, so
# often inside the checkpoint write that follows it; every third trial is killed a second time while it resumes) and resumed with
# --resume until they finish. Each trial must end with the reference's final weights (sha256 of
# model/model.safetensors), the reference's metrics.jsonl (every field but tokens_per_s, exact text), steps 1..N once
# each, and never resume from a half-written checkpoint (every step-N folder present after a kill must load). The debug
# variable MASKEDSFT_DEBUG_CHECKPOINT_DELAY_MS widens the checkpoint write window so kills land inside writes.
# Usage: scripts/reliability/kill-trials.sh [--trials 20] [--steps 30] [--checkpoint-interval 2] [--delay-ms 250] [--seed 7] [--out DIR]
# Needs a Release build (dotnet build MaskedSft.MLNet.slnx -c Release). Prints one line per trial and a summary; exit 1 on a mismatch.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
trials=20 steps=30 interval=2 delay=250 seed=7 out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --trials) trials=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --checkpoint-interval) interval=$2; shift 2 ;;
    --delay-ms) delay=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
cli="$repo/src/MaskedSft.Cli/bin/Release/net10.0/maskedsft.dll"
reliability="$repo/tools/Reliability/bin/Release/net10.0/Reliability.dll"
[[ -f $cli && -f $reliability ]] || { echo "build first: dotnet build MaskedSft.MLNet.slnx -c Release" >&2; exit 2; }
work=${out:-$(mktemp -d /tmp/kill-trials.XXXXXX)}
mkdir -p "$work"
RANDOM=$seed
export MASKEDSFT_DEBUG_CHECKPOINT_DELAY_MS=$delay
dotnet "$reliability" data --out "$work/data" --train 400 --validation 40 --seed 1234 >/dev/null

train() { # train OUT LOG [--resume OUT]; run in the background as `train ... &`, exec makes $! the dotnet process itself
  local run=$1 log=$2; shift 2
  exec dotnet "$cli" train --data "$work/data" --out "$run" --preset tiny --steps "$steps" --batch-size 4 --lr 3e-3 --warmup 3 \
    --checkpoint-interval "$interval" --log-interval 1 --eval-interval 0 --seed 5 --device cpu --threads 1 \
    --hard-example-log-interval 5 "$@" >"$log" 2>&1
}
count_lines() { # sets n to the lines of a file, without forking (0 when missing)
  local lines=()
  [[ -f $1 ]] && mapfile -t lines <"$1"
  n=${#lines[@]}
}
metrics() { # every field of metrics.jsonl but the throughput (wall-clock), one line per step
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    m.pop("tokens_per_s", None)
    print(json.dumps(m, sort_keys=True))' "$1"
}
# Every step-N folder must be a complete checkpoint: trainer.json parses and names the step, the safetensors files are whole.
check_checkpoints() {
  python3 - "$1" <<'PY'
import json, os, struct, sys
root = os.path.join(sys.argv[1], "checkpoints")
bad = []
for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
    if not name.startswith("step-"): continue
    folder = os.path.join(root, name)
    try:
        meta = json.load(open(os.path.join(folder, "trainer.json")))
        assert meta["step"] == int(name[5:]), "step mismatch"
        for f in ("model.safetensors", "optimizer.safetensors"):
            data = open(os.path.join(folder, f), "rb").read()
            n = struct.unpack("<Q", data[:8])[0]
            header = json.loads(data[8:8 + n])
            end = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
            assert 8 + n + end == len(data), f"{f} is {len(data)} bytes, header says {8 + n + end}"
    except Exception as e:
        bad.append(f"{name}: {e}")
print("; ".join(bad))
PY
}

start=$(date +%s.%N)
(train "$work/reference" "$work/reference.log")
ref_seconds=$(python3 -c "import time; print(round(time.time() - $start, 1))")
ref_hash=$(sha256sum "$work/reference/model/model.safetensors" | cut -d' ' -f1)
metrics "$work/reference/metrics.jsonl" >"$work/reference.losses"
[[ $(wc -l <"$work/reference.losses") -eq $steps ]] || { echo "reference metrics.jsonl does not hold $steps steps" >&2; exit 1; }
echo "reference: $steps steps in ${ref_seconds}s, weights sha256 ${ref_hash:0:16}, checkpoint every $interval steps, write delay ${delay} ms, load $(cut -d' ' -f1-3 /proc/loadavg)"

passed=0 in_write=0 kills=0 no_checkpoint=0
for trial in $(seq 1 "$trials"); do
  run="$work/trial-$trial"
  rm -rf "$run" "$run".*.log
  nkills=$(( trial % 3 == 0 ? 2 : 1 ))
  notes=()
  for k in $(seq 1 "$nkills"); do
    resume=() from=0
    if compgen -G "$run/checkpoints/step-*" >/dev/null; then
      resume=(--resume "$run")
      from=$(ls "$run/checkpoints" | grep '^step-' | tail -1 | sed 's/step-0*//')
    fi
    count_lines "$run/metrics.jsonl"; logged=$n
    low=$(( (logged > from ? logged : from) + 1 ))
    (( low <= steps - 1 )) || break
    # Kill once metrics.jsonl (flushed per step) holds step `at`, 0-600 ms later: often inside the checkpoint write that
    # follows the step. `at` lies beyond the lines a previous kill left, so a resume's cut of the file cannot trigger it.
    at=$(( low + RANDOM % (steps - low) ))
    extra_ms=$(( RANDOM % 600 ))
    log="$run.$k.log"
    train "$run" "$log" "${resume[@]}" &
    pid=$!
    while kill -0 "$pid" 2>/dev/null && { count_lines "$run/metrics.jsonl"; (( n < at )); }; do sleep 0.02; done
    sleep "$(printf '%d.%03d' $((extra_ms / 1000)) $((extra_ms % 1000)))"
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true   # SIGKILL of the dotnet process: no handler runs, nothing is flushed
      wait "$pid" 2>/dev/null || true
      if kill -0 "$pid" 2>/dev/null || pgrep -f -- "--out $run " >/dev/null; then echo "trial $trial: the killed run is still alive" >&2; exit 1; fi
      kills=$((kills + 1))
      tmp=$(compgen -G "$run/checkpoints/.tmp-*" || true)
      last=$(ls "$run/checkpoints" 2>/dev/null | grep '^step-' | tail -1 || true)
      count_lines "$run/metrics.jsonl"; done_steps=$n
      if [[ -n $tmp ]]; then in_write=$((in_write + 1)); where="inside the checkpoint write"; else where="outside checkpoint writes"; fi
      notes+=("kill ${extra_ms}ms after step $at was logged, $done_steps steps logged, $where (newest complete checkpoint: ${last:-none})")
      [[ -z $last ]] && no_checkpoint=$((no_checkpoint + 1))
      problems=$(check_checkpoints "$run")
      [[ -z $problems ]] || notes+=("HALF-WRITTEN CHECKPOINT VISIBLE: $problems")
    else
      wait "$pid" || true
      notes+=("finished before the kill after step $at")
    fi
  done
  # Resume until done (a run with no checkpoint yet starts over).
  resume=()
  compgen -G "$run/checkpoints/step-*" >/dev/null && resume=(--resume "$run")
  (train "$run" "$run.final.log" "${resume[@]}") || notes+=("resume failed: $(tail -2 "$run.final.log" | tr '\n' ' ')")
  hash=$(sha256sum "$run/model/model.safetensors" 2>/dev/null | cut -d' ' -f1 || echo none)
  metrics "$run/metrics.jsonl" >"$run.losses" 2>/dev/null || true
  if [[ $hash == "$ref_hash" ]] && cmp -s "$run.losses" "$work/reference.losses" && [[ ! " ${notes[*]} " =~ HALF-WRITTEN|failed ]]; then
    passed=$((passed + 1)); verdict=identical
  else
    verdict="MISMATCH (weights ${hash:0:16}, losses $(diff "$run.losses" "$work/reference.losses" | head -2 | tr '\n' ' '))"
  fi
  echo "trial $trial: ${notes[*]}; resumed: $verdict"
done
echo "summary: $passed/$trials trials identical to the uninterrupted run (weights sha256 and metrics.jsonl), $kills kills, $in_write inside a checkpoint write, $no_checkpoint before the first checkpoint; load $(cut -d' ' -f1-3 /proc/loadavg); work dir $work"
[[ $passed -eq $trials ]]
