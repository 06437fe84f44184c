// The SwiGLU gate of Llama/Qwen MLPs, silu(gate) · up, as one autograd function that keeps only its two inputs for
// backward (autograd of the two ops also kept silu(gate): one more (tokens, intermediate) tensor per layer).
#include "msft.h"

#include <torch/csrc/autograd/custom_function.h>

namespace {

// y = silu(g) · u; backward: du = dy · silu(g), dg = silu'(g) · dy · u (silu recomputed from g).
struct SwiGluFunction : public torch::autograd::Function<SwiGluFunction> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, at::Tensor gate, at::Tensor up) {
    ctx->save_for_backward({gate, up});
    return {at::silu(gate) * up};
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& gate = saved[0];
    const auto& up = saved[1];
    const auto& dy = grads[0];
    at::Tensor grad_gate, grad_up;
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
