// The LM head and a weighted cross-entropy fused in chunks: loss(hidden · weightᵀ, targets) without (N, V) logits.
#include "msft.h"

#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#ifdef MSFT_CUDA_KERNELS
#include "cuda/cross_entropy_rows.h"
#include "cuda_kernel_calls.h"
#endif

namespace {

// Reduction codes of the managed side (MaskedSft.Torch.Reduction): none, mean (over counted rows), sum.
constexpr int32_t kNone = 0;
constexpr int32_t kMean = 1;
constexpr int32_t kSum = 2;

// Bits of the `gradients` argument: which inputs' gradients the forward computes ahead (scalar reductions only).
constexpr int64_t kGradHidden = 1;
constexpr int64_t kGradWeight = 2;

// The dtype the softmax statistics, losses and accumulators use: float32 for half types, else the input's.
at::ScalarType compute_type(at::ScalarType input) {
  return input == at::kDouble ? at::kDouble : at::kFloat;
}

// The dtype the head's matrix products run in: the autocast dtype where this thread's autocast covers the hidden
// states' device (as the naive head's matmul would), else the inputs' own. Kept for backward, which autograd runs on its
// own thread without autocast.
at::ScalarType product_type(const at::Tensor& hidden) {
  const auto type = hidden.scalar_type();
  if (type == at::kDouble) return type;
  const auto state = msft::autocast_state();
  if (hidden.is_cuda() && state.cuda) return state.cuda_dtype;
  if (hidden.is_cpu() && state.cpu) return state.cpu_dtype;
  return type;
}

// The per-row work of one chunk of (r, V) logits z = logits · scale: lse, nll (0 at ignored rows) and argmax into the
// (r) slices; with coefficients, the logits are then overwritten in place with coef · scale · (softmax(z) - onehot), the
// gradient of Σ coef · nll with respect to the unscaled logits, in their dtype. One fused kernel on CUDA; the same
// arithmetic with ATen operations elsewhere.
void chunk_rows(at::Tensor& logits, const at::Tensor& targets, int64_t ignore_index, double scale,
                const at::Tensor& coef, at::Tensor lse, at::Tensor nll, at::Tensor predictions,
                at::ScalarType compute) {
#ifdef MSFT_CUDA_KERNELS
  if (const auto type = msft::kernel_element_type(logits); type && compute == at::kFloat) {
    const auto coef_f = coef.defined() ? coef.to(at::kFloat).contiguous() : at::Tensor();
    const auto t = targets.contiguous();
    msft::check_kernel(msft::cuda::cross_entropy_rows(
                           logits.data_ptr(), *type, logits.size(0), logits.size(1), t.data_ptr<int64_t>(),
                           ignore_index, static_cast<float>(scale), coef_f.defined() ? coef_f.data_ptr<float>() : nullptr,
                           lse.data_ptr<float>(), nll.data_ptr<float>(), predictions.data_ptr<int64_t>(),
                           logits.device().index(), msft::kernel_stream(logits)),
                       "linear_cross_entropy");
    return;
  }
#endif
  const auto valid = targets.ne(ignore_index);                                  // (r) bool
  const auto safe = at::where(valid, targets, at::zeros_like(targets));         // (r)
  predictions.copy_(logits.argmax(1));
  auto z = logits.to(compute, /*non_blocking=*/false, /*copy=*/true);           // (r, V)
  if (scale != 1.0) z.mul_(scale);
  const auto row_lse = at::logsumexp(z, {1});                                   // (r)
  const auto picked = z.gather(1, safe.unsqueeze(1)).squeeze(1);                // (r)
  lse.copy_(row_lse);
  nll.copy_(at::where(valid, row_lse - picked, at::zeros_like(picked)));
  if (!coef.defined()) return;
  const auto valid_c = valid.to(compute);
  z.sub_(row_lse.unsqueeze(1)).exp_();                                          // softmax
  z.scatter_add_(1, safe.unsqueeze(1), valid_c.neg().unsqueeze(1));             // - onehot
  z.mul_((coef.to(compute) * valid_c * scale).unsqueeze(1));
  logits.copy_(z);
}

// The scaled logits of one chunk in the compute dtype: (h · wᵀ) · scale, the product in the given operands' dtype (as
// the naive head computes it), then widened.
at::Tensor chunk_logits(const at::Tensor& h, const at::Tensor& w, double scale, at::ScalarType compute) {
  auto logits = at::mm(h, w.t()).to(compute);  // (r, v)
  if (scale != 1.0) logits.mul_(scale);
  return logits;
}

// Chunked over rows in the forward. Scalar reductions with gradients wanted (`gradients` bits) compute them in the same
// pass: the coefficients d loss / d nll[i] are known before the loss is (token weight / counted rows), so each chunk's
// logits become their gradient in place (fused kernel) and give the hidden-state rows' gradient and a term of the
// weight gradient right away: three products of the head in all, as the naive head, and backward only scales them by
// the upstream gradient. Otherwise (reduction none, or no gradient wanted) the forward keeps only hidden, weight,
// targets, token weights and the per-row logsumexp and NLL, and backward (any upstream gradient, per row for reduction
// none) recomputes the logits in chunks of vocabulary columns, turns them into softmax - onehot scaled by each row's
// coefficient and gives that slice of the weight gradient in one product over all rows and a term of the hidden
// gradient, accumulated in the compute dtype.
struct LinearCrossEntropyFunction : public torch::autograd::Function<LinearCrossEntropyFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, at::Tensor hidden,
                                                at::Tensor weight, at::Tensor targets, at::Tensor token_weights,
                                                int64_t ignore_index, int64_t reduction, int64_t row_chunk,
                                                int64_t vocab_chunk, double scale, int64_t gradients) {
    const auto n = hidden.size(0);
    const auto compute = compute_type(hidden.scalar_type());
    const auto product = product_type(hidden);
    const auto hc = hidden.to(product);                                         // (N, C)
    const auto wc = weight.to(product);                                         // (V, C)
    auto lse = at::empty({n}, hidden.options().dtype(compute));                 // (N)
    auto nll = at::zeros({n}, hidden.options().dtype(compute));                 // (N)
    auto predictions = at::zeros({n}, hidden.options().dtype(at::kLong));       // (N)
    const auto valid = targets.ne(ignore_index);                                // (N) bool
    const auto tw = token_weights.to(compute);                                  // (N)
    const auto denominator = reduction == kMean ? valid.sum().to(compute).clamp_min(1.0)
                                                : at::ones({}, lse.options());  // ()
    const bool ahead = reduction != kNone && gradients != 0;
    at::Tensor coef, grad_hidden, grad_weight;
    if (ahead) {
      coef = tw * valid.to(compute) / denominator;                              // (N) d loss / d nll[i]
      if (gradients & kGradHidden) grad_hidden = at::empty(hc.sizes(), hc.options());   // (N, C)
      if (gradients & kGradWeight) grad_weight = at::zeros(weight.sizes(), weight.options()); // (V, C)
    }
    const int64_t chunks = std::max<int64_t>(1, (n + row_chunk - 1) / row_chunk);
    const int64_t rows = (n + chunks - 1) / chunks;                             // even chunks
    for (int64_t s = 0; s < n; s += rows) {
      const auto e = std::min(n, s + rows);
      const auto h = hc.slice(0, s, e);                                         // (r, C)
      auto logits = at::mm(h, wc.t());                                          // (r, V)
      chunk_rows(logits, targets.slice(0, s, e), ignore_index, scale, ahead ? coef.slice(0, s, e) : at::Tensor(),
                 lse.slice(0, s, e), nll.slice(0, s, e), predictions.slice(0, s, e), compute);
      if (!ahead) continue;
      if (grad_hidden.defined()) {
        auto rows_out = grad_hidden.slice(0, s, e);
        at::mm_out(rows_out, logits, wc);                                       // (r, C)
      }
      if (grad_weight.defined()) {
        if (grad_weight.scalar_type() == product) {
          grad_weight.addmm_(logits.t(), h);                                    // (V, C)
        } else {
          grad_weight.add_(at::mm(logits.t(), h));                              // product dtype, summed in the weight's
        }
      }
    }
    const auto per_row = nll * tw;                                              // (N)
    at::Tensor loss;
    if (reduction == kNone) {
      loss = per_row;
    } else {
      loss = per_row.sum() / denominator;
    }
    if (ahead) {
      ctx->save_for_backward({nll, denominator});
      ctx->saved_data["grad_hidden"] = grad_hidden;
      ctx->saved_data["grad_weight"] = grad_weight;
    } else {
      ctx->save_for_backward({hidden, weight, targets, token_weights, lse, nll});
    }
    ctx->saved_data["ahead"] = ahead;
    ctx->saved_data["hidden_type"] = static_cast<int64_t>(hidden.scalar_type());
    ctx->saved_data["token_weights_type"] = static_cast<int64_t>(token_weights.scalar_type());
    ctx->saved_data["product_type"] = static_cast<int64_t>(product);
    ctx->saved_data["ignore_index"] = ignore_index;
    ctx->saved_data["reduction"] = reduction;
    ctx->saved_data["vocab_chunk"] = vocab_chunk;
    ctx->saved_data["scale"] = scale;
    auto nll_out = nll.clone();
    ctx->mark_non_differentiable({nll_out, predictions});
    return {loss, nll_out, predictions};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    if (ctx->saved_data["ahead"].toBool()) return backward_ahead(ctx, grads);
    const auto saved = ctx->get_saved_variables();
    const auto& hidden = saved[0];
    const auto& weight = saved[1];
    const auto& targets = saved[2];
    const auto& token_weights = saved[3];
    const auto& lse = saved[4];
    const auto& nll = saved[5];
    const auto ignore_index = ctx->saved_data["ignore_index"].toInt();
    const auto reduction = ctx->saved_data["reduction"].toInt();
    const auto vocab_chunk = ctx->saved_data["vocab_chunk"].toInt();
    const auto scale = ctx->saved_data["scale"].toDouble();
    const auto product = static_cast<at::ScalarType>(ctx->saved_data["product_type"].toInt());
    const auto n = hidden.size(0);
    const auto vocab = weight.size(0);
    const auto compute = lse.scalar_type();
    const auto valid = targets.ne(ignore_index);                                // (N) bool
    const auto valid_c = valid.to(compute);                                     // (N)
    const auto hc = hidden.to(product);                                         // (N, C)
    const auto wc = weight.to(product);                                         // (V, C)

    // d loss / d per_row[i], as an (N) vector whatever the reduction.
    auto upstream = grads[0].defined() ? grads[0].to(compute) : at::zeros({}, lse.options());
    at::Tensor row_grad;                                                        // (N)
    if (reduction == kNone) {
      row_grad = upstream.expand({n});
    } else if (reduction == kSum) {
      row_grad = upstream.expand({n});
    } else {
      row_grad = (upstream / valid.sum().to(compute).clamp_min(1.0)).expand({n});
    }
    const auto coef = row_grad * token_weights.to(compute) * valid_c;            // (N) d loss / d nll[i]

    const bool need_hidden = ctx->needs_input_grad(0);
    const bool need_weight = ctx->needs_input_grad(1);
    const bool need_token_weights = ctx->needs_input_grad(3);
    at::Tensor grad_hidden_acc, grad_weight;
    if (need_hidden) grad_hidden_acc = at::zeros(hidden.sizes(), hidden.options().dtype(compute));  // (N, C)
    if (need_weight) grad_weight = at::empty(weight.sizes(), weight.options());                      // (V, C)
    if (need_hidden || need_weight) {
      const auto row_scale = (coef * scale).unsqueeze(1);                       // (N, 1)
      const auto lse_col = lse.unsqueeze(1);                                    // (N, 1)
      for (int64_t s = 0; s < vocab; s += vocab_chunk) {
        const auto e = std::min(vocab, s + vocab_chunk);
        const auto w = wc.slice(0, s, e);                                       // (v, C)
        auto g = chunk_logits(hc, w, scale, compute);                           // (N, v)
        g.sub_(lse_col).exp_();                                                 // softmax columns s..e
        const auto in_chunk = valid.logical_and(targets.ge(s)).logical_and(targets.lt(e));    // (N)
        const auto local = at::where(in_chunk, targets - s, at::zeros_like(targets));         // (N)
        g.scatter_add_(1, local.unsqueeze(1), in_chunk.to(compute).neg().unsqueeze(1));     // - onehot
        g.mul_(row_scale);                                                      // d loss / d raw logits
        const auto g_in = g.scalar_type() == product ? g : g.to(product);
        if (need_weight) {
          auto slice = grad_weight.slice(0, s, e);
          if (slice.scalar_type() == product) {
            at::mm_out(slice, g_in.t(), hc);                                    // (v, C)
          } else {
            slice.copy_(at::mm(g_in.t(), hc));
          }
        }
        if (need_hidden) {
          if (g_in.scalar_type() == compute) {
            grad_hidden_acc.addmm_(g_in, w);                                    // (N, C)
          } else {
            grad_hidden_acc.add_(at::mm(g_in, w));
          }
        }
      }
    }
    if (n == 0 && need_weight) grad_weight.zero_();

    at::Tensor grad_hidden;
    if (need_hidden) {
      grad_hidden = grad_hidden_acc.scalar_type() == hidden.scalar_type() ? grad_hidden_acc
                                                                           : grad_hidden_acc.to(hidden.scalar_type());
    }
    at::Tensor grad_token_weights;
    if (need_token_weights) grad_token_weights = (row_grad * nll).to(token_weights.scalar_type());
    return gradients_of(grad_hidden, grad_weight, grad_token_weights);
  }

  // Backward of a forward that computed the gradients ahead: they are scaled by the (scalar) upstream gradient.
  static torch::autograd::variable_list backward_ahead(torch::autograd::AutogradContext* ctx,
                                                       torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& nll = saved[0];
    const auto& denominator = saved[1];
    const auto compute = nll.scalar_type();
    const auto upstream = grads[0].defined() ? grads[0].to(compute) : at::zeros({}, nll.options());  // ()
    const auto hidden_type = static_cast<at::ScalarType>(ctx->saved_data["hidden_type"].toInt());
    at::Tensor grad_hidden, grad_weight, grad_token_weights;
    if (ctx->needs_input_grad(0)) {
      const auto ahead = ctx->saved_data["grad_hidden"].toTensor();
      if (!ahead.defined()) throw std::logic_error("linear_cross_entropy: the hidden states' gradient was not computed ahead");
      grad_hidden = ahead.to(hidden_type).mul(upstream);
    }
    if (ctx->needs_input_grad(1)) {
      const auto ahead = ctx->saved_data["grad_weight"].toTensor();
      if (!ahead.defined()) throw std::logic_error("linear_cross_entropy: the weight's gradient was not computed ahead");
      grad_weight = ahead.mul(upstream);
    }
    if (ctx->needs_input_grad(3)) {
      const auto type = static_cast<at::ScalarType>(ctx->saved_data["token_weights_type"].toInt());
      grad_token_weights = (upstream * nll / denominator).to(type);
    }
    return gradients_of(grad_hidden, grad_weight, grad_token_weights);
  }

  // One gradient per forward argument: hidden, weight, targets, token weights, then the six options (none).
  static torch::autograd::variable_list gradients_of(const at::Tensor& hidden, const at::Tensor& weight,
                                                     const at::Tensor& token_weights) {
    return {hidden,       weight,       at::Tensor(), token_weights, at::Tensor(),
            at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(),  at::Tensor()};
  }
};

// Checks the operands and returns the number of rows N.
int64_t check_operands(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& targets,
                       const msft::optional<at::Tensor>& token_weights, int32_t reduction, int64_t row_chunk,
                       int64_t vocab_chunk, double scale) {
  if (hidden.dim() != 2 || weight.dim() != 2 || hidden.size(1) != weight.size(1)) {
    throw std::invalid_argument("linear_cross_entropy expects hidden (N, C) and weight (V, C); got hidden " +
                                c10::str(hidden.sizes()) + " and weight " + c10::str(weight.sizes()) +
                                ". Hint: flatten the hidden states to rows first.");
  }
  const auto n = hidden.size(0);
  if (targets.dim() != 1 || targets.size(0) != n) {
    throw std::invalid_argument("linear_cross_entropy expects targets (N) = (" + std::to_string(n) + "); got " +
                                c10::str(targets.sizes()));
  }
  if (token_weights.has_value() && (token_weights->dim() != 1 || token_weights->size(0) != n)) {
    throw std::invalid_argument("linear_cross_entropy expects token weights (N) = (" + std::to_string(n) +
                                "); got " + c10::str(token_weights->sizes()));
  }
  if (!at::isFloatingType(hidden.scalar_type()) || hidden.scalar_type() != weight.scalar_type()) {
    throw std::invalid_argument(std::string("linear_cross_entropy expects floating hidden states and weight of one "
                                            "dtype; got ") + c10::toString(hidden.scalar_type()) + " and " +
                                c10::toString(weight.scalar_type()));
  }
  if (at::isFloatingType(targets.scalar_type()) || targets.scalar_type() == at::kBool) {
    throw std::invalid_argument(std::string("linear_cross_entropy expects integer targets; got ") +
                                c10::toString(targets.scalar_type()));
  }
  const auto device = hidden.device();
  if (weight.device() != device || targets.device() != device ||
      (token_weights.has_value() && token_weights->device() != device)) {
    throw std::invalid_argument("linear_cross_entropy expects every operand on " + device.str() +
                                " (hidden states' device)");
  }
  if (reduction != kNone && reduction != kMean && reduction != kSum) {
    throw std::invalid_argument("linear_cross_entropy: unknown reduction code " + std::to_string(reduction) +
                                " (0 none, 1 mean, 2 sum)");
  }
  if (row_chunk < 1 || vocab_chunk < 1) {
    throw std::invalid_argument("linear_cross_entropy: chunk sizes must be positive; got rows " +
                                std::to_string(row_chunk) + ", vocabulary " + std::to_string(vocab_chunk));
  }
  if (!(scale > 0.0)) throw std::invalid_argument("linear_cross_entropy: the logit scale must be positive");
  return n;
}

}  // namespace

// Cross-entropy of the logits hidden · weightᵀ · scale against targets, each row's NLL multiplied by its token weight
// (null = 1), rows whose target is ignore_index contributing nothing; reduction 0 none ((N) per row), 1 mean (sum over
// the rows whose target is not ignore_index), 2 sum. Computed in chunks (row_chunk rows forward, vocab_chunk columns
// backward) so the (N, V) logits never exist whole; with a scalar reduction the gradients are computed in the forward
// pass where autograd will want them (three head products in all). Products run in the autocast dtype where autocast is
// on (as the naive head), the softmax statistics and losses in float32 (float64 for double inputs); on CUDA the per-row
// work of a chunk is one fused kernel where the library was built with nvcc (msft_cuda_kernels). Writes three new handles: *loss (differentiable w.r.t. hidden, weight and token weights), *nll ((N) the
// unweighted per-row NLL, 0 at ignored rows, no gradient) and *predictions ((N) int64 argmax of the logits).
MSFT_EXPORT int32_t msft_linear_cross_entropy(msft_tensor hidden, msft_tensor weight, msft_tensor targets,
                                              msft_tensor token_weights, int64_t ignore_index, int32_t reduction,
                                              int64_t row_chunk, int64_t vocab_chunk, double scale, msft_tensor* loss,
                                              msft_tensor* nll, msft_tensor* predictions) {
  MSFT_STATUS({
    if (loss == nullptr || nll == nullptr || predictions == nullptr) {
      throw std::invalid_argument("linear_cross_entropy: null output slot");
    }
    const auto& h = TEN(hidden);
    const auto& w = TEN(weight);
    const auto& t = TEN(targets);
    const auto given = msft::opt(token_weights);
    const auto n = check_operands(h, w, t, given, reduction, row_chunk, vocab_chunk, scale);
    const auto t64 = t.scalar_type() == at::kLong ? t : t.to(at::kLong);
    if (!h.is_cuda() && n > 0) {  // on CUDA an out-of-range target trips gather's device assert instead (no host sync)
      const auto real = t64.ne(ignore_index);
      const auto bad = real.logical_and(t64.lt(0).logical_or(t64.ge(w.size(0))));
      if (bad.any().item<bool>()) {
        const auto at_row = bad.nonzero().select(1, 0)[0].item<int64_t>();
        throw std::invalid_argument("linear_cross_entropy: target " + std::to_string(t64[at_row].item<int64_t>()) +
                                    " at row " + std::to_string(at_row) + " is outside the vocabulary [0, " +
                                    std::to_string(w.size(0)) + ") and is not the ignore index " +
                                    std::to_string(ignore_index));
      }
    }
    const auto tw = given.has_value() ? *given : at::ones({n}, h.options().dtype(compute_type(h.scalar_type())));
    int64_t gradients = 0;  // computed ahead in the forward where autograd will want them
    if (c10::GradMode::is_enabled()) {
      if (h.requires_grad()) gradients |= kGradHidden;
      if (w.requires_grad()) gradients |= kGradWeight;
    }
    auto outputs = LinearCrossEntropyFunction::apply(h, w, t64, tw, ignore_index, static_cast<int64_t>(reduction),
                                                     row_chunk, vocab_chunk, scale, gradients);
    *loss = msft::wrap(outputs[0]);
    *nll = msft::wrap(outputs[1]);
    *predictions = msft::wrap(outputs[2]);
  })
}

// 1 when this library was built with its own CUDA kernels (nvcc found at build time: the fused cross-entropy rows of
// msft_linear_cross_entropy), else 0.
MSFT_EXPORT int32_t msft_cuda_kernels() {
#ifdef MSFT_CUDA_KERNELS
  return 1;
#else
  return 0;
#endif
}
