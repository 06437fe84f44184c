#!/usr/bin/env node
// Reference ids for the tokenizer parity tests from Hugging Face `tokenizers` through its Node binding (the npm package
// `tokenizers`, which ships the same Rust library as the Python package). Same inputs, same output format as
// tokenizer_parity_reference.py; use it where Python `tokenizers` cannot be installed.
//   npm install --prefix .cache/npm-hf tokenizers@0.23.2
//   NODE_PATH=.cache/npm-hf/node_modules node scripts/reference/tokenizer_parity_reference_node.js [--out PATH]
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { Tokenizer } = require('tokenizers');

async function main() {
  const repo = path.resolve(__dirname, '..', '..');
  const fixtures = path.join(repo, 'test', 'MaskedSft.MLNet.Tests', 'Fixtures', 'Tokenizers');
  const outIndex = process.argv.indexOf('--out');
  const out = outIndex > 0 ? process.argv[outIndex + 1] : path.join(fixtures, 'parity_ids.json');
  const tokDir = path.join(repo, '.cache', 'tokenizers');
  const corpusBytes = fs.readFileSync(path.join(fixtures, 'parity_corpus.json'));
  const strings = JSON.parse(corpusBytes.toString('utf8')).strings;

  const built = {};
  built.qwen3 = Tokenizer.fromFile(path.join(tokDir, 'qwen3', 'tokenizer.json'));
  // GPT-2 as Python's ByteLevelBPETokenizer(encoder.json, vocab.bpe, add_prefix_space=False) builds it.
  const vocab = JSON.parse(fs.readFileSync(path.join(tokDir, 'gpt2', 'encoder.json'), 'utf8'));
  const merges = fs.readFileSync(path.join(tokDir, 'gpt2', 'vocab.bpe'), 'utf8').split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('#version'));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true };
  built.gpt2 = Tokenizer.fromString(JSON.stringify({
    version: '1.0', truncation: null, padding: null,
    added_tokens: [{ id: vocab['<|endoftext|>'], content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false,
      normalized: false, special: true }],
    normalizer: null, pre_tokenizer: byteLevel, post_processor: byteLevel, decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, vocab, merges },
  }));
  const llama = path.join(tokDir, 'llama3', 'tokenizer.json');
  if (fs.existsSync(llama)) built.llama3 = Tokenizer.fromFile(llama);

  const version = require('tokenizers/package.json').version;
  const result = {
    generator: `node tokenizers ${version} (scripts/reference/tokenizer_parity_reference_node.js)`,
    corpus_sha256: crypto.createHash('sha256').update(corpusBytes).digest('hex'),
    tokenizers: {},
  };
  for (const [name, tok] of Object.entries(built)) {
    const ids = [];
    const decoded = [];
    const pieces = [];
    const normalizer = tok.getNormalizer();
    const preTokenizer = tok.getPreTokenizer();
    for (const s of strings) {
      const enc = await tok.encode(s, null, { addSpecialTokens: false });
      ids.push(enc.getIds());
      decoded.push(await tok.decode(enc.getIds(), false));
      // Pre-token lengths in UTF-8 bytes (the byte-level pieces' lengths), as the Python script records them.
      const text = normalizer ? normalizer.normalizeString(s) : s;
      pieces.push(preTokenizer.preTokenizeString(text).map(([piece]) => [...piece].length));
    }
    result.tokenizers[name] = { ids, decoded, piece_bytes: pieces };
    console.log(`${name}: ${ids.reduce((a, x) => a + x.length, 0)} tokens for ${strings.length} strings`);
  }
  // Same layout as Python's json.dump(ensure_ascii=True, separators=(",", ":")).
  const json = JSON.stringify(result).replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  fs.writeFileSync(out, json + '\n');
  console.log(`wrote ${out}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
