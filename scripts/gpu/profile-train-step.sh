#!/usr/bin/env bash
# Run ON THE GPU MACHINE (device tool, repo root): kernel-level profiles (Chrome traces) of bench/GpuTrainStep's
# GPT-2 124M B16 T1024 step, ours against PyTorch eager and torch.compile, and their per-category summary.
#   here:    CARRY_ROOT=<checkout the device tool sends> CARRY_DIR=.device-carry-profile bash scripts/gpu/prepare-gpu-train-step.sh
#   device:  carry [".device-carry-profile"], command: CARRY=.device-carry-profile bash .device-carry-profile/profile-train-step.sh
# The PyTorch sides run while the shim builds (CPU) to save device time. Each side: WARMUP untimed steps (compilation
# included), then STEPS steps under the profiler (Kineto: TorchProfiler on our side, torch.profiler on PyTorch's).
# $OUT gets: summary.txt (bench/GpuTrainStep/profile_summary.py), summary.json, results.jsonl (the profiled steps'
# tokens/s: the profiler's overhead included), run.log, native-build.log, traces.tar (gzipped Chrome traces): with the
# two qwen files below, 8 files (the device tool returns at most 8).
# QWEN=1 (default) then, while time is left (DEADLINE seconds since the start, default 290; each run is cut at it): the
# Qwen2.5-0.5B-shaped row of GpuTrainStep, not profiled: the folder written by bench/PretrainedTrain/reference.py (random
# weights, the real config) on the CPU while the GPT sides run; ours (fp32 weights, bf16 autocast), PyTorch eager and
# compiled (transformers' Qwen2ForCausalLM, fp32 weights, bf16 autocast, sdpa), B=QWEN_BATCH (4) T=2048,
# QWEN_WARMUP (3) + QWEN_STEPS (5) steps -> qwen-results.jsonl and qwen-summary.txt (compare.py: tok/s, peak, MFU).
set -uo pipefail
carry=${CARRY:-.device-carry-profile}
out=${OUT:-$carry/out}
mkdir -p "$out"
warmup=${WARMUP:-5}
steps=${STEPS:-3}
model=${MODEL:-gpt2-124m}
batch=${BATCH:-16}
# ours = default precision (CUDA: bf16 with float32 masters) and head (automatic chunking); ours-bf16-autocast; ours-unchunked = HeadChunkRows 0 (the whole
# (N, V) logits at once: the configuration of the 0.74x figure); ours-bf16 = pure bf16 weights.
ours_sides=${OURS_SIDES:-ours ours-unchunked ours-bf16}
py_sides=${PY_SIDES-pytorch-compiled pytorch-eager}   # PY_SIDES="" runs none
traces=/tmp/traces
mkdir -p "$traces"
exec > >(tee "$out/run.log") 2>&1
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda)'; }
t0=$SECONDS
mkdir -p /tmp/dn /tmp/bench
tar xJf "$carry/dotnet-rt.tar.xz" -C /tmp/dn && tar xJf "$carry/bench.tar.xz" -C /tmp/bench
export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 PYTHONUNBUFFERED=1
TP=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
TL=$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')/lib
native=${NATIVE_SRC:-$carry/Native}
nb=${NATIVE_PREBUILT:-/tmp/nb}   # NATIVE_PREBUILT: a shim build folder to reuse (run-all.sh's profile part), no build here
build=
if [ -z "${NATIVE_PREBUILT:-}" ]; then
  ( cmake -S "$native" -B "$nb" -DCMAKE_PREFIX_PATH="$TP" -DCMAKE_BUILD_TYPE=Release -DMSFT_WITH_NCCL=OFF \
      && cmake --build "$nb" -j"${NATIVE_JOBS:-12}" ) > "$out/native-build.log" 2>&1 &
  build=$!
fi
# MODEL=qwen2.5-0.5b profiles the pretrained shape: its folder (random weights, the real config) is written first.
model_args=(); ref_args=()
case $model in
  qwen*)
    OMP_NUM_THREADS=4 python3 "$carry/pretrained_reference.py" write --shape "$model" --out "/tmp/$model" > /tmp/model-write.log 2>&1 \
      || { echo "writing the $model folder failed:"; tail -5 /tmp/model-write.log; exit 1; }
    model_args=(--pretrained "/tmp/$model"); ref_args=(--hf "/tmp/$model") ;;
esac
qwen=${QWEN:-1}
deadline=${DEADLINE:-290}
results="$out/results.jsonl"; : > "$results"
ref=/tmp/bench/reference.py
# Compiled first (its compilation overlaps the shim's build); the native build is waited for before the next side, so
# the profiled steps of the others run on a quiet host (the qwen folder writer then takes 4 threads of 16).
for side in $py_sides; do
  echo "== $side ($((SECONDS - t0)) s)"
  python3 "$ref" --model "$model" --batch "$batch" --warmup "$warmup" --steps "$steps" --json "$results" \
    --mode "${side#pytorch-}" --profile "$traces/$side.json" "${ref_args[@]}" 2>&1 | grep -v "^W[0-9]" | tail -5
  if [ -n "${build:-}" ]; then
    echo "== waiting for the native build ($((SECONDS - t0)) s)"
    if ! wait "$build"; then grep -E "error|Error" "$out/native-build.log" | head -30; echo "native build failed"; fi
    build=
    if [ "$qwen" = 1 ]; then
      OMP_NUM_THREADS=4 python3 "$carry/pretrained_reference.py" write --shape qwen2.5-0.5b --out /tmp/qwen2.5-0.5b > /tmp/qwen-write.log 2>&1 &
      writer=$!
    fi
  fi
done
if [ -n "${build:-}" ]; then   # no PyTorch side waited for it
  wait "$build" || { grep -E "error|Error" "$out/native-build.log" | head -30; echo "native build failed"; }
fi
export MASKEDSFT_NATIVE_LIB=$nb/libMaskedSftNative.so LD_LIBRARY_PATH="$nb:$TL:${LD_LIBRARY_PATH:-}"
bench=(dotnet /tmp/bench/GpuTrainStep.dll --model "$model" --batch "$batch" --warmup "$warmup" --steps "$steps" --json "$results" "${model_args[@]}")
for side in $ours_sides; do
  echo "== $side ($((SECONDS - t0)) s)"
  case $side in
    ours) extra=() ;;
    ours-bf16-autocast) extra=(--precision bf16-autocast) ;;
    ours-unchunked) extra=(--head-chunk-rows 0) ;;
    ours-bf16) extra=(--precision bf16) ;;
    ours-checkpointing) extra=(--checkpointing) ;;
    *) echo "unknown side $side"; continue ;;
  esac
  [ -f "$nb/libMaskedSftNative.so" ] && "${bench[@]}" --label "$side" --profile "$traces/$side.json" "${extra[@]}" 2>&1 | tail -5
done
echo "== summary ($((SECONDS - t0)) s)"
args=()
for side in $ours_sides pytorch-eager pytorch-compiled; do [ -s "$traces/$side.json" ] && args+=("$side=$traces/$side.json"); done
python3 /tmp/bench/profile_summary.py --steps "$steps" --json "$out/summary.json" "${args[@]}" | tee "$out/summary.txt"
( cd "$traces" && gzip -f -- *.json && tar cf "$out/traces.tar" -- *.json.gz && ls -la "$traces" )
# at most 16 MiB a file comes back: keep the traces only if they fit
[ "$(stat -c %s "$out/traces.tar")" -gt 16000000 ] && rm -f "$out/traces.tar" && echo "traces.tar over 16 MB: not kept"
if [ "$qwen" = 1 ]; then
  wait "${writer:-}" || { echo "writing the qwen folder failed:"; tail -5 /tmp/qwen-write.log; }
  qres="$out/qwen-results.jsonl"; : > "$qres"
  qb=${QWEN_BATCH:-4}; qw=${QWEN_WARMUP:-3}; qs=${QWEN_STEPS:-5}
  for side in ${QWEN_SIDES:-ours pytorch-eager pytorch-compiled}; do
    left=$((deadline - (SECONDS - t0)))
    echo "== qwen2.5-0.5b B$qb T2048 $side ($((SECONDS - t0)) s, $left s left)"
    case $side in pytorch-compiled) need=110 ;; *) need=35 ;; esac   # compilation alone takes about a minute
    [ "$left" -gt "$need" ] || { echo "less than $need s left: skipped"; continue; }
    case $side in
      ours) timeout "$left" dotnet /tmp/bench/GpuTrainStep.dll --model qwen2.5-0.5b --pretrained /tmp/qwen2.5-0.5b --batch "$qb" \
              --warmup "$qw" --steps "$qs" --json "$qres" --label ours 2>&1 | tail -3 ;;
      pytorch-*) timeout "$left" python3 "$ref" --model qwen2.5-0.5b --hf /tmp/qwen2.5-0.5b --batch "$qb" --warmup "$qw" \
              --steps "$qs" --json "$qres" --mode "${side#pytorch-}" 2>&1 | grep -v "^W[0-9]" | tail -3 ;;
    esac
  done
  [ -s "$qres" ] && python3 /tmp/bench/compare.py "$qres" | tee "$out/qwen-summary.txt"
fi
echo "== done ($((SECONDS - t0)) s)"
