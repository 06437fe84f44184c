// Linear layers, x @ weightᵀ + bias: ATen's linear, and on CUDA with a bias (where the library has our kernels, outside
// autocast) one autograd function whose backward sums the bias gradient with our column-sum kernel (the two products
// are autograd's own; ATen's sum over the rows of bfloat16 gradients ran at a quarter of the memory bandwidth).
#include "msft.h"

#include <torch/csrc/autograd/custom_function.h>

#ifdef MSFT_CUDA_KERNELS
#include <ATen/autocast_mode.h>

#include "cuda/column_sums.h"
#include "cuda_kernel_calls.h"
#endif

namespace {

#ifdef MSFT_CUDA_KERNELS
// Whether the fused backward takes the call: CUDA x, weight and bias of one kernel dtype (any layouts), a (out, in)
// weight, a bias of out, and autocast off (autocast casts linear's operands by its own rules).
bool fused(const at::Tensor& x, const at::Tensor& weight, const msft::optional<at::Tensor>& bias) {
  if (!bias.has_value() || !bias->defined() || !x.is_cuda() || x.dim() < 1 || weight.dim() != 2 || bias->dim() != 1) {
    return false;
  }
  if (x.scalar_type() != weight.scalar_type() || bias->scalar_type() != x.scalar_type()) return false;
  const auto type = x.scalar_type();
  if ((type != at::kFloat && type != at::kBFloat16 && type != at::kHalf) || x.size(-1) != weight.size(1) ||
      bias->size(0) != weight.size(0)) {
    return false;
  }
  return !at::autocast::is_autocast_enabled(at::kCUDA);
}

// y = x @ weightᵀ + bias (forward: ATen's linear, cuBLASLt's bias epilogue); backward: dx = dy @ weight,
// dweight = dyᵀ @ x over the flattened rows, dbias = the column sums of dy (our kernel, float32 sums, one rounding).
struct LinearFunction : public torch::autograd::Function<LinearFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, at::Tensor x, at::Tensor weight,
                                                at::Tensor bias) {
    ctx->save_for_backward({x, weight});
    return {at::linear(x, weight, bias)};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& weight = saved[1];
    const auto out = weight.size(0);
    const auto dy = grads[0].to(x.scalar_type()).reshape({-1, out}).contiguous();  // (N, out)
    at::Tensor grad_x, grad_weight, grad_bias;
    if (ctx->needs_input_grad(0)) grad_x = dy.mm(weight).view(x.sizes());
    if (ctx->needs_input_grad(1)) grad_weight = dy.t().mm(x.reshape({-1, weight.size(1)}));
    if (ctx->needs_input_grad(2)) {
      const auto rows = dy.size(0);
      const int device = dy.device().index();
      auto partials = at::empty({msft::cuda::column_sum_partials(rows, out, device), out}, dy.options().dtype(at::kFloat));
      msft::check_kernel(msft::cuda::column_sums(dy.data_ptr(), partials.data_ptr<float>(), rows, out,
                                                 *msft::kernel_element_type(dy), device, msft::kernel_stream(dy)),
                         "linear");
      grad_bias = msft::finish_partial_rows(partials, {out}, dy, "linear");
    }
    return {grad_x, grad_weight, grad_bias};
  }
};
#endif

}  // namespace

// x @ weight^T + bias (bias may be null): ATen's linear, or on CUDA with a bias the function above where it takes the
// call (the same values; the bias gradient summed in float32 in another order).
MSFT_EXPORT msft_tensor msft_linear(msft_tensor x, msft_tensor weight, msft_tensor bias) {
  MSFT_GUARD(nullptr, {
    const auto& input = TEN(x);
    const auto& w = TEN(weight);
    const auto b = msft::opt(bias);
#ifdef MSFT_CUDA_KERNELS
    if (fused(input, w, b)) return msft::wrap(LinearFunction::apply(input, w, *b)[0]);
#endif
    return msft::wrap(at::linear(input, w, b));
  })
}
