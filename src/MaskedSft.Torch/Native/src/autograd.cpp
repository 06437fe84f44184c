// Autograd: requires_grad, backward, grad, zero_grad, detach, grad mode (no-grad scopes) and gradient-norm clipping.
#include "msft.h"

#include <cmath>
#include <limits>

// 1 when the tensor requires grad, 0 when not, -1 on error.
MSFT_EXPORT int32_t msft_requires_grad(msft_tensor t) { MSFT_GUARD(-1, return TEN(t).requires_grad() ? 1 : 0) }

MSFT_EXPORT int32_t msft_set_requires_grad(msft_tensor t, bool value) {
  MSFT_STATUS(const_cast<at::Tensor&>(TEN(t)).set_requires_grad(value))
}

// 1 when the tensor is a leaf of the autograd graph, 0 when not, -1 on error.
MSFT_EXPORT int32_t msft_is_leaf(msft_tensor t) { MSFT_GUARD(-1, return TEN(t).is_leaf() ? 1 : 0) }

// Makes a non-leaf tensor keep its .grad after backward.
MSFT_EXPORT int32_t msft_retain_grad(msft_tensor t) { MSFT_STATUS(TEN(t).retain_grad()) }

// Back-propagates from t; gradient may be null for a scalar t.
MSFT_EXPORT int32_t msft_backward(msft_tensor t, msft_tensor gradient, bool retain_graph, bool create_graph) {
  MSFT_STATUS({
    const auto& root = TEN(t);
    if (gradient == nullptr && root.numel() != 1) {
      throw std::invalid_argument("backward of a non-scalar tensor " + c10::str(root.sizes()) +
                                  " needs an explicit gradient of the same shape");
    }
    root.backward(gradient != nullptr ? *gradient : at::Tensor(), retain_graph, create_graph);
  })
}

// Writes a new handle to t's gradient into *out, or nullptr when it has none.
MSFT_EXPORT int32_t msft_grad(msft_tensor t, msft_tensor* out) {
  MSFT_STATUS(const auto& g = TEN(t).grad(); *out = g.defined() ? msft::wrap(g) : nullptr)
}

// Replaces t's gradient (null clears it).
MSFT_EXPORT int32_t msft_set_grad(msft_tensor t, msft_tensor grad) {
  MSFT_STATUS(const_cast<at::Tensor&>(TEN(t)).mutable_grad() = grad != nullptr ? *grad : at::Tensor())
}

// Clears t's gradient: drops it when set_to_none, else zeroes it in place.
MSFT_EXPORT int32_t msft_zero_grad(msft_tensor t, bool set_to_none) {
  MSFT_STATUS({
    auto& g = const_cast<at::Tensor&>(TEN(t)).mutable_grad();
    if (!g.defined()) return 0;
    if (set_to_none) {
      g.reset();
    } else {
      if (g.grad_fn()) {
        g = g.detach();
      } else {
        g.requires_grad_(false);
      }
      g.zero_();
    }
  })
}

// A tensor sharing t's storage, cut from the autograd graph.
MSFT_EXPORT msft_tensor msft_detach(msft_tensor t) { MSFT_TENSOR(TEN(t).detach()) }

// 1 when gradients are recorded on this thread, else 0.
MSFT_EXPORT int32_t msft_grad_enabled() { return c10::GradMode::is_enabled() ? 1 : 0; }

// Turns gradient recording on this thread on or off.
MSFT_EXPORT void msft_set_grad_enabled(bool enabled) { c10::GradMode::set_enabled(enabled); }

// Scales the gradients of the given tensors so that their total p-norm is at most max_norm (as
// torch.nn.utils.clip_grad_norm_), and writes the total norm before clipping into *total (NaN/inf are kept).
MSFT_EXPORT int32_t msft_clip_grad_norm(const msft_tensor* handles, int64_t count, double max_norm, double norm_type,
                                        double* total) {
  MSFT_STATUS({
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> grads;
    for (const auto& p : msft::tensors(handles, count)) {
      if (p.grad().defined()) grads.push_back(p.grad());
    }
    if (grads.empty()) {
      *total = 0.0;
      return 0;
    }
    const auto dev = grads.front().device();
    at::Tensor norm;
    if (std::isinf(norm_type)) {
      std::vector<at::Tensor> maxes;
      for (const auto& g : grads) maxes.push_back(g.detach().abs().max().to(dev));
      norm = at::stack(maxes).max();
    } else {
      std::vector<at::Tensor> norms;
      for (const auto& g : grads) norms.push_back(at::norm(g.detach(), norm_type).to(dev));
      norm = at::norm(at::stack(norms), norm_type);
    }
    const auto coef = at::clamp(max_norm / (norm + 1e-6), msft::optional<at::Scalar>(), msft::optional<at::Scalar>(1.0));
    for (auto& g : grads) g.mul_(coef.to(g.device()));
    *total = norm.item<double>();
  })
}
