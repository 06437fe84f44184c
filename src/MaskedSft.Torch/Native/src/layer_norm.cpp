// Layer normalization: ATen's layer_norm, and on CUDA (where the library has our kernels, outside autocast) one autograd
// function over our row-normalization kernels (cuda/row_norm.cu): one pass forward, one for the input gradient and one
// by column strips for the weight and bias gradients (ATen's kernel for those cost more than its input gradient at
// GPT-2's shapes on the H200).
#include "msft.h"

#include <torch/csrc/autograd/custom_function.h>

#ifdef MSFT_CUDA_KERNELS
#include <ATen/autocast_mode.h>
#include <c10/util/accumulate.h>

#include <optional>

#include "cuda/row_norm.h"
#include "cuda_kernel_calls.h"
#endif

namespace {

#ifdef MSFT_CUDA_KERNELS
// The kernels' element type when they take this call: contiguous CUDA x of a kernel dtype normalized over its trailing
// dimensions (the normalized shape equal to them, no wider than the kernels' limit), weight and bias (each optional) of
// that shape and dtype, contiguous, and autocast off (under autocast layer_norm runs in float32 by ATen's rules).
std::optional<msft::cuda::ElementType> fused_type(const at::Tensor& x, at::IntArrayRef shape,
                                                  const msft::optional<at::Tensor>& weight,
                                                  const msft::optional<at::Tensor>& bias) {
  const auto type = msft::kernel_element_type(x);
  const auto ndim = static_cast<int64_t>(shape.size());
  if (!type || ndim == 0 || ndim > x.dim() || x.numel() == 0) return std::nullopt;
  if (!x.sizes().slice(static_cast<size_t>(x.dim() - ndim)).equals(shape)) return std::nullopt;
  if (c10::multiply_integers(shape) > msft::cuda::kRowNormMaxColumns) return std::nullopt;
  for (const auto* p : {&weight, &bias}) {
    if (p->has_value() && p->value().defined() &&
        (msft::kernel_element_type(p->value()) != type || !p->value().sizes().equals(shape))) {
      return std::nullopt;
    }
  }
  if (at::autocast::is_autocast_enabled(at::kCUDA)) return std::nullopt;
  return type;
}

// y = (x - mean) · r · weight + bias per row (r = 1/sqrt(var + eps), float32 math, one rounding); backward from the
// saved input, means and 1/std. `weight` and `bias` are empty tensors when absent.
struct LayerNormFunction : public torch::autograd::Function<LayerNormFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, at::Tensor x, at::Tensor weight,
                                                at::Tensor bias, int64_t cols, double eps) {
    const auto type = *msft::kernel_element_type(x);
    const int64_t rows = x.numel() / cols;
    auto y = at::empty_like(x);
    auto mean = at::empty({rows}, x.options().dtype(at::kFloat));
    auto rstd = at::empty({rows}, x.options().dtype(at::kFloat));
    msft::check_kernel(msft::cuda::row_norm_forward(msft::cuda::RowNorm::Layer, x.data_ptr(),
                                                    weight.numel() > 0 ? weight.data_ptr() : nullptr,
                                                    bias.numel() > 0 ? bias.data_ptr() : nullptr, y.data_ptr(),
                                                    mean.data_ptr<float>(), rstd.data_ptr<float>(), rows, cols, eps, type,
                                                    x.device().index(), msft::kernel_stream(x)),
                       "layer_norm");
    ctx->save_for_backward({x, weight, mean, rstd});
    ctx->saved_data["cols"] = cols;
    ctx->saved_data["bias"] = bias.numel() > 0;
    ctx->saved_data["shape"] = (weight.numel() > 0 ? weight : bias).sizes().vec();  // the parameters' shape
    return {y};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& weight = saved[1];
    const auto& mean = saved[2];
    const auto& rstd = saved[3];
    const auto cols = ctx->saved_data["cols"].toInt();
    const bool has_bias = ctx->saved_data["bias"].toBool();
    const bool has_weight = weight.numel() > 0;
    const auto shape = ctx->saved_data["shape"].toIntVector();
    const auto dy = grads[0].to(x.scalar_type()).contiguous();
    const int64_t rows = x.numel() / cols;
    const int device = x.device().index();
    const auto partial_rows = msft::cuda::row_norm_backward_partials(rows, cols, device);
    const auto floats = x.options().dtype(at::kFloat);
    at::Tensor grad_x, weight_partials, bias_partials;
    if (ctx->needs_input_grad(0)) grad_x = at::empty_like(x);
    if (has_weight && ctx->needs_input_grad(1)) weight_partials = at::empty({partial_rows, cols}, floats);
    if (has_bias && ctx->needs_input_grad(2)) bias_partials = at::empty({partial_rows, cols}, floats);
    msft::check_kernel(
        msft::cuda::row_norm_backward(msft::cuda::RowNorm::Layer, dy.data_ptr(), x.data_ptr(),
                                      has_weight ? weight.data_ptr() : nullptr, mean.data_ptr<float>(),
                                      rstd.data_ptr<float>(), grad_x.defined() ? grad_x.data_ptr() : nullptr,
                                      weight_partials.defined() ? weight_partials.data_ptr<float>() : nullptr,
                                      bias_partials.defined() ? bias_partials.data_ptr<float>() : nullptr, rows, cols,
                                      *msft::kernel_element_type(x), device, msft::kernel_stream(x)),
        "layer_norm");
    at::Tensor grad_weight, grad_bias;  // the partial rows summed and rounded to the parameters' dtype
    if (weight_partials.defined()) grad_weight = msft::finish_partial_rows(weight_partials, shape, x, "layer_norm");
    if (bias_partials.defined()) grad_bias = msft::finish_partial_rows(bias_partials, shape, x, "layer_norm");
    return {grad_x, grad_weight, grad_bias, at::Tensor(), at::Tensor()};
  }
};
#endif

}  // namespace

// Layer normalization over the trailing dimensions of the given shape (weight and bias may be null): ATen's layer_norm,
// or on CUDA our fused kernels (the same values within float32 summation order) where they take the call.
MSFT_EXPORT msft_tensor msft_layer_norm(msft_tensor x, const int64_t* shape, int64_t ndim, msft_tensor weight,
                                        msft_tensor bias, double eps) {
  MSFT_GUARD(nullptr, {
    const auto& input = TEN(x);
    const auto normalized = msft::ints(shape, ndim);
    const auto w = msft::opt(weight);
    const auto b = msft::opt(bias);
#ifdef MSFT_CUDA_KERNELS
    if (fused_type(input, normalized, w, b)) {
      const auto none = at::empty({0}, input.options());
      const auto cols = c10::multiply_integers(normalized);
      return msft::wrap(LayerNormFunction::apply(input, w.has_value() && w->defined() ? *w : none,
                                                 b.has_value() && b->defined() ? *b : none, cols, eps)[0]);
    }
#endif
    return msft::wrap(at::layer_norm(input, normalized, w, b, eps));
  })
}
