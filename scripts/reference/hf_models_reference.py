#!/usr/bin/env python3
"""Tiny pretrained-format fixtures (issue 12): random Llama / Qwen2 / Qwen3 models, tokenizers and peft adapters written by
transformers' own classes, plus reference log-probs, greedy generations and tokenizer/chat-template ids.

Writes test/MaskedSft.MLNet.Tests/Fixtures/HfModels/<fixture>/ (see the README.md there). Run it where transformers 5.x,
peft, tokenizers and safetensors are installed (the GPU machine; everything here runs on its CPU, in fp32 for the
references):

    PYTHONUNBUFFERED=1 python3 scripts/reference/hf_models_reference.py [--out DIR]

Everything is seeded; the fixtures are committed, so CI never runs this. Each fixture is built in its own try block: a
failure prints a traceback, the other fixtures are still written, and the exit code is 1.

Fixtures
  llama-gqa-sharded           LlamaForCausalLM, GQA (4 heads, 2 KV heads), rope llama3, untied head, bf16 on disk, sharded
  llama-gqa-sharded-v4config  the same weights and tokenizer, config.json rewritten in transformers 4.x style
  llama-gqa-rslora            peft LoRA (rsLoRA, q_proj+v_proj, r=8) on llama-gqa-sharded
  llama-mqa-tied-linear       LlamaForCausalLM, MQA (1 KV head), rope linear x2, tied embeddings, fp32, Llama 3.2 template
  qwen2                       Qwen2ForCausalLM (q/k/v biases), tied embeddings, fp32, Qwen2.5-Instruct template
  qwen2-lora                  peft LoRA on qwen2, all seven projections, r=4, alpha=8, non-zero B
  qwen3                       Qwen3ForCausalLM (q/k norms, head_dim 32 != 64/4), untied, fp16 on disk, Qwen3 template

Tokenizers: byte-level BPE trained here with `tokenizers` on the built-in CORPUS (about 500 merged tokens). The Qwen
tokenizers use Qwen2's tokenizer.json pipeline (NFC, Split on Qwen2's regex, ByteLevel without regex, ByteLevel
post-processor and decoder); the Llama tokenizer uses Llama 3's (no normalizer, Split on Llama 3's regex with
\\p{N}{1,3}, ignore_merges, a TemplateProcessing post-processor that prepends <|begin_of_text|>). Special tokens come
after the BPE vocabulary, as in the real files. The chat templates are the real ones, read from
scripts/reference/chat_templates/*.jinja (SOURCES.md there says where each comes from).
"""
import argparse
import inspect
import json
import math
import os
import random
import shutil
import sys
import traceback

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "..", "test", "MaskedSft.MLNet.Tests", "Fixtures", "HfModels"))
SEED = 20240612
MAX_NEW_TOKENS = 16
LOGPROB_DIGITS = 7  # significant digits kept in the JSON

QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
               r"|\s+(?!\S)|\s+")
LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
                r"|\s+(?!\S)|\s+")

# The BPE training corpus: English prose, chat turns, code, numbers and some non-Latin text.
CORPUS = [
    "The quick brown fox jumps over the lazy dog. The dog sleeps in the sun, and the fox runs into the forest.",
    "Hello world! Hello there. How are you today? I am fine, thank you. What is your name? My name is Ada.",
    "You are a helpful assistant. You are terse. Answer the question of the user in one short sentence.",
    "system user assistant system user assistant: the user asks, the assistant answers, the system sets the rules.",
    "What is 2+2? 2+2 = 4. And 3*3? It is 9. What is 10 - 7? It is 3. Thanks! You're welcome. Don't mention it.",
    "Add two and two. Three threes make nine. Think step by step, then give the final answer.",
    "We'll see; they've gone; I'm here; you'd know; she's right; it's late; we're done; they'll come back.",
    "Machine learning models are trained on data. A language model predicts the next token from the previous tokens.",
    "Fine-tuning with a loss mask trains only on the answer tokens: the prompt tokens get no gradient at all.",
    "The weather is nice today. Tomorrow it will rain, and the day after it will be sunny and warm again.",
    "def add(a, b):\n    return a + b\n\n\ndef main():\n    print(add(2, 3))\n\n\nif __name__ == \"__main__\":\n    main()\n",
    "for (int i = 0; i < n; i++) {\n    sum += values[i];\n}\nreturn sum;\n",
    "public static int Square(int x) => x * x;\nvar list = new List<string> { \"a\", \"b\", \"c\" };\n",
    "{\"name\": \"Ada\", \"age\": 36, \"tags\": [\"math\", \"code\"], \"active\": true, \"score\": 3.14159}\n",
    "import torch\nx = torch.randn(4, 8)\ny = x @ x.T\nprint(y.shape)  # torch.Size([4, 4])\n",
    "SELECT name, count(*) FROM users WHERE age > 18 GROUP BY name ORDER BY 2 DESC;\n",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 42 100 256 1024 2024 12345 3.5 0.25 -7 1e-5",
    "Caf\u00e9, na\u00efve, r\u00e9sum\u00e9, \u00fcber, Stra\u00dfe, se\u00f1or, fa\u00e7ade, \u00e0 la carte, \u00c5ngstr\u00f6m.",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002\u4e2d\u6587\u6587\u672c\u3002\ud55c\uad6d\uc5b4 "
    "\ud14d\uc2a4\ud2b8.",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 "
    "\u03ba\u03cc\u03c3\u03bc\u03b5! \u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "Emoji: \U0001F642 \U0001F44D \U0001F680 \u2764\ufe0f \u2713 \u2192 \u2014 \u2026 \u00ab quotes \u00bb",
    "  two leading spaces\n\n\ttabbed line\r\nwindows line end\n    indented code block\n",
    "Once upon a time there was a small model. It learned to count: one, two, three, four, five, six, seven.",
    "Questions and answers: Where is Paris? Paris is in France. Who wrote Hamlet? Shakespeare wrote Hamlet.",
]

CHAT = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Hi! What is 2+2?"},
    {"role": "assistant", "content": "2+2 = 4."},
    {"role": "user", "content": "And 3*3?"},
    {"role": "assistant", "content": "It is 9."},
]
THINK_CHAT = [
    {"role": "user", "content": "What is 2+2?"},
    {"role": "assistant", "content": "<think>\nAdd two and two.\n</think>\n\n2+2 = 4."},
    {"role": "user", "content": "And 3*3?"},
    {"role": "assistant", "content": "<think>\nThree threes.\n</think>\n\nIt is 9."},
]
TEXTS = [
    "Hello world! The quick brown fox jumps over the lazy dog.",
    "def add(a, b):\n    return a + b  # sum\n",
    "Numbers: 12345 and 3.14159, year 2024.",
    "Unicode: caf\u00e9 na\u00efve \u00dcn\u00efc\u00f6d\u00e9 \u2014 \u65e5\u672c\u8a9e \U0001F642\U0001F44D",
    "Decomposed e\u0301 vs composed \u00e9 (NFC).",
    "  leading spaces\n\n\ttabs and\r\nnewlines  ",
    "<think>\nreasoning\n</think>\n\nanswer",
]
LLAMA32_DATE = "26 Jul 2024"  # passed as date_string so the Llama 3.2 template does not call strftime_now


# ----------------------------------------------------------------------------------------------------------------------
# small helpers

def r7(x):
    return float(f"{float(x):.{LOGPROB_DIGITS}g}")


def dumps(obj, indent=0):
    """JSON with dicts indented and lists of scalars on one line (small and readable)."""
    sp = "  " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{sp}  {json.dumps(str(k), ensure_ascii=False)}: {dumps(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + sp + "}"
    if isinstance(obj, (list, tuple)):
        if all(not isinstance(x, (dict, list, tuple)) for x in obj):
            return json.dumps(list(obj), ensure_ascii=False)
        items = [f"{sp}  {dumps(x, indent + 1)}" for x in obj]
        return "[\n" + ",\n".join(items) + "\n" + sp + "]"
    return json.dumps(obj, ensure_ascii=False)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(dumps(obj) + "\n")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def versions():
    import peft
    import safetensors
    import tokenizers
    import transformers
    return {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
            "tokenizers": tokenizers.__version__, "safetensors": safetensors.__version__,
            "python": sys.version.split()[0]}


def transformers_major():
    import transformers
    return int(transformers.__version__.split(".")[0])


def read_template(name):
    with open(os.path.join(HERE, "chat_templates", name), encoding="utf-8", newline="") as f:
        return f.read()


def files_with_sizes(folder):
    return {name: os.path.getsize(os.path.join(folder, name)) for name in sorted(os.listdir(folder))
            if os.path.isfile(os.path.join(folder, name))}


WARNINGS = []


def warn(msg):
    WARNINGS.append(msg)
    print("WARNING:", msg)


# ----------------------------------------------------------------------------------------------------------------------
# tokenizers

def family_spec(family):
    """The special tokens (content, special?) in id order after the BPE vocabulary, and the tokenizer.json pipeline."""
    if family == "llama":
        added = [("<|begin_of_text|>", True), ("<|end_of_text|>", True), ("<|reserved_special_token_0|>", True),
                 ("<|reserved_special_token_1|>", True), ("<|finetune_right_pad_id|>", True),
                 ("<|reserved_special_token_2|>", True), ("<|start_header_id|>", True), ("<|end_header_id|>", True),
                 ("<|eom_id|>", True), ("<|eot_id|>", True)]
        return {"regex": LLAMA3_REGEX, "nfc": False, "added": added, "bpe_size": 502}
    added = [("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True), ("<tool_call>", False),
             ("</tool_call>", False)]
    if family == "qwen3":
        added += [("<think>", False), ("</think>", False)]
    return {"regex": QWEN2_REGEX, "nfc": True, "added": added, "bpe_size": 500}


def build_raw_tokenizer(family):
    """Trains the byte-level BPE and returns a tokenizers.Tokenizer whose JSON mirrors the real family's tokenizer.json."""
    from tokenizers import AddedToken, Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers
    spec = family_spec(family)
    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    if spec["nfc"]:
        tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(spec["regex"]), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    trainer = trainers.BpeTrainer(vocab_size=spec["bpe_size"], min_frequency=1, show_progress=False, special_tokens=[],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer=trainer)
    bpe_vocab = tok.get_vocab_size(with_added_tokens=False)

    d = json.loads(tok.to_str())
    split = {"type": "Split", "pattern": {"Regex": spec["regex"]}, "behavior": "Isolated", "invert": False}
    if family == "llama":
        d["normalizer"] = None
        d["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
            split, {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
        d["decoder"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
        d["model"]["ignore_merges"] = True
    else:
        d["normalizer"] = {"type": "NFC"}
        d["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
            split, {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}
        d["post_processor"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
        d["decoder"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    d["added_tokens"] = []
    tok = Tokenizer.from_str(json.dumps(d))
    for content, special in spec["added"]:
        at = AddedToken(content, single_word=False, lstrip=False, rstrip=False, normalized=False, special=special)
        if special:
            tok.add_special_tokens([at])
        else:
            tok.add_tokens([at])
    if family == "llama":
        bos = tok.token_to_id("<|begin_of_text|>")
        d = json.loads(tok.to_str())
        bos_tok = {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}
        d["post_processor"] = {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            {"type": "TemplateProcessing",
             "single": [bos_tok, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [bos_tok, {"Sequence": {"id": "A", "type_id": 0}},
                      {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [bos],
                                                      "tokens": ["<|begin_of_text|>"]}}}]}
        tok = Tokenizer.from_str(json.dumps(d))
    for i, (content, _) in enumerate(spec["added"]):
        assert tok.token_to_id(content) == bpe_vocab + i, (content, tok.token_to_id(content), bpe_vocab + i)
    return tok, bpe_vocab


TOKENIZER_SETTINGS = {
    # family: tokenizer_config.json values (as in the real files of the family)
    "llama": {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>",
              "pad_token": "<|finetune_right_pad_id|>", "clean_up_tokenization_spaces": True,
              "model_max_length": 131072},
    "qwen2": {"tokenizer_class": "Qwen2Tokenizer", "bos_token": None, "eos_token": "<|im_end|>",
              "pad_token": "<|endoftext|>", "clean_up_tokenization_spaces": False, "model_max_length": 131072,
              "add_bos_token": False, "add_prefix_space": False, "errors": "replace", "split_special_tokens": False,
              "unk_token": None},
}
TOKENIZER_SETTINGS["qwen3"] = dict(TOKENIZER_SETTINGS["qwen2"])


def added_tokens_decoder(raw):
    d = json.loads(raw.to_str())
    return {str(a["id"]): {"content": a["content"], "lstrip": a["lstrip"], "normalized": a["normalized"],
                           "rstrip": a["rstrip"], "single_word": a["single_word"], "special": a["special"]}
            for a in d["added_tokens"]}


def save_tokenizer(raw, family, template, folder):
    """Saves through transformers' PreTrainedTokenizerFast.save_pretrained, then makes tokenizer_config.json look like
    the family's real one (chat_template inside, tokenizer_class, special tokens, added_tokens_decoder) and checks that
    AutoTokenizer reads back the same tokenizer."""
    try:
        from transformers import PreTrainedTokenizerFast
    except ImportError:  # transformers 5 renamed it; the old name is normally kept as an alias
        from transformers import TokenizersBackend as PreTrainedTokenizerFast
    s = TOKENIZER_SETTINGS[family]
    fast = PreTrainedTokenizerFast(tokenizer_object=raw, bos_token=s["bos_token"], eos_token=s["eos_token"],
                                   pad_token=s["pad_token"], model_max_length=s["model_max_length"],
                                   clean_up_tokenization_spaces=s["clean_up_tokenization_spaces"])
    fast.chat_template = template
    fast.save_pretrained(folder)

    tc_path = os.path.join(folder, "tokenizer_config.json")
    tc = read_json(tc_path)
    print(f"  save_pretrained wrote {sorted(os.listdir(folder))}; tokenizer_config keys {sorted(tc)}")
    jinja = os.path.join(folder, "chat_template.jinja")
    if os.path.exists(jinja):
        os.remove(jinja)  # transformers >= 4.5x writes the template beside; the real files of these families hold it inline
    for key in ("add_bos_token", "add_eos_token"):
        tc.pop(key, None)
    for key, value in s.items():
        tc[key] = value
    tc["added_tokens_decoder"] = added_tokens_decoder(raw)
    tc["chat_template"] = template
    write_json(tc_path, dict(sorted(tc.items())))

    tj_path = os.path.join(folder, "tokenizer.json")
    if json.loads(raw.to_str()) != read_json(tj_path):
        warn(f"{os.path.basename(folder)}: save_pretrained changed tokenizer.json; the trained tokenizer's JSON is kept")
    with open(tj_path, "w", encoding="utf-8", newline="\n") as f:
        f.write(raw.to_str(pretty=True))

    ok, why = check_hf_tokenizer(folder, raw, template)
    if not ok and tc["tokenizer_class"] != "PreTrainedTokenizerFast":
        warn(f"{os.path.basename(folder)}: AutoTokenizer with tokenizer_class={tc['tokenizer_class']} differs from the "
             f"trained tokenizer ({why}); writing tokenizer_class=PreTrainedTokenizerFast instead")
        tc["tokenizer_class"] = "PreTrainedTokenizerFast"
        write_json(tc_path, dict(sorted(tc.items())))
        ok, why = check_hf_tokenizer(folder, raw, template)
    if not ok:  # recorded; the references below are what transformers' AutoTokenizer gives
        warn(f"{os.path.basename(folder)}: transformers reads back a tokenizer that differs from the trained one: {why}")
    for name in os.listdir(folder):
        if name not in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "config.json",
                        "generation_config.json") and not name.endswith((".safetensors", ".json")):
            print(f"  note: tokenizer save also wrote {name}")
    return ok


def check_hf_tokenizer(folder, raw, template):
    from transformers import AutoTokenizer
    try:
        tok = AutoTokenizer.from_pretrained(folder)
    except Exception as e:  # noqa: BLE001 - the caller falls back to another tokenizer_class
        traceback.print_exc()
        return False, f"AutoTokenizer failed: {type(e).__name__}: {e}"
    if tok.chat_template != template:
        return False, "chat_template differs"
    for text in TEXTS + CORPUS[:4]:
        a = tok.encode(text, add_special_tokens=False)
        b = raw.encode(text, add_special_tokens=False).ids
        if a != b:
            return False, f"ids of {text!r}: {a} vs {b}"
        a = tok(text)["input_ids"]
        b = raw.encode(text).ids
        if a != b:
            return False, f"ids with special tokens of {text!r}: {a} vs {b}"
    return True, ""


# ----------------------------------------------------------------------------------------------------------------------
# models

def make_config(kind, rope, **kw):
    """rope: {"rope_type", "rope_theta", ...}; transformers 5 takes rope_parameters, 4.x rope_theta + rope_scaling."""
    from transformers import LlamaConfig, Qwen2Config, Qwen3Config
    cls = {"llama": LlamaConfig, "qwen2": Qwen2Config, "qwen3": Qwen3Config}[kind]
    if transformers_major() >= 5:
        rope_kw = {"rope_parameters": dict(rope)}
    else:
        scaling = {k: v for k, v in rope.items() if k != "rope_theta"}
        rope_kw = {"rope_theta": rope["rope_theta"],
                   "rope_scaling": None if scaling["rope_type"] == "default" else scaling}
    try:
        return cls(**rope_kw, **kw)
    except TypeError:
        known = set(getattr(cls, "__dataclass_fields__", {})) or set(inspect.signature(cls.__init__).parameters)
        dropped = sorted(k for k in kw if k not in known)
        if not dropped:
            raise
        warn(f"{cls.__name__} does not take {dropped}; left out")
        return cls(**rope_kw, **{k: v for k, v in kw.items() if k in known})


def init_weights(model, seed, tokenizer_size, tied):
    """Weights that matter: linear N(0, 1/in), norms 1 +- 0.2, biases N(0, 0.1), embeddings and head scaled so the logits
    have a std of about 2.4; rows past the tokenizer (vocab padding) are zero."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():  # shared (tied) parameters come once
            if p.dim() == 1 and "norm" in name:
                v = 1.0 + 0.4 * (torch.rand(p.shape, generator=g, dtype=torch.float64) - 0.5)
            elif name.endswith(".bias"):
                v = 0.1 * torch.randn(p.shape, generator=g, dtype=torch.float64)
            elif "embed_tokens" in name or "lm_head" in name:
                std = 0.3 if (tied or "lm_head" in name) else 1.0
                v = std * torch.randn(p.shape, generator=g, dtype=torch.float64)
                v[tokenizer_size:] = 0.0
            elif p.dim() == 2:
                v = torch.randn(p.shape, generator=g, dtype=torch.float64) / math.sqrt(p.shape[1])
            else:
                raise RuntimeError(f"unexpected parameter {name} {tuple(p.shape)}")
            p.copy_(v.to(p.dtype))
    head, emb = model.lm_head.weight, model.get_input_embeddings().weight
    if tied and head.data_ptr() != emb.data_ptr():
        model.tie_weights()
    if tied != (model.lm_head.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()):
        raise RuntimeError(f"tie_word_embeddings={tied} but lm_head/embed_tokens sharing says otherwise")


def save_generation_config(folder, bos, eos, pad):
    from transformers import GenerationConfig
    GenerationConfig(bos_token_id=bos, eos_token_id=eos, pad_token_id=pad).save_pretrained(folder)


def manual_shard(folder, shards):
    """Fallback if save_pretrained wrote one file despite max_shard_size: split model.safetensors into an HF index."""
    from safetensors.torch import load_file, save_file
    single = os.path.join(folder, "model.safetensors")
    tensors = load_file(single)
    names = sorted(tensors)
    groups = [names[i::shards] for i in range(shards)]
    weight_map, total = {}, 0
    for i, group in enumerate(groups):
        fname = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        save_file({n: tensors[n].contiguous() for n in group}, os.path.join(folder, fname), metadata={"format": "pt"})
        for n in group:
            weight_map[n] = fname
            total += tensors[n].numel() * tensors[n].element_size()
    write_json(os.path.join(folder, "model.safetensors.index.json"),
               {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))})
    os.remove(single)


def build_model(folder, kind, cfg_kw, rope, save_dtype, tokenizer_size, seed, shard_size=None):
    from transformers import LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM
    cls = {"llama": LlamaForCausalLM, "qwen2": Qwen2ForCausalLM, "qwen3": Qwen3ForCausalLM}[kind]
    torch.manual_seed(seed)
    config = make_config(kind, rope, **cfg_kw)
    model = cls(config)
    init_weights(model, seed, tokenizer_size, cfg_kw["tie_word_embeddings"])
    model = model.to(save_dtype)
    try:
        model.save_pretrained(folder, **({"max_shard_size": shard_size} if shard_size else {}))
    except TypeError:  # a version without max_shard_size: one file, sharded by hand below
        traceback.print_exc()
        model.save_pretrained(folder)
    cfg_path = os.path.join(folder, "config.json")
    cfg = read_json(cfg_path)
    dtype_name = str(save_dtype).replace("torch.", "")
    key = "dtype" if transformers_major() >= 5 else "torch_dtype"
    if cfg.get(key) != dtype_name:
        warn(f"{os.path.basename(folder)}: config.json {key}={cfg.get(key)!r}, set to {dtype_name!r}")
        cfg[key] = dtype_name
        write_json(cfg_path, cfg)
    if shard_size:
        shards = [n for n in os.listdir(folder) if n.startswith("model-") and n.endswith(".safetensors")]
        if len(shards) < 2:
            warn(f"{os.path.basename(folder)}: save_pretrained wrote {len(shards)} shard(s); sharding by hand")
            manual_shard(folder, 3)


def load_model(folder, adapter=None):
    from transformers import AutoModelForCausalLM
    try:
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager")
    except TypeError:
        model = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32, attn_implementation="eager")
    if adapter:
        from peft import PeftModel
        model = PeftModel.from_pretrained(model, adapter)
    model.eval()
    for p in model.parameters():
        if p.dtype != torch.float32:
            raise RuntimeError(f"{folder}: a parameter loaded as {p.dtype}, expected float32")
    return model


# ----------------------------------------------------------------------------------------------------------------------
# references

@torch.no_grad()
def logprobs(model, ids):
    x = torch.tensor([ids], dtype=torch.long)
    logits = model(input_ids=x).logits[0].double()  # (T, V), computed in fp32, log_softmax in fp64
    lp = torch.log_softmax(logits, dim=-1)
    return lp[:-1].gather(1, x[0, 1:].unsqueeze(1)).squeeze(1).tolist()


@torch.no_grad()
def greedy(model, prompts, pad_id, eos_ids, max_new=MAX_NEW_TOKENS):
    """Greedy decoding without a cache (full forward each step), prompts left-padded with pad_id, position ids counted
    over the attention mask (as transformers' generate does). Returns per prompt the new ids (up to and including the
    first eos) and the smallest top-1 minus top-2 logit margin over the steps taken."""
    width = max(len(p) for p in prompts)
    ids = [[pad_id] * (width - len(p)) + list(p) for p in prompts]
    mask = [[0] * (width - len(p)) + [1] * len(p) for p in prompts]
    new = [[] for _ in prompts]
    margin = [math.inf for _ in prompts]
    done = [False for _ in prompts]
    for _ in range(max_new):
        x = torch.tensor(ids, dtype=torch.long)
        am = torch.tensor(mask, dtype=torch.long)
        pos = (am.cumsum(-1) - 1).masked_fill(am == 0, 1)
        logits = model(input_ids=x, attention_mask=am, position_ids=pos).logits[:, -1, :].float()
        top = torch.topk(logits, 2, dim=-1)
        for b in range(len(prompts)):
            if done[b]:
                nxt = pad_id
            else:
                nxt = int(top.indices[b, 0])
                new[b].append(nxt)
                margin[b] = min(margin[b], float(top.values[b, 0] - top.values[b, 1]))
                done[b] = nxt in eos_ids
            ids[b].append(nxt)
            mask[b].append(1)
        if all(done):
            break
    return new, [r7(m) for m in margin]


@torch.no_grad()
def hf_generate(model, prompts, pad_id, eos_ids, max_new=MAX_NEW_TOKENS):
    """The same with transformers' generate (greedy, KV cache); new ids cut after the first eos."""
    width = max(len(p) for p in prompts)
    x = torch.tensor([[pad_id] * (width - len(p)) + list(p) for p in prompts], dtype=torch.long)
    am = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], dtype=torch.long)
    out = model.generate(input_ids=x, attention_mask=am, max_new_tokens=max_new, do_sample=False,
                         eos_token_id=list(eos_ids), pad_token_id=pad_id, num_beams=1)
    result = []
    for row in out[:, width:].tolist():
        cut = []
        for t in row:
            cut.append(t)
            if t in eos_ids:
                break
        result.append(cut)
    return result


def find_eos_prompt(model, rng, regular_vocab, pad_id, eos_ids, tries=256, length=6):
    """A random prompt whose greedy continuation hits eos within MAX_NEW_TOKENS with a clear margin, if one exists."""
    prompts = [[rng.randrange(regular_vocab) for _ in range(length)] for _ in range(tries)]
    new, margins = greedy(model, prompts, pad_id, eos_ids)
    best = None
    for p, n, m in zip(prompts, new, margins):
        if n and n[-1] in eos_ids and m > 1e-3 and (best is None or len(n) < len(best[1])):
            best = (p, n, m)
    return best[0] if best else None


def tok_ids(result):
    """apply_chat_template(tokenize=True) returns a list, a list of lists or a BatchEncoding depending on the version."""
    if hasattr(result, "keys") and "input_ids" in result:
        result = result["input_ids"]
    if hasattr(result, "tolist"):
        result = result.tolist()
    if result and isinstance(result[0], list):
        result = result[0]
    return [int(t) for t in result]


def chat_cases(family):
    cases = [("multi_turn_full", CHAT, {"add_generation_prompt": False}),
             ("multi_turn_prompt", CHAT[:-1], {"add_generation_prompt": True}),
             ("first_turn_no_system", CHAT[1:3], {"add_generation_prompt": False})]
    if family == "llama":  # Llama 3's original template appends the assistant header even without the flag
        cases.append(("multi_turn_prompt_flag_off", CHAT[:-1], {"add_generation_prompt": False}))
    if family == "qwen3":
        cases += [("prompt_thinking_disabled", CHAT[:-1], {"add_generation_prompt": True, "enable_thinking": False}),
                  ("prompt_thinking_enabled", CHAT[:-1], {"add_generation_prompt": True, "enable_thinking": True}),
                  ("think_history", THINK_CHAT, {"add_generation_prompt": False}),
                  ("think_history_prompt", THINK_CHAT[:-1], {"add_generation_prompt": True})]
    return cases


def tokenizer_reference(folder, family, raw, template_file, extra_kwargs):
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(folder)
    tc = read_json(os.path.join(folder, "tokenizer_config.json"))
    ref = {
        "tokenizer_class": tc.get("tokenizer_class"),
        "transformers_matches_tokenizers_library": check_hf_tokenizer(folder, raw, read_template(template_file))[0],
        "chat_template_file": "scripts/reference/chat_templates/" + template_file,
        "size": len(tok),
        "bpe_vocab_size": raw.get_vocab_size(with_added_tokens=False),
        "bos_token": tc.get("bos_token"), "eos_token": tc.get("eos_token"), "pad_token": tc.get("pad_token"),
        "bos_token_id": tok.bos_token_id, "eos_token_id": tok.eos_token_id, "pad_token_id": tok.pad_token_id,
        "added_tokens": {a["content"]: int(i) for i, a in tc["added_tokens_decoder"].items()},
        "texts": [],
        "chat": [],
    }
    special_text = "a<|im_end|>b" if family != "llama" else "a<|eot_id|>b"
    for text in TEXTS + [special_text]:
        ids = tok.encode(text, add_special_tokens=False)
        ref["texts"].append({"text": text, "ids": ids, "ids_with_special_tokens": tok(text)["input_ids"],
                             "decoded": tok.decode(ids), "decoded_skip_special": tok.decode(ids, skip_special_tokens=True)})
    for name, messages, kwargs in chat_cases(family):
        kw = dict(kwargs, **extra_kwargs)
        text = tok.apply_chat_template(messages, tokenize=False, **kw)
        ids = tok_ids(tok.apply_chat_template(messages, tokenize=True, **kw))
        if ids != tok.encode(text, add_special_tokens=False):
            warn(f"{os.path.basename(folder)} chat {name}: tokenize=True ids differ from encoding the rendered text")
        ref["chat"].append({"name": name, "messages": messages, "kwargs": kw, "text": text, "ids": ids})
    if "{% generation %}" in tok.chat_template or "{%- generation %}" in tok.chat_template:
        ref["assistant_tokens_mask"] = "see chat[].assistant_masks"
        for case, (name, messages, kwargs) in zip(ref["chat"], chat_cases(family)):
            out = tok.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True,
                                          **dict(kwargs, **extra_kwargs))
            case["assistant_masks"] = tok_ids(out["assistant_masks"])
    else:
        ref["assistant_tokens_mask"] = None  # the real template has no {% generation %} markers
    return tok, ref


def sequences_for(tok, family, raw, extra_kwargs, seed):
    rng = random.Random(seed)
    regular = raw.get_vocab_size(with_added_tokens=False)
    chat_ids = tok_ids(tok.apply_chat_template(CHAT[:3], tokenize=True, add_generation_prompt=False, **extra_kwargs))
    return [
        {"name": "random_ids", "ids": [rng.randrange(regular) for _ in range(16)]},
        {"name": "code_text", "ids": tok("def add(a, b):\n    return a + b\n\nprint(add(2, 3))")["input_ids"][:40]},
        {"name": "chat", "ids": chat_ids},
        {"name": "unicode_text", "ids": tok("Caf\u00e9 na\u00efve \u2014 \u65e5\u672c\u8a9e \U0001F642 e\u0301!")["input_ids"][:40]},
    ]


def generation_prompts(tok, extra_kwargs):
    chat_prompt = tok_ids(tok.apply_chat_template(CHAT[1:2], tokenize=True, add_generation_prompt=True, **extra_kwargs))
    return [{"name": "chat_prompt", "ids": chat_prompt},
            {"name": "text_prompt", "ids": tok("def add(a, b):")["input_ids"]}]


def generation_reference(model, prompts, pad_id, eos_ids, rng, regular_vocab, label):
    prompts = [dict(p) for p in prompts]
    eos_prompt = find_eos_prompt(model, rng, regular_vocab, pad_id, eos_ids)
    if eos_prompt is not None:
        prompts.append({"name": "stops_at_eos", "ids": eos_prompt})
    else:
        warn(f"{label}: no random prompt's greedy continuation reached eos within {MAX_NEW_TOKENS} tokens")
    singles = []
    for p in prompts:
        (new,), (margin,) = greedy(model, [p["ids"]], pad_id, eos_ids)
        singles.append({"name": p["name"], "prompt_ids": p["ids"], "new_ids": new,
                        "stopped_at_eos": bool(new) and new[-1] in eos_ids, "min_top2_margin": margin})
    batch_prompts = [p["ids"] for p in prompts] + [prompts[0]["ids"][-3:]]
    batch_new, batch_margins = greedy(model, batch_prompts, pad_id, eos_ids)
    expected = [s["new_ids"] for s in singles]
    (short_new,), _ = greedy(model, [batch_prompts[-1]], pad_id, eos_ids)
    expected.append(short_new)
    width = max(len(p) for p in batch_prompts)
    batch = {"prompts": batch_prompts,
             "input_ids": [[pad_id] * (width - len(p)) + p for p in batch_prompts],
             "attention_mask": [[0] * (width - len(p)) + [1] * len(p) for p in batch_prompts],
             "new_ids": batch_new, "min_top2_margin": batch_margins,
             "equals_unpadded": batch_new == expected}
    if batch_new != expected:
        warn(f"{label}: left-padded batch greedy differs from the unpadded runs")
    try:
        hf_single = [hf_generate(model, [s["prompt_ids"]], pad_id, eos_ids)[0] for s in singles]
        hf_batch = hf_generate(model, batch_prompts, pad_id, eos_ids)
        agrees = hf_single == [s["new_ids"] for s in singles] and hf_batch == batch_new
        if not agrees:
            warn(f"{label}: transformers generate() differs from the step-by-step greedy: {hf_single} {hf_batch}")
    except Exception as e:  # noqa: BLE001 - recorded, the step-by-step greedy is the reference
        traceback.print_exc()
        agrees = f"generate() failed: {type(e).__name__}: {e}"
        warn(f"{label}: {agrees}")
    return {"max_new_tokens": MAX_NEW_TOKENS, "eos_token_id": sorted(eos_ids), "pad_token_id": pad_id,
            "hf_generate_agrees": agrees, "single": singles, "batch_left_padded": batch}


def config_summary(folder):
    cfg = read_json(os.path.join(folder, "config.json"))
    files = files_with_sizes(folder)
    return {"architectures": cfg.get("architectures"), "config_keys_rope": [k for k in ("rope_parameters", "rope_theta",
            "rope_scaling") if k in cfg], "config_dtype_key": "dtype" if "dtype" in cfg else "torch_dtype",
            "on_disk_dtype": cfg.get("dtype", cfg.get("torch_dtype")), "vocab_size": cfg.get("vocab_size"),
            "tie_word_embeddings": cfg.get("tie_word_embeddings"),
            "shards": len([f for f in files if f.startswith("model-") and f.endswith(".safetensors")]),
            "files": {k: v for k, v in files.items() if k != "reference.json"}}


def base_reference(folder, family, raw, template_file, extra_kwargs, eos_ids, seed, vers, label):
    tok, tref = tokenizer_reference(folder, family, raw, template_file, extra_kwargs)
    model = load_model(folder)
    seqs = sequences_for(tok, family, raw, extra_kwargs, seed)
    for s in seqs:
        s["logprobs"] = [r7(v) for v in logprobs(model, s["ids"])]
    pad_id = tok.pad_token_id
    gen = generation_reference(model, generation_prompts(tok, extra_kwargs), pad_id, eos_ids, random.Random(seed + 1),
                               raw.get_vocab_size(with_added_tokens=False), label)
    ref = {"fixture": label, "made_by": "scripts/reference/hf_models_reference.py", "versions": vers,
           "compute_dtype": "float32", "model": config_summary(folder), "logprobs": seqs, "generation": gen,
           "tokenizer": tref}
    return ref, model, tok


def max_abs_diff(a_seqs, b_seqs):
    worst = 0.0
    for a, b in zip(a_seqs, b_seqs):
        assert a["ids"] == b["ids"]
        worst = max([worst] + [abs(x - y) for x, y in zip(a["logprobs"], b["logprobs"])])
    return worst


# ----------------------------------------------------------------------------------------------------------------------
# fixtures

def fixture_llama_gqa(out, raw, vers):
    name = "llama-gqa-sharded"
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    size = raw.get_vocab_size(with_added_tokens=True)
    ids = {t: raw.token_to_id(t) for t in ("<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>",
                                           "<|finetune_right_pad_id|>")}
    eos = [ids["<|end_of_text|>"], ids["<|eot_id|>"]]
    cfg = dict(vocab_size=size, hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
               num_key_value_heads=2, hidden_act="silu", max_position_embeddings=512, rms_norm_eps=1e-5,
               tie_word_embeddings=False, attention_bias=False, mlp_bias=False, bos_token_id=ids["<|begin_of_text|>"],
               eos_token_id=eos)
    rope = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
            "original_max_position_embeddings": 64}
    build_model(folder, "llama", cfg, rope, torch.bfloat16, size, SEED + 1, shard_size="120KB")
    save_generation_config(folder, ids["<|begin_of_text|>"], eos, None)
    save_tokenizer(raw, "llama", read_template("llama3.jinja"), folder)
    ref, _, _ = base_reference(folder, "llama", raw, "llama3.jinja", {}, set(eos), SEED + 1, vers, name)
    write_json(os.path.join(folder, "reference.json"), ref)
    return ref


def fixture_llama_v4config(out, base_ref, raw, vers):
    """Same weights and tokenizer, config.json in the transformers 4.x style; must give identical references."""
    name = "llama-gqa-sharded-v4config"
    src = os.path.join(out, "llama-gqa-sharded")
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    for f in os.listdir(src):
        if f != "reference.json":
            shutil.copy2(os.path.join(src, f), os.path.join(folder, f))
    cfg = read_json(os.path.join(src, "config.json"))
    v4 = {}
    for k, v in cfg.items():
        if k == "rope_parameters":
            rp = dict(v)
            v4["rope_theta"] = rp.pop("rope_theta", cfg.get("rope_theta"))
            v4["rope_scaling"] = rp if rp.get("rope_type", "default") != "default" else None
        elif k == "dtype":
            v4["torch_dtype"] = v
        elif k == "transformers_version":
            v4[k] = "4.45.0"
        else:
            v4[k] = v
    if "rope_theta" not in v4 or "torch_dtype" not in v4:
        raise RuntimeError(f"the 5.x config.json has no rope_parameters/dtype to convert: {sorted(cfg)}")
    write_json(os.path.join(folder, "config.json"), dict(sorted(v4.items())))
    model = load_model(folder)
    seqs = [dict(s, logprobs=[r7(v) for v in logprobs(model, s["ids"])]) for s in base_ref["logprobs"]]
    diff = max_abs_diff(seqs, base_ref["logprobs"])
    if diff > 1e-6:
        raise AssertionError(f"{name}: log-probs differ from llama-gqa-sharded by {diff}")
    gen = base_ref["generation"]
    eos = set(gen["eos_token_id"])
    for s in gen["single"]:
        (new,), _ = greedy(model, [s["prompt_ids"]], gen["pad_token_id"], eos)
        if new != s["new_ids"]:
            raise AssertionError(f"{name}: greedy {s['name']} differs from llama-gqa-sharded")
    ref = {"fixture": name, "made_by": "scripts/reference/hf_models_reference.py", "versions": vers,
           "compute_dtype": "float32", "same_as": "llama-gqa-sharded", "max_abs_diff_vs_same_as": diff,
           "model": config_summary(folder), "logprobs": seqs,
           "note": "config.json converted by hand to the transformers 4.x keys (rope_theta, rope_scaling, torch_dtype); "
                   "weights and tokenizer files are copies; generation and tokenizer references equal llama-gqa-sharded's"}
    write_json(os.path.join(folder, "reference.json"), ref)


def fixture_llama_mqa(out, raw, vers):
    name = "llama-mqa-tied-linear"
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    size = raw.get_vocab_size(with_added_tokens=True)
    bos, eot = raw.token_to_id("<|begin_of_text|>"), raw.token_to_id("<|eot_id|>")
    cfg = dict(vocab_size=size, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
               num_key_value_heads=1, hidden_act="silu", max_position_embeddings=256, rms_norm_eps=1e-5,
               tie_word_embeddings=True, attention_bias=False, mlp_bias=False, bos_token_id=bos, eos_token_id=eot)
    rope = {"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0}
    build_model(folder, "llama", cfg, rope, torch.float32, size, SEED + 2)
    save_generation_config(folder, bos, eot, None)  # a single int eos
    template = read_template("llama3_2_instruct.jinja")
    save_tokenizer(raw, "llama", template, folder)
    ref, _, _ = base_reference(folder, "llama", raw, "llama3_2_instruct.jinja", {"date_string": LLAMA32_DATE}, {eot},
                               SEED + 2, vers, name)
    ref["tokenizer"]["note"] = (f"Llama 3.2 Instruct template; every chat here passes date_string={LLAMA32_DATE!r} (without "
                                "it the template calls strftime_now and writes today's date)")
    write_json(os.path.join(folder, "reference.json"), ref)


def fixture_qwen(out, family, raw, vers):
    name = family
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    tok_size = raw.get_vocab_size(with_added_tokens=True)
    vocab = (tok_size + 63) // 64 * 64  # padded like the real Qwen embeddings
    eot, im_end = raw.token_to_id("<|endoftext|>"), raw.token_to_id("<|im_end|>")
    common = dict(vocab_size=vocab, hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, hidden_act="silu", max_position_embeddings=256, rms_norm_eps=1e-6,
                  use_sliding_window=False, bos_token_id=eot, eos_token_id=im_end)
    rope = {"rope_type": "default", "rope_theta": 1000000.0}
    if family == "qwen2":
        cfg = dict(common, tie_word_embeddings=True)
        dtype, template, extra = torch.float32, "qwen2_5_instruct.jinja", {}
    else:
        cfg = dict(common, tie_word_embeddings=False, head_dim=32, attention_bias=False)
        dtype, template, extra = torch.float16, "qwen3.jinja", {}
    seed = SEED + (3 if family == "qwen2" else 4)
    build_model(folder, family, cfg, rope, dtype, tok_size, seed)
    save_generation_config(folder, eot, [im_end, eot], eot)
    save_tokenizer(raw, family, read_template(template), folder)
    ref, _, _ = base_reference(folder, family, raw, template, extra, {im_end, eot}, seed, vers, name)
    write_json(os.path.join(folder, "reference.json"), ref)
    return ref


def fixture_adapter(out, name, base_name, base_ref, lora_kw, seed, vers):
    from peft import LoraConfig, get_peft_model
    base_dir = os.path.join(out, base_name)
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)

    model = load_model(base_dir)
    config = LoraConfig(task_type="CAUSAL_LM", lora_dropout=0.0, bias="none", init_lora_weights=False, **lora_kw)
    pm = get_peft_model(model, config)
    r, alpha = lora_kw["r"], lora_kw["lora_alpha"]
    scaling = alpha / math.sqrt(r) if lora_kw.get("use_rslora") else alpha / r
    g = torch.Generator().manual_seed(seed)
    a_std_of = {}
    with torch.no_grad():
        for pname, p in pm.named_parameters():
            if "lora_A" in pname:
                a_std = 1.0 / math.sqrt(p.shape[1])
                a_std_of[pname.replace("lora_A", "lora_B")] = a_std
                p.copy_((a_std * torch.randn(p.shape, generator=g, dtype=torch.float64)).float())
        for pname, p in pm.named_parameters():
            if "lora_B" in pname:  # non-zero B, sized so that scaling * B @ A has a std of about 0.05
                b_std = 0.05 / (scaling * math.sqrt(r) * a_std_of[pname])
                p.copy_((b_std * torch.randn(p.shape, generator=g, dtype=torch.float64)).float())
    pm.save_pretrained(folder)
    readme = os.path.join(folder, "README.md")
    if os.path.exists(readme):
        os.remove(readme)
    ac_path = os.path.join(folder, "adapter_config.json")
    ac = read_json(ac_path)
    ac["base_model_name_or_path"] = base_name
    write_json(ac_path, ac)
    del pm, model

    pm = load_model(base_dir, adapter=folder)
    seqs = []
    worst_disabled = 0.0
    for s in base_ref["logprobs"]:
        lp = [r7(v) for v in logprobs(pm, s["ids"])]
        with pm.disable_adapter():
            disabled = [r7(v) for v in logprobs(pm, s["ids"])]
        worst_disabled = max([worst_disabled] + [abs(a - b) for a, b in zip(disabled, s["logprobs"])])
        seqs.append({"name": s["name"], "ids": s["ids"], "logprobs": lp, "logprobs_adapter_disabled": disabled})
    if worst_disabled > 1e-6:
        raise AssertionError(f"{name}: adapter disabled differs from the base model by {worst_disabled}")
    changed = max(abs(a - b) for s, bs in zip(seqs, base_ref["logprobs"]) for a, b in zip(s["logprobs"], bs["logprobs"]))
    if changed < 1e-3:
        raise AssertionError(f"{name}: the adapter hardly changes the log-probs ({changed})")

    gen_base = base_ref["generation"]
    eos = set(gen_base["eos_token_id"])
    prompts = [{"name": s["name"], "ids": s["prompt_ids"]} for s in gen_base["single"] if s["name"] != "stops_at_eos"]
    gen = generation_reference(pm, prompts, gen_base["pad_token_id"], eos, random.Random(seed + 1),
                               base_ref["tokenizer"]["bpe_vocab_size"], name)

    merged = pm.merge_and_unload()
    merged.eval()
    worst_merged = 0.0
    for s in seqs:
        m = logprobs(merged, s["ids"])
        worst_merged = max([worst_merged] + [abs(a - b) for a, b in zip(m, s["logprobs"])])
    if worst_merged > 1e-5:
        raise AssertionError(f"{name}: merged differs from unmerged by {worst_merged}")

    ref = {"fixture": name, "made_by": "scripts/reference/hf_models_reference.py", "versions": vers,
           "compute_dtype": "float32", "base": base_name,
           "adapter": {"r": r, "lora_alpha": alpha, "use_rslora": bool(lora_kw.get("use_rslora")), "scaling": scaling,
                       "target_modules": sorted(lora_kw["target_modules"]), "lora_dropout": 0.0,
                       "files": files_with_sizes(folder)},
           "max_abs_diff_base_vs_adapter": r7(changed), "max_abs_diff_merged_vs_unmerged": r7(worst_merged),
           "max_abs_diff_disabled_vs_base": r7(worst_disabled), "logprobs": seqs, "generation": gen}
    write_json(os.path.join(folder, "reference.json"), ref)


# ----------------------------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(min(8, os.cpu_count() or 1))
    torch.manual_seed(SEED)
    vers = versions()
    print("versions:", json.dumps(vers))

    failures = []

    def step(label, fn, *a):
        print(f"== {label}")
        try:
            result = fn(*a)
            print(f"   ok: {label}")
            return result
        except Exception:  # noqa: BLE001 - report every fixture, keep going
            traceback.print_exc()
            failures.append(label)
            return None

    llama_tok = step("tokenizer llama", build_raw_tokenizer, "llama")
    qwen2_tok = step("tokenizer qwen2", build_raw_tokenizer, "qwen2")
    qwen3_tok = step("tokenizer qwen3", build_raw_tokenizer, "qwen3")
    for label, t in (("llama", llama_tok), ("qwen2", qwen2_tok), ("qwen3", qwen3_tok)):
        if t:
            print(f"   {label}: bpe vocab {t[1]}, with added tokens {t[0].get_vocab_size(with_added_tokens=True)}")

    gqa_ref = qwen2_ref = None
    if llama_tok:
        gqa_ref = step("llama-gqa-sharded", fixture_llama_gqa, out, llama_tok[0], vers)
        if gqa_ref:
            step("llama-gqa-sharded-v4config", fixture_llama_v4config, out, gqa_ref, llama_tok[0], vers)
            step("llama-gqa-rslora", fixture_adapter, out, "llama-gqa-rslora", "llama-gqa-sharded", gqa_ref,
                 {"r": 8, "lora_alpha": 16, "use_rslora": True, "target_modules": ["q_proj", "v_proj"]}, SEED + 11, vers)
        step("llama-mqa-tied-linear", fixture_llama_mqa, out, llama_tok[0], vers)
    if qwen2_tok:
        qwen2_ref = step("qwen2", fixture_qwen, out, "qwen2", qwen2_tok[0], vers)
        if qwen2_ref:
            step("qwen2-lora", fixture_adapter, out, "qwen2-lora", "qwen2", qwen2_ref,
                 {"r": 4, "lora_alpha": 8, "use_rslora": False,
                  "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]},
                 SEED + 12, vers)
    if qwen3_tok:
        step("qwen3", fixture_qwen, out, "qwen3", qwen3_tok[0], vers)

    total = 0
    print("== fixtures")
    for name in sorted(os.listdir(out)):
        folder = os.path.join(out, name)
        if os.path.isdir(folder):
            size = sum(files_with_sizes(folder).values())
            total += size
            print(f"   {name:30s} {size / 1024:8.1f} KiB  {', '.join(files_with_sizes(folder))}")
    print(f"   total {total / 1024:.1f} KiB")
    if WARNINGS:
        print("== warnings")
        for w in WARNINGS:
            print("  ", w)
    if failures:
        print("FAILED:", ", ".join(failures))
        sys.exit(1)
    print("all fixtures written")


if __name__ == "__main__":
    main()
