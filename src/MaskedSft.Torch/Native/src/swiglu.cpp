// The SwiGLU gate of Llama/Qwen MLPs, silu(gate) · up, as one autograd function that keeps only its two inputs for
// backward (autograd of the two ops also kept silu(gate): one more (tokens, intermediate) tensor per layer).
#include "msft.h"

#include <torch/csrc/autograd/custom_function.h>

#include <stdexcept>
#include <string>

#ifdef MSFT_CUDA_KERNELS
#include "cuda/swiglu.h"
#include "cuda_kernel_calls.h"
#endif

namespace {

#ifdef MSFT_CUDA_KERNELS
// The element type of the fused kernels when every tensor has it (contiguous CUDA tensors of one dtype), else none.
std::optional<msft::cuda::ElementType> common_kernel_type(std::initializer_list<const at::Tensor*> tensors) {
  const auto type = msft::kernel_element_type(**tensors.begin());
  for (const auto* t : tensors) {
    if (msft::kernel_element_type(*t) != type) return std::nullopt;
  }
  return type;
}
#endif

// y = silu(g) · u; backward: du = dy · silu(g), dg = silu'(g) · dy · u (silu recomputed from g). On CUDA one fused
// kernel each way where the library has them (float32 math, one rounding: within a unit of the last place of the
// composition, which rounds silu(g) first); elsewhere the ATen ops.
struct SwiGluFunction : public torch::autograd::Function<SwiGluFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, at::Tensor gate, at::Tensor up) {
    ctx->save_for_backward({gate, up});
#ifdef MSFT_CUDA_KERNELS
    if (const auto type = common_kernel_type({&gate, &up})) {
      auto out = at::empty_like(gate);
      msft::check_kernel(msft::cuda::swiglu_forward(gate.data_ptr(), up.data_ptr(), out.data_ptr(), gate.numel(), *type,
                                                    gate.device().index(), msft::kernel_stream(gate)),
                         "swiglu");
      return {out};
    }
#endif
    return {at::silu(gate) * up};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& gate = saved[0];
    const auto& up = saved[1];
    const auto& dy = grads[0];
    at::Tensor grad_gate, grad_up;
#ifdef MSFT_CUDA_KERNELS
    const auto dy_c = dy.contiguous();
    if (const auto type = common_kernel_type({&dy_c, &gate, &up})) {
      if (ctx->needs_input_grad(0)) grad_gate = at::empty_like(gate);
      if (ctx->needs_input_grad(1)) grad_up = at::empty_like(up);
      msft::check_kernel(msft::cuda::swiglu_backward(dy_c.data_ptr(), gate.data_ptr(), up.data_ptr(),
                                                     grad_gate.defined() ? grad_gate.data_ptr() : nullptr,
                                                     grad_up.defined() ? grad_up.data_ptr() : nullptr, gate.numel(), *type,
                                                     gate.device().index(), msft::kernel_stream(gate)),
                         "swiglu");
      return {grad_gate, grad_up};
    }
#endif
    if (ctx->needs_input_grad(0)) grad_gate = at::silu_backward((dy * up).to(gate.scalar_type()), gate);
    if (ctx->needs_input_grad(1)) grad_up = (dy * at::silu(gate)).to(up.scalar_type());
    return {grad_gate, grad_up};
  }
};

}  // namespace

// silu(gate) * up (same shapes) with gradients for both; the values of at::silu(gate) * up.
MSFT_EXPORT msft_tensor msft_swiglu(msft_tensor gate, msft_tensor up) {
  MSFT_GUARD(nullptr, {
    const auto& g = TEN(gate);
    const auto& u = TEN(up);
    if (!g.sizes().equals(u.sizes())) {
      throw std::invalid_argument("swiglu expects gate and up of one shape; got " + c10::str(g.sizes()) + " and " +
                                  c10::str(u.sizes()));
    }
    return msft::wrap(SwiGluFunction::apply(g, u)[0]);
  })
}
