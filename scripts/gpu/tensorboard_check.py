#!/usr/bin/env python3
"""Reads a MaskedSft run's TensorBoard event files with TensorBoard's own EventAccumulator and checks them against the
run's metrics.jsonl and hard_examples.jsonl:

- scalars: every number of every metrics.jsonl line (nested objects as 'outer/inner') is a scalar series of that tag
  with an event at that step and the same value as a 32-bit float; no other scalar tag; the same steps;
- text: every hard-example snapshot (hard_examples.jsonl) is a 'hard_examples/snapshot' text at its step whose Markdown
  table has one row per listed entry, with the entry's loss (4 decimals) and episode index;
- images: every listed entry with a thumbnail has a 'hard_examples/thumbnail_NN' PNG image at the snapshot's step whose
  bytes equal the thumbnail's and whose width and height match its PNG header.

Usage: python3 tensorboard_check.py RUN_DIR[:images] [RUN_DIR[:images] ...]   (':images': the run must have thumbnails)
Needs python3 with the tensorboard package (no TensorFlow). Exit status 0 when every run passes; the last line is
'tensorboard_check: N passed, N failed'.
"""
import base64
import json
import math
import os
import struct
import sys

from tensorboard.backend.event_processing import event_accumulator as ea

SNAPSHOT_TAG = "hard_examples/snapshot"
THUMBNAIL_PREFIX = "hard_examples/thumbnail_"
MAX_THUMBNAILS = 8
TABLE_ROWS = 20


def as_number(v):
    if isinstance(v, str):  # the trainer writes NaN / Infinity as strings (JSON has no such numbers)
        return float(v)
    return v


def flatten(obj, prefix=""):
    out = {}
    for k, v in obj.items():
        name = prefix + k
        if isinstance(v, dict):
            out.update(flatten(v, name + "/"))
        elif isinstance(v, (int, float, str)) and not isinstance(v, bool):
            out[name] = as_number(v)
    out.pop("step", None)
    return out


def f32(x):
    return struct.unpack("<f", struct.pack("<f", float(x)))[0]


def same(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b


def png_size(png):
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR", "not a PNG"
    return struct.unpack(">I", png[16:20])[0], struct.unpack(">I", png[20:24])[0]


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def check_run(run, expect_images):
    errors = []
    tb = os.path.join(run, "tensorboard")
    acc = ea.EventAccumulator(tb, size_guidance={ea.SCALARS: 0, ea.IMAGES: 0, ea.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    metrics = read_jsonl(os.path.join(run, "metrics.jsonl"))
    snapshots = read_jsonl(os.path.join(run, "hard_examples.jsonl"))
    if not metrics:
        errors.append("metrics.jsonl is empty or missing")

    # Scalars.
    expected = {}
    for line in metrics:
        for name, value in flatten(line).items():
            expected.setdefault(name, {})[line["step"]] = value
    scalar_tags = set(tags.get("scalars", []))
    if scalar_tags != set(expected):
        errors.append(f"scalar tags differ: missing {sorted(set(expected) - scalar_tags)}, extra {sorted(scalar_tags - set(expected))}")
    compared = 0
    for name, by_step in expected.items():
        if name not in scalar_tags:
            continue
        got = {e.step: e.value for e in acc.Scalars(name)}
        if sorted(got) != sorted(by_step):
            errors.append(f"{name}: steps {sorted(got)} in TensorBoard, {sorted(by_step)} in metrics.jsonl")
            continue
        for step, value in by_step.items():
            compared += 1
            if not same(f32(got[step]), f32(value)):
                errors.append(f"{name} at step {step}: {got[step]!r} in TensorBoard, {value!r} in metrics.jsonl")

    # Texts.
    texts = {}
    if SNAPSHOT_TAG in tags.get("tensors", []):
        for e in acc.Tensors(SNAPSHOT_TAG):
            texts[e.step] = e.tensor_proto.string_val[0].decode("utf-8")
        meta = acc.SummaryMetadata(SNAPSHOT_TAG)
        if meta.plugin_data.plugin_name != "text":
            errors.append(f"{SNAPSHOT_TAG}: plugin '{meta.plugin_data.plugin_name}', expected 'text'")
    if sorted(texts) != sorted(s["step"] for s in snapshots):
        errors.append(f"snapshot texts at steps {sorted(texts)}, hard_examples.jsonl has {sorted(s['step'] for s in snapshots)}")

    # Images.
    image_tags = set(tags.get("images", []))
    images_checked = 0
    for s in snapshots:
        text = texts.get(s["step"])
        entries = s["entries"]
        if text is not None:
            rows = [l for l in text.splitlines() if l.startswith("| ") and not l.startswith("| rank")]
            if len(rows) != min(TABLE_ROWS, len(entries)):
                errors.append(f"step {s['step']}: {len(rows)} table rows, {len(entries)} entries")
            for rank, (row, e) in enumerate(zip(rows, entries), 1):
                cells = [c.strip() for c in row.strip("|").split("|")]
                if cells[0] != str(rank) or cells[1] != f"{as_number(e['loss']):.4f}" or cells[4] != str(e["global_index"]):
                    errors.append(f"step {s['step']} row {rank}: {cells[:5]} does not match loss {e['loss']} / episode {e['global_index']}")
        for i, e in enumerate(entries[:MAX_THUMBNAILS]):
            if not e.get("thumbnail_png"):
                continue
            png = base64.b64decode(e["thumbnail_png"])
            tag = f"{THUMBNAIL_PREFIX}{i:02d}"
            found = [x for x in acc.Images(tag) if x.step == s["step"]] if tag in image_tags else []
            if len(found) != 1:
                errors.append(f"{tag} at step {s['step']}: {len(found)} images")
                continue
            img = found[0]
            if img.encoded_image_string != png:
                errors.append(f"{tag} at step {s['step']}: the PNG bytes differ from hard_examples.jsonl's thumbnail")
            if (img.width, img.height) != png_size(png):
                errors.append(f"{tag} at step {s['step']}: {img.width}x{img.height}, the PNG is {png_size(png)}")
            images_checked += 1
    if expect_images and images_checked == 0:
        errors.append("no thumbnail image was checked (':images' was given)")

    print(f"{run}: {len(expected)} scalar tags, {compared} scalar values, {len(texts)} snapshot texts, {images_checked} images; "
          f"files {sorted(os.listdir(tb))}")
    for e in errors[:20]:
        print(f"  FAIL {e}")
    return not errors


def main(argv):
    runs = [(a[:-len(":images")], True) if a.endswith(":images") else (a, False) for a in argv]
    if not runs:
        print(__doc__)
        return 2
    import tensorboard
    print(f"tensorboard {tensorboard.__version__}")
    passed = sum(1 for r, images in runs if check_run(r, images))
    print(f"tensorboard_check: {passed} passed, {len(runs) - passed} failed")
    return 0 if passed == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
