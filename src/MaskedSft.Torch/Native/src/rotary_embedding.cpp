// Rotary position embeddings of queries and keys, x · cos + rotate_half(x) · sin: on CUDA one autograd function over a
// fused kernel each way (where the library has them), elsewhere the ATen composition (the same values within a rounding).
#include "msft.h"

#include <torch/csrc/autograd/custom_function.h>

#include <optional>
#include <stdexcept>
#include <string>

#ifdef MSFT_CUDA_KERNELS
#include "cuda/rotary.h"
#include "cuda_kernel_calls.h"
#endif

namespace {

// rotate_half(x) = (-x[..., D/2:], x[..., :D/2]).
at::Tensor rotate_half(const at::Tensor& x) {
  const auto half = x.size(-1) / 2;
  return at::cat({x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)}, -1);
}

// x (B, H, T, D), tables (B', T, D) → x · cos + rotate_half(x) · sin, through autograd's ops.
at::Tensor composed(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  return x.mul(cos.unsqueeze(1)).add(rotate_half(x).mul(sin.unsqueeze(1)));
}

#ifdef MSFT_CUDA_KERNELS
msft::cuda::RotaryLayout layout_of(const at::Tensor& t) {  // (B, H, T, D) with a contiguous last dimension
  return {t.stride(0), t.stride(1), t.stride(2)};
}

// An output for x: (B, T, H, D) memory seen as (B, H, T, D) when x is such a transposed view (the projections' layout),
// else contiguous (B, H, T, D).
at::Tensor output_like(const at::Tensor& x) {
  if (x.transpose(1, 2).is_contiguous()) {
    return at::empty({x.size(0), x.size(2), x.size(1), x.size(3)}, x.options()).transpose(1, 2);
  }
  return at::empty(x.sizes(), x.options());
}

// Runs the kernel on x (forward) or dy (transpose = true) into a new tensor.
at::Tensor rotate(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, bool transpose,
                  msft::cuda::ElementType type) {
  auto out = output_like(x);
  const int64_t table_batch = cos.size(0) == 1 ? 0 : cos.stride(0);
  msft::check_kernel(msft::cuda::rotary_embedding(x.data_ptr(), layout_of(x), cos.data_ptr(), sin.data_ptr(), table_batch,
                                                  out.data_ptr(), layout_of(out), x.size(0), x.size(1), x.size(2),
                                                  x.size(3), transpose, type, x.device().index(), msft::kernel_stream(x)),
                     "rotary_embedding");
  return out;
}

// The kernels' element type when they take these tensors: CUDA x with a contiguous last dimension, contiguous tables of
// x's dtype, an even head width, and tables without gradients (they get none here); else none.
std::optional<msft::cuda::ElementType> fused_type(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  if (!x.is_cuda() || x.stride(3) != 1 || x.size(3) % 2 != 0 || cos.requires_grad() || sin.requires_grad()) {
    return std::nullopt;
  }
  const auto type = msft::kernel_element_type(cos);
  if (!type || msft::kernel_element_type(sin) != type || cos.scalar_type() != x.scalar_type()) return std::nullopt;
  return type;
}

// y = x · cos + rotate_half(x) · sin; dx = dy · cos + rotate_halfᵀ(dy · sin). Saves only the tables.
struct RotaryFunction : public torch::autograd::Function<RotaryFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, at::Tensor x, at::Tensor cos,
                                                at::Tensor sin) {
    ctx->save_for_backward({cos, sin});
    return {rotate(x, cos, sin, /*transpose=*/false, *fused_type(x, cos, sin))};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& cos = saved[0];
    const auto& sin = saved[1];
    auto dy = grads[0];
    if (dy.stride(3) != 1) dy = dy.contiguous();
    const auto type = msft::kernel_element_type(cos);
    at::Tensor dx;
    if (dy.scalar_type() == cos.scalar_type()) {
      dx = rotate(dy, cos, sin, /*transpose=*/true, *type);
    } else {  // an upstream gradient of another dtype: the composition's transpose
      const auto s = dy.mul(sin.unsqueeze(1));
      const auto half = s.size(-1) / 2;
      dx = dy.mul(cos.unsqueeze(1)).add(at::cat({s.narrow(-1, half, half), s.narrow(-1, 0, half).neg()}, -1));
    }
    return {dx, at::Tensor(), at::Tensor()};
  }
};
#endif

}  // namespace

// x (B, H, T, D) rotated by the tables cos and sin (B or 1, T, D): x · cos + rotate_half(x) · sin (Llama/Qwen's RoPE),
// differentiable in x (the tables get no gradient on CUDA's fused path).
MSFT_EXPORT msft_tensor msft_rotary_embedding(msft_tensor x, msft_tensor cos, msft_tensor sin) {
  MSFT_GUARD(nullptr, {
    const auto& input = TEN(x);
    const auto& c = TEN(cos);
    const auto& s = TEN(sin);
    const bool shapes = input.dim() == 4 && c.dim() == 3 && c.sizes().equals(s.sizes()) &&
                        (c.size(0) == input.size(0) || c.size(0) == 1) && c.size(1) == input.size(2) &&
                        c.size(2) == input.size(3) && input.size(3) % 2 == 0;
    if (!shapes) {
      throw std::invalid_argument("rotary_embedding expects x (B, H, T, D) with D even and tables (B or 1, T, D); got x " +
                                  c10::str(input.sizes()) + ", cos " + c10::str(c.sizes()) + ", sin " +
                                  c10::str(s.sizes()));
    }
#ifdef MSFT_CUDA_KERNELS
    if (fused_type(input, c, s)) return msft::wrap(RotaryFunction::apply(input, c, s)[0]);
#endif
    return msft::wrap(composed(input, c, s));
  })
}
