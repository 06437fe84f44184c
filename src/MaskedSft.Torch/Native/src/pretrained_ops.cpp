// Ops of pretrained transformer models: scaled dot-product attention (fused kernels on libtorch 2.x, a composed fallback
// on 1.13) and per-block gradient checkpointing through a managed callback.
#include "msft.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

// Computes a block's output from its inputs (borrowed handles; null for an absent optional input). Returns a new handle
// whose ownership passes to the caller, or nullptr after writing a NUL-terminated message into error (capacity bytes).
typedef msft_tensor (*msft_block_fn)(int64_t state, const msft_tensor* inputs, int64_t count, char* error,
                                     int64_t capacity);

// Defined in handles.cpp: releases the handle a block callback returns.
extern "C" void msft_tensor_free(msft_tensor handle);

namespace {

// softmax(q k^T * scale + mask) v with the softmax in float32, as transformers' eager attention computes it.
at::Tensor composed_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                              const msft::optional<at::Tensor>& mask, bool is_causal, double scale) {
  auto scores = at::matmul(q, k.transpose(-2, -1)) * scale;  // (B, H, Tq, Tk)
  const auto tq = q.size(-2), tk = k.size(-2);
  if (is_causal) {
    auto allowed = at::ones({tq, tk}, q.options().dtype(at::kBool)).tril();
    scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<double>::infinity());
  }
  if (mask.has_value() && mask->defined()) {
    if (mask->scalar_type() == at::kBool) {
      scores = scores.masked_fill(mask->logical_not(), -std::numeric_limits<double>::infinity());
    } else {
      scores = scores + *mask;
    }
  }
  return at::matmul(at::softmax(scores, -1, at::kFloat).to(q.scalar_type()), v);
}

at::Tensor call_block(int64_t fn, int64_t state, const std::vector<at::Tensor>& inputs) {
  std::vector<at::Tensor*> handles;
  handles.reserve(inputs.size());
  for (const auto& t : inputs) handles.push_back(t.defined() ? const_cast<at::Tensor*>(&t) : nullptr);
  std::vector<char> error(2048, '\0');
  auto* block = reinterpret_cast<msft_block_fn>(fn);
  msft_tensor out = block(state, handles.data(), static_cast<int64_t>(handles.size()), error.data(),
                          static_cast<int64_t>(error.size()));
  if (out == nullptr) {
    error.back() = '\0';
    throw std::runtime_error(std::string("checkpointed block failed: ") + error.data());
  }
  at::Tensor result = *out;
  msft_tensor_free(out);
  return result;
}

// The block's inputs in their original order: input, then the extras with undefined tensors where an extra was absent
// (presence bit i set = extra i given). Only defined tensors pass through autograd: libtorch 2.x rejects undefined ones.
std::vector<at::Tensor> with_absent(const at::Tensor& input, const std::vector<at::Tensor>& given, int64_t presence,
                                    int64_t count) {
  std::vector<at::Tensor> all{input};
  size_t next = 0;
  for (int64_t i = 0; i < count; ++i) all.push_back((presence >> i) & 1 ? given.at(next++) : at::Tensor());
  return all;
}

// Recomputes the block in backward instead of keeping its activations (torch.utils.checkpoint with use_reentrant=True):
// forward runs without a graph; backward reruns the block with gradients on and back-propagates through it, which
// accumulates the block's parameter gradients and returns the gradient of the input.
struct CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, at::Tensor input, at::TensorList given, int64_t fn,
                            int64_t state, int64_t presence, int64_t count) {
    std::vector<at::Tensor> saved{input};
    saved.insert(saved.end(), given.begin(), given.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["fn"] = fn;
    ctx->saved_data["state"] = state;
    ctx->saved_data["presence"] = presence;
    ctx->saved_data["count"] = count;
    const auto autocast = msft::autocast_state();  // the recomputation in backward runs under the same autocast
    ctx->saved_data["autocast_cuda"] = autocast.cuda;
    ctx->saved_data["autocast_cuda_dtype"] = static_cast<int64_t>(autocast.cuda_dtype);
    ctx->saved_data["autocast_cpu"] = autocast.cpu;
    ctx->saved_data["autocast_cpu_dtype"] = static_cast<int64_t>(autocast.cpu_dtype);
    return call_block(fn, state, with_absent(input, given.vec(), presence, count));
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto fn = ctx->saved_data["fn"].toInt();
    const auto state = ctx->saved_data["state"].toInt();
    auto input = saved[0].detach().requires_grad_(true);
    std::vector<at::Tensor> given;
    for (size_t i = 1; i < saved.size(); ++i) given.push_back(saved[i].detach());
    at::Tensor output;
    {
      at::AutoGradMode enable(true);
      msft::AutocastState forward_autocast;
      forward_autocast.cuda = ctx->saved_data["autocast_cuda"].toBool();
      forward_autocast.cuda_dtype = static_cast<at::ScalarType>(ctx->saved_data["autocast_cuda_dtype"].toInt());
      forward_autocast.cpu = ctx->saved_data["autocast_cpu"].toBool();
      forward_autocast.cpu_dtype = static_cast<at::ScalarType>(ctx->saved_data["autocast_cpu_dtype"].toInt());
      const auto previous = msft::set_autocast_state(forward_autocast);
      try {
        output = call_block(fn, state, with_absent(input, given, ctx->saved_data["presence"].toInt(),
                                                   ctx->saved_data["count"].toInt()));
      } catch (...) {
        msft::restore_autocast_state(forward_autocast, previous);
        throw;
      }
      msft::restore_autocast_state(forward_autocast, previous);
    }
    if (output.requires_grad()) torch::autograd::backward({output}, {grads[0]});
    // One gradient per forward argument: input, each given extra, then fn, state, presence and count (none).
    torch::autograd::variable_list result{input.grad()};
    for (size_t i = 1; i < saved.size(); ++i) result.push_back(at::Tensor());
    for (int i = 0; i < 4; ++i) result.push_back(at::Tensor());
    return result;
  }
};

}  // namespace

// softmax(q k^T * scale + mask) v over (B, H, Tq, D) queries and (B, H, Tk, D) keys and values. mask (null = none) is
// bool (true = attend) or additive, broadcastable to (B, H, Tq, Tk); is_causal adds the top-left causal mask. libtorch
// 2.x picks a fused kernel (flash / memory-efficient / CPU flash); 1.13 composes it with the softmax in float32.
MSFT_EXPORT msft_tensor msft_scaled_dot_product_attention(msft_tensor q, msft_tensor k, msft_tensor v, msft_tensor mask,
                                                          bool is_causal, double scale) {
  MSFT_GUARD(nullptr, {
    const auto& query = TEN(q);
    const auto& key = TEN(k);
    const auto& value = TEN(v);
    if (query.dim() != 4 || key.dim() != 4 || value.dim() != 4) {
      throw std::invalid_argument("scaled_dot_product_attention expects 4-d (B, H, T, D) q, k, v; got " +
                                  c10::str(query.sizes()) + ", " + c10::str(key.sizes()) + ", " +
                                  c10::str(value.sizes()));
    }
#if (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1) || TORCH_VERSION_MAJOR > 2
    return msft::wrap(
        at::scaled_dot_product_attention(query, key, value, msft::opt(mask), 0.0, is_causal, msft::optional<double>(scale)));
#else
    return msft::wrap(composed_attention(query, key, value, msft::opt(mask), is_causal, scale));
#endif
  })
}

// The same attention always composed from matmul and a float32 softmax (transformers' eager path), for comparisons.
MSFT_EXPORT msft_tensor msft_eager_attention(msft_tensor q, msft_tensor k, msft_tensor v, msft_tensor mask,
                                             bool is_causal, double scale) {
  MSFT_TENSOR(composed_attention(TEN(q), TEN(k), TEN(v), msft::opt(mask), is_causal, scale))
}

// Runs fn(state, [input, extras...]) as a checkpointed block: no activations are kept; backward recomputes them. An
// input that does not require grad is made a leaf that does (so a block of trainable adapters behind a frozen
// embedding still gets gradients). extras may hold null handles (absent optional inputs); they get no gradient.
MSFT_EXPORT msft_tensor msft_checkpoint(msft_block_fn fn, int64_t state, msft_tensor input, const msft_tensor* extras,
                                        int64_t count) {
  MSFT_GUARD(nullptr, {
    if (fn == nullptr) throw std::invalid_argument("null checkpoint block function");
    if (count < 0 || (count > 0 && extras == nullptr)) throw std::invalid_argument("bad checkpoint extras array");
    if (count > 62) throw std::invalid_argument("checkpoint takes at most 62 extra inputs");
    std::vector<at::Tensor> given;
    int64_t presence = 0;
    for (int64_t i = 0; i < count; ++i) {
      if (extras[i] == nullptr) continue;
      given.push_back(*extras[i]);
      presence |= int64_t{1} << i;
    }
    auto x = TEN(input);
    const auto block = reinterpret_cast<int64_t>(fn);
    if (!c10::GradMode::is_enabled()) return msft::wrap(call_block(block, state, with_absent(x, given, presence, count)));
    if (!x.requires_grad()) x = x.detach().requires_grad_(true);
    return msft::wrap(CheckpointFunction::apply(x, at::TensorList(given), block, state, presence, count));
  })
}
