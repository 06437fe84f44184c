// RMS normalization as one autograd function: saves the input and the per-row 1/rms only, where the composition of ATen
// ops saved a float32 copy of the input and of the normalized rows (about 5 bytes per element more for bf16 models).
#include "msft.h"

#include <torch/csrc/autograd/custom_function.h>

#include <string>
#include <vector>

#ifdef MSFT_CUDA_KERNELS
#include <c10/util/accumulate.h>

#include <optional>

#include "cuda/row_norm.h"
#include "cuda_kernel_calls.h"
#endif

namespace {

// The last ndim dimensions of a tensor of rank `rank`, as negative indices.
std::vector<int64_t> trailing_dims(int64_t ndim) {
  std::vector<int64_t> dims;
  for (int64_t i = 1; i <= ndim; ++i) dims.push_back(-i);
  return dims;
}

// The dtype of the statistics: float32 for half types, else the input's.
at::ScalarType statistics_type(const at::Tensor& x) {
  const auto type = x.scalar_type();
  return type == at::kHalf || type == at::kBFloat16 ? at::kFloat : type;
}

#ifdef MSFT_CUDA_KERNELS
// The fused kernels' element type when they take this call: contiguous CUDA x (and weight, if any) of one kernel dtype and
// rows no wider than the kernels' limit; else none (the ATen ops run).
std::optional<msft::cuda::ElementType> fused_type(const at::Tensor& x, const at::Tensor& weight, int64_t cols) {
  const auto type = msft::kernel_element_type(x);
  if (!type || cols > msft::cuda::kRowNormMaxColumns) return std::nullopt;
  if (weight.numel() > 0 && msft::kernel_element_type(weight) != type) return std::nullopt;
  return type;
}
#endif

// y = (x / sqrt(mean(x²) + eps)) · weight over the last ndim dimensions; half inputs are normalized in float32 and cast
// back before the weight is applied (as Llama/Qwen do). On CUDA one fused kernel each way where the library has them
// (the same roundings; the sums in another order). Backward: with x̂ = x · r (r = 1/rms, float32),
// dx = r · (g - x̂ · mean(g · x̂)) for g = dy · weight, and dweight = Σ over the leading dimensions of dy · x̂ (the x̂
// rounded as in the forward).
struct RmsNormFunction : public torch::autograd::Function<RmsNormFunction> {
  // `weight` is an empty tensor when there is none (autograd functions take no undefined tensor arguments).
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, at::Tensor x, at::Tensor weight,
                                                int64_t ndim, double eps) {
    const bool weighted = weight.numel() > 0;
    const auto dims = trailing_dims(ndim);
    const auto stats = statistics_type(x);
    ctx->saved_data["ndim"] = ndim;
    ctx->saved_data["weighted"] = weighted;
#ifdef MSFT_CUDA_KERNELS
    const int64_t cols = x.numel() == 0 ? 0 : c10::multiply_integers(x.sizes().slice(static_cast<size_t>(x.dim() - ndim)));
    if (const auto type = cols > 0 ? fused_type(x, weight, cols) : std::nullopt) {
      auto stat_shape = x.sizes().vec();
      for (int64_t i = x.dim() - ndim; i < x.dim(); ++i) stat_shape[static_cast<size_t>(i)] = 1;
      auto rstd = at::empty(stat_shape, x.options().dtype(at::kFloat));  // (..., 1, ...) float
      auto y = at::empty_like(x);
      msft::check_kernel(msft::cuda::row_norm_forward(msft::cuda::RowNorm::Rms, x.data_ptr(),
                                                      weighted ? weight.data_ptr() : nullptr, nullptr, y.data_ptr(), nullptr,
                                                      rstd.data_ptr<float>(), x.numel() / cols, cols, eps, *type,
                                                      x.device().index(), msft::kernel_stream(x)),
                         "rms_norm");
      ctx->save_for_backward({x, weight, rstd});
      return {y};
    }
#endif
    const auto xf = x.to(stats);
    const auto rstd = at::rsqrt(xf.square().mean(dims, /*keepdim=*/true).add_(eps));  // (..., 1, ...) float
    auto y = xf.mul(rstd).to(x.scalar_type());
    if (weighted) y = y * weight;
    ctx->save_for_backward({x, weight, rstd});
    return {y};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& weight = saved[1];
    const auto& rstd = saved[2];
    const auto ndim = ctx->saved_data["ndim"].toInt();
    const bool weighted = ctx->saved_data["weighted"].toBool();
    const auto dims = trailing_dims(ndim);
    const auto stats = rstd.scalar_type();
    const auto& dy = grads[0];
    at::Tensor grad_x, grad_weight;
#ifdef MSFT_CUDA_KERNELS
    const int64_t cols = x.numel() == 0 ? 0 : x.numel() / rstd.numel();
    const auto dy_c = dy.contiguous();
    if (const auto type = cols > 0 && rstd.scalar_type() == at::kFloat && msft::kernel_element_type(dy_c) ==
                                                                                  msft::kernel_element_type(x)
                              ? fused_type(x, weight, cols)
                              : std::nullopt) {
      const int64_t rows = x.numel() / cols;
      const int device = x.device().index();
      at::Tensor partials;
      if (weighted && ctx->needs_input_grad(1)) {
        partials = at::empty({msft::cuda::row_norm_backward_partials(rows, cols, device), cols}, x.options().dtype(at::kFloat));
      }
      if (ctx->needs_input_grad(0)) grad_x = at::empty_like(x);
      msft::check_kernel(msft::cuda::row_norm_backward(msft::cuda::RowNorm::Rms, dy_c.data_ptr(), x.data_ptr(),
                                                       weighted ? weight.data_ptr() : nullptr, nullptr, rstd.data_ptr<float>(),
                                                       grad_x.defined() ? grad_x.data_ptr() : nullptr,
                                                       partials.defined() ? partials.data_ptr<float>() : nullptr, nullptr, rows,
                                                       cols, *type, device, msft::kernel_stream(x)),
                         "rms_norm");
      // The partial rows summed and rounded to the weight's dtype.
      if (partials.defined()) grad_weight = msft::finish_partial_rows(partials, weight.sizes(), weight, "rms_norm");
      return {grad_x, grad_weight, at::Tensor(), at::Tensor()};
    }
#endif
    const auto xhat = x.to(stats).mul(rstd);                                    // float
    if (weighted && ctx->needs_input_grad(1)) {
      std::vector<int64_t> leading;
      for (int64_t i = 0; i < x.dim() - ndim; ++i) leading.push_back(i);
      const auto rounded = xhat.to(x.scalar_type()).to(stats);                  // x̂ as the forward multiplied it
      auto sum = dy.to(stats).mul(rounded);
      if (!leading.empty()) sum = sum.sum(leading);
      grad_weight = sum.reshape(weight.sizes()).to(weight.scalar_type());
    }
    if (ctx->needs_input_grad(0)) {
      const auto g = (weighted ? dy * weight : dy).to(stats);
      const auto inner = g.mul(xhat).mean(dims, /*keepdim=*/true);
      grad_x = g.sub(xhat.mul(inner)).mul_(rstd).to(x.scalar_type());
    }
    return {grad_x, grad_weight, at::Tensor(), at::Tensor()};
  }
};

}  // namespace

// RMS normalization over the last ndim dimensions: x / sqrt(mean(x^2) + eps) * weight (weight null = none). Half and
// bfloat16 inputs are normalized in float32 and cast back before the weight is applied (as Llama/Qwen do). One autograd
// function (the same values as the ATen composition, on libtorch 1.13 and 2.x) that keeps only the input and the
// per-row 1/rms for backward.
MSFT_EXPORT msft_tensor msft_rms_norm(msft_tensor x, int64_t ndim, msft_tensor weight, double eps) {
  MSFT_GUARD(nullptr, {
    const auto& input = TEN(x);
    if (ndim <= 0 || ndim > input.dim()) {
      throw std::invalid_argument("rms_norm: ndim " + std::to_string(ndim) + " out of range for input " +
                                  c10::str(input.sizes()));
    }
    auto w = at::empty({0}, input.options());  // none
    if (weight != nullptr) {
      w = *weight;
      const auto trailing = input.sizes().slice(static_cast<size_t>(input.dim() - ndim));
      if (!w.sizes().equals(trailing)) {
        throw std::invalid_argument("rms_norm: weight " + c10::str(w.sizes()) + " must have the normalized shape " +
                                    c10::str(trailing) + " of input " + c10::str(input.sizes()));
      }
    }
    return msft::wrap(RmsNormFunction::apply(input, w, ndim, eps)[0]);
  })
}
