#!/usr/bin/env node
// Fallback reference of bench/Tokenizer where Python `tokenizers` is missing: the same Rust library through its Node
// binding (npm package `tokenizers`). Same arguments and output lines as reference.py. Each encode is an awaited
// call (one at a time), which adds a small per-document overhead that the Python binding does not have.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { Tokenizer } = require('tokenizers');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

function build(dir, name) {
  if (name !== 'gpt2') return Tokenizer.fromFile(path.join(dir, name, 'tokenizer.json'));
  const vocab = JSON.parse(fs.readFileSync(path.join(dir, 'gpt2', 'encoder.json'), 'utf8'));
  const merges = fs.readFileSync(path.join(dir, 'gpt2', 'vocab.bpe'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#version'));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true };
  return Tokenizer.fromString(JSON.stringify({
    version: '1.0', truncation: null, padding: null,
    added_tokens: [{ id: vocab['<|endoftext|>'], content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null, pre_tokenizer: byteLevel, post_processor: byteLevel, decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges },
  }));
}

async function main() {
  const documents = fs.readFileSync(arg('--text'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const totalMb = documents.reduce((a, d) => a + Buffer.byteLength(d, 'utf8'), 0) / 1e6;
  const passes = Number(arg('--passes', '3'));
  const version = require('tokenizers/package.json').version;
  for (const name of arg('--names', 'qwen3,gpt2').split(',')) {
    const tok = build(arg('--tokenizers'), name);
    const options = { addSpecialTokens: false };
    const sha = crypto.createHash('sha256');
    let count = 0;
    let start = process.hrtime.bigint();
    const all = [];
    for (const d of documents) all.push((await tok.encode(d, null, options)).getIds());
    const first = Number(process.hrtime.bigint() - start) / 1e9;
    for (const ids of all) { count += ids.length; sha.update(Buffer.from(Uint32Array.from(ids).buffer)); }
    const seconds = [];
    for (let p = 0; p < passes; p++) {
      start = process.hrtime.bigint();
      for (const d of documents) await tok.encode(d, null, options);
      seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    const sorted = [...seconds].sort((a, b) => a - b);
    console.log(`HF ${name}: first pass ${(totalMb / first).toFixed(2)} MB/s, passes ${seconds.map((s) => (totalMb / s).toFixed(2)).join(', ')} MB/s, ${count} tokens`);
    console.log(JSON.stringify({ name, mb_per_s: totalMb / sorted[Math.floor(sorted.length / 2)], first_pass_mb_per_s: totalMb / first,
      tokens: count, sha256: sha.digest('hex'), generator: `node tokenizers ${version} (Rust core through the Node binding), Node ${process.version}` }));
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
