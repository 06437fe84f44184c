#!/usr/bin/env python3
"""Reference thumbnails from PyTorch's F.interpolate, for ImageThumbnail (HWC image -> 64x64 uint8).

Run with Debian's python3 (torch 1.13, the same libtorch as the C# bindings):
  /usr/bin/python3 scripts/reference/thumbnail_reference.py test/MaskedSft.MLNet.Tests/Fixtures/HardExamples

The input images are defined by formulas the C# test reproduces: pixel (y, x, c) = (x * 7 + y * 13 + c * 50 + (x * y) % 31) % 256
for a uint8 image of 100x80x3 and a float image (the same values / 255) of 37x53x3. Each is resized like ImageThumbnail.Resize:
NCHW float32 (uint8 as 0..255, float scaled by 255), interpolate to 64x64 (area, and bilinear without align_corners), round,
clamp to 0..255, uint8, HWC. Writes thumbnail_reference.json with the expected pixels in hex.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F


def image(h, w):
    y = torch.arange(h).view(h, 1, 1)
    x = torch.arange(w).view(1, w, 1)
    c = torch.arange(3).view(1, 1, 3)
    return ((x * 7 + y * 13 + c * 50 + (x * y) % 31) % 256).to(torch.uint8)


def thumbnail(img_hwc, mode):
    f = img_hwc.to(torch.float32) if img_hwc.dtype == torch.uint8 else img_hwc.to(torch.float32) * 255.0
    nchw = f.permute(2, 0, 1).unsqueeze(0)
    if mode == "area":
        out = F.interpolate(nchw, size=(64, 64), mode="area")
    else:
        out = F.interpolate(nchw, size=(64, 64), mode="bilinear", align_corners=False)
    return out.squeeze(0).permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).contiguous()


def main(out):
    cases = {}
    for name, img in (("uint8_100x80", image(100, 80)), ("float_37x53", image(37, 53).to(torch.float32) / 255.0)):
        for mode in ("area", "bilinear"):
            cases[f"{name}_{mode}"] = thumbnail(img, mode).numpy().tobytes().hex()
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "thumbnail_reference.json"), "w") as f:
        json.dump({"generator": f"torch {torch.__version__}", "cases": cases}, f)
    print(f"wrote {len(cases)} cases to {out}/thumbnail_reference.json")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "test/MaskedSft.MLNet.Tests/Fixtures/HardExamples")
