#!/usr/bin/python3
"""Peak memory and exactness of the chunked LM head + weighted cross-entropy (msft_linear_cross_entropy of our native
shim, the op behind TorchOps.LinearCrossEntropy) against PyTorch's naive head, in ONE process.

The shim is loaded with ctypes into the Python process that runs PyTorch; built against the same libtorch (Debian's 1.13
here, PyTorch's own on the GPU machine) it shares PyTorch's allocator, so the same counters measure both sides:
  cuda: torch.cuda.max_memory_allocated (the caching allocator's peak, reset before each side);
  cpu:  the process's peak RSS (VmHWM, reset through /proc/self/clear_refs before each side).
"extra" = peak during forward + backward minus what was allocated before it (inputs): it includes the two gradients
(N x C and V x C), which both sides must produce; "beyond grads" subtracts them.

Naive (PyTorch): logits = hidden @ weight.T (N, V) in the inputs' dtype, cross_entropy(logits.float(), reduction none,
ignore_index), times the token weights (mask x advantage), summed / the non-ignored rows; autograd backward.
Chunked (ours): the same loss with reduction mean, in chunks of rows; with a scalar reduction the forward computes the
gradients too (each chunk's logits become their gradient in place: the fused CUDA kernel where the library has it), so
backward only scales them. Automatic chunks hold 2^28 logits with the fused kernel, 2^25 without (as TorchOps).

Usage: bench.py --lib path/to/libMaskedSftNative.so [--device cpu|cuda] [--rows N] [--hidden C] [--vocab V]
                [--dtype float32|bfloat16] [--row-chunk R] [--vocab-chunk K]
Prints a table and a final JSON line.
"""
import argparse
import ctypes
import json
import os
import time

import torch

DTYPE_CODES = {torch.float32: 6, torch.float64: 7, torch.bfloat16: 15, torch.int64: 4}
IGNORE = -100
DEFAULT_CHUNK_ELEMENTS = 1 << 25   # TorchOps.DefaultLinearCrossEntropyChunkElements
FUSED_CHUNK_ELEMENTS = 1 << 28     # TorchOps.FusedLinearCrossEntropyChunkElements (CUDA with the fused kernel)


class Shim:
    """The few exports of libMaskedSftNative.so the bench needs."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        p, i64, i32 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int32
        lib.msft_last_error.restype = ctypes.c_char_p
        lib.msft_tensor_from_external.restype = p
        lib.msft_tensor_from_external.argtypes = [p, i64, i32, ctypes.POINTER(i64), i64, i32, i32, i32]
        lib.msft_tensor_copy_to_buffer.argtypes = [p, p, i64]
        lib.msft_tensor_free.argtypes = [p]
        lib.msft_set_requires_grad.argtypes = [p, ctypes.c_bool]
        lib.msft_backward.argtypes = [p, p, ctypes.c_bool, ctypes.c_bool]
        lib.msft_grad.argtypes = [p, ctypes.POINTER(p)]
        lib.msft_linear_cross_entropy.argtypes = [p, p, p, p, i64, i32, i64, i64, ctypes.c_double,
                                                  ctypes.POINTER(p), ctypes.POINTER(p), ctypes.POINTER(p)]
        self.lib = lib

    def check(self, status, what):
        if status is None or (isinstance(status, int) and status < 0):
            raise RuntimeError(f"{what}: {self.lib.msft_last_error().decode()}")
        return status

    def tensor(self, t, device):
        """A shim tensor holding a copy of t (made from its host bytes, then moved to the device)."""
        host = t.detach().to("cpu").contiguous()
        shape = (ctypes.c_int64 * host.dim())(*host.shape)
        dev_type, dev_index = (1, device.index or 0) if device.type == "cuda" else (0, 0)
        h = self.lib.msft_tensor_from_external(ctypes.c_void_p(host.data_ptr()), host.numel() * host.element_size(),
                                               DTYPE_CODES[host.dtype], shape, host.dim(), -1, dev_type, dev_index)
        return self.check(h, "tensor_from_external")

    def to_torch(self, handle, shape, dtype):
        out = torch.empty(shape, dtype=dtype)
        self.check(self.lib.msft_tensor_copy_to_buffer(handle, ctypes.c_void_p(out.data_ptr()),
                                                        out.numel() * out.element_size()), "copy_to_buffer")
        return out

    def grad(self, handle):
        g = ctypes.c_void_p()
        self.check(self.lib.msft_grad(handle, ctypes.byref(g)), "grad")
        return g.value

    def free(self, *handles):
        for h in handles:
            if h:
                self.lib.msft_tensor_free(h)


class Peak:
    """Peak memory of a region, from PyTorch's CUDA allocator or the process's RSS."""

    def __init__(self, device):
        self.device = device

    @staticmethod
    def _status(key):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
        return 0

    def __enter__(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.base = torch.cuda.memory_allocated(self.device)
        else:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")                      # resets VmHWM to the current RSS
            self.base = self._status("VmRSS")
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.peak = torch.cuda.max_memory_allocated(self.device) - self.base
        else:
            self.peak = self._status("VmHWM") - self.base
        self.seconds = time.perf_counter() - self.start
        return False


def inputs(n, c, v, dtype, device, seed=0):
    g = torch.Generator().manual_seed(seed)
    hidden = torch.randn(n, c, generator=g).to(dtype)
    weight = (torch.randn(v, c, generator=g) * 0.02).to(dtype)
    targets = torch.randint(0, v, (n,), generator=g)
    targets[torch.rand(n, generator=g) < 0.25] = IGNORE                      # prompt / padding rows
    mask = (torch.rand(n, generator=g) < 0.9).float()
    advantage = torch.randn(n, generator=g)
    return hidden.to(device), weight.to(device), targets.to(device), (mask * advantage).to(device)


def naive(hidden, weight, targets, token_weights, device):
    h = hidden.clone().requires_grad_(True)
    w = weight.clone().requires_grad_(True)
    with Peak(device) as peak:
        logits = h @ w.t()                                                              # (N, V)
        nll = torch.nn.functional.cross_entropy(logits.float(), targets, reduction="none", ignore_index=IGNORE)
        loss = (nll * token_weights).sum() / (targets != IGNORE).sum().clamp(min=1)
        loss.backward()
        del logits, nll
    return peak, loss.item(), h.grad, w.grad


def chunked(shim, hidden, weight, targets, token_weights, device, row_chunk, vocab_chunk):
    h, w, t, tw = (shim.tensor(x, device) for x in (hidden, weight, targets, token_weights))
    shim.check(shim.lib.msft_set_requires_grad(h, True), "requires_grad")
    shim.check(shim.lib.msft_set_requires_grad(w, True), "requires_grad")
    loss, nll, pred = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_void_p()
    with Peak(device) as peak:
        shim.check(shim.lib.msft_linear_cross_entropy(h, w, t, tw, IGNORE, 1, row_chunk, vocab_chunk, 1.0,
                                                      ctypes.byref(loss), ctypes.byref(nll), ctypes.byref(pred)),
                   "linear_cross_entropy")
        shim.free(nll.value, pred.value)
        shim.check(shim.lib.msft_backward(loss, None, False, False), "backward")
    value = shim.to_torch(loss.value, (), torch.float32).item()
    gh, gw = shim.grad(h), shim.grad(w)
    grad_hidden = shim.to_torch(gh, tuple(hidden.shape), hidden.dtype)
    grad_weight = shim.to_torch(gw, tuple(weight.shape), weight.dtype)
    shim.free(loss.value, gh, gw, h, w, t, tw)
    return peak, value, grad_hidden, grad_weight


def chunks(n, v, row_chunk, vocab_chunk, elements=DEFAULT_CHUNK_ELEMENTS):
    """The automatic chunk sizes of TorchOps.LinearCrossEntropyChunks."""
    r = row_chunk if row_chunk > 0 else max(1, elements // v)
    k = vocab_chunk if vocab_chunk > 0 else max(1, -(-min(r, n) * v // max(n, 1)))
    return r, min(k, v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--rows", type=int, default=2048)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--row-chunk", type=int, default=0)
    ap.add_argument("--vocab-chunk", type=int, default=0)
    a = ap.parse_args()
    device = torch.device(a.device)
    dtype = getattr(torch, a.dtype)
    shim = Shim(os.path.abspath(a.lib))
    fused = device.type == "cuda" and shim.lib.msft_cuda_kernels() == 1   # TorchOps.AutomaticChunkElements
    r, k = chunks(a.rows, a.vocab, a.row_chunk, a.vocab_chunk, FUSED_CHUNK_ELEMENTS if fused else DEFAULT_CHUNK_ELEMENTS)
    hidden, weight, targets, tw = inputs(a.rows, a.hidden, a.vocab, dtype, device)

    pn, loss_n, gh_n, gw_n = naive(hidden, weight, targets, tw, device)
    gh_n, gw_n = gh_n.float().cpu(), gw_n.float().cpu()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    pc, loss_c, gh_c, gw_c = chunked(shim, hidden, weight, targets, tw, device, r, k)
    gh_c, gw_c = gh_c.float(), gw_c.float()

    mib = 1 << 20
    grads = (hidden.numel() + weight.numel()) * hidden.element_size()
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(f"torch {torch.__version__} on {where}; N={a.rows} C={a.hidden} V={a.vocab} {a.dtype}; chunks: {r} rows "
          f"forward, {k} vocabulary columns backward; fused kernel {fused}; {'CUDA allocator peak' if device.type == 'cuda' else 'peak RSS'}"
          f" above the inputs")
    print(f"  {'':10} {'extra MiB':>10} {'beyond grads':>13} {'seconds':>8} {'loss':>14}")
    for name, p, loss in (("naive", pn, loss_n), ("chunked", pc, loss_c)):
        print(f"  {name:10} {p.peak / mib:10.1f} {(p.peak - grads) / mib:13.1f} {p.seconds:8.3f} {loss:14.8f}")
    result = {
        "device": where, "torch": torch.__version__, "rows": a.rows, "hidden": a.hidden, "vocab": a.vocab,
        "dtype": a.dtype, "row_chunk": r, "vocab_chunk": k, "fused_kernel": fused,
        "naive_extra_mib": pn.peak / mib, "chunked_extra_mib": pc.peak / mib, "grads_mib": grads / mib,
        "naive_seconds": pn.seconds, "chunked_seconds": pc.seconds,
        "loss_abs_diff": abs(loss_n - loss_c),
        "grad_hidden_max_abs_diff": (gh_n - gh_c).abs().max().item(),
        "grad_weight_max_abs_diff": (gw_n - gw_c).abs().max().item(),
        "grad_hidden_max_abs": gh_n.abs().max().item(), "grad_weight_max_abs": gw_n.abs().max().item(),
    }
    print(f"  max |diff|: loss {result['loss_abs_diff']:.3g}, d/dhidden {result['grad_hidden_max_abs_diff']:.3g} "
          f"(of max {result['grad_hidden_max_abs']:.3g}), d/dweight {result['grad_weight_max_abs_diff']:.3g} "
          f"(of max {result['grad_weight_max_abs']:.3g})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
