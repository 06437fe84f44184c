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

namespace {
// The total p-norm of a list of tensors as a 0-d float32 tensor on the first one's device, without a host read:
// one multi-tensor norm kernel per dtype and device on CUDA (_foreach_norm), then the norm of the per-tensor norms.
at::Tensor total_norm(const std::vector<at::Tensor>& tensors, double norm_type) {
  at::NoGradGuard no_grad;
  const auto dev = tensors.front().device();
  std::vector<at::Tensor> parts;
  parts.reserve(tensors.size());
  if (std::isinf(norm_type)) {
    for (const auto& t : tensors) parts.push_back(t.detach().abs().max().to(dev, at::kFloat));
    return at::stack(parts).max();
  }
  std::vector<at::Tensor> detached;
  detached.reserve(tensors.size());
  for (const auto& t : tensors) detached.push_back(t.detach());
  for (auto& n : at::_foreach_norm(detached, norm_type)) parts.push_back(n.to(dev, at::kFloat));
  return at::norm(at::stack(parts), norm_type);
}

std::vector<at::Tensor> grads_of(const msft_tensor* handles, int64_t count) {
  std::vector<at::Tensor> grads;
  for (const auto& p : msft::tensors(handles, count)) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  return grads;
}

// Scales the gradients so that their total norm is at most max_norm (torch.nn.utils.clip_grad_norm_'s coefficient,
// min(1, max_norm / (norm + 1e-6))) and returns the norm before clipping, all on the device.
at::Tensor clip_on_device(std::vector<at::Tensor>& grads, double max_norm, double norm_type) {
  at::NoGradGuard no_grad;
  auto norm = total_norm(grads, norm_type);
  if (std::isinf(max_norm) && max_norm > 0) return norm;  // no clipping asked for: the norm alone
  const auto coef = at::clamp(max_norm / (norm + 1e-6), msft::optional<at::Scalar>(), msft::optional<at::Scalar>(1.0));
#if (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1) || TORCH_VERSION_MAJOR > 2
  bool same = true;
  for (const auto& g : grads) same = same && g.device() == coef.device();
  if (same) {
    at::_foreach_mul_(grads, coef);
    return norm;
  }
#endif
  for (auto& g : grads) g.mul_(coef.to(g.device()));
  return norm;
}
}  // namespace

// Scales the gradients of the given tensors so that their total p-norm is at most max_norm (as
// torch.nn.utils.clip_grad_norm_), and writes the total norm before clipping into *total (NaN/inf are kept).
// Reads the norm back to the host (one host read); msft_clip_grad_norm_device does not.
MSFT_EXPORT int32_t msft_clip_grad_norm(const msft_tensor* handles, int64_t count, double max_norm, double norm_type,
                                        double* total) {
  MSFT_STATUS({
    auto grads = grads_of(handles, count);
    if (grads.empty()) {
      *total = 0.0;
      return 0;
    }
    const auto norm = clip_on_device(grads, max_norm, norm_type);
    msft::count_host_read();
    *total = norm.item<double>();
  })
}

// The same clipping without any host read: returns the total norm before clipping as a 0-d float32 tensor on the
// gradients' device (a 0 on the CPU when no parameter has a gradient). max_norm = +inf only measures the norm.
MSFT_EXPORT msft_tensor msft_clip_grad_norm_device(const msft_tensor* handles, int64_t count, double max_norm,
                                                   double norm_type) {
  MSFT_GUARD(nullptr, {
    auto grads = grads_of(handles, count);
    if (grads.empty()) return msft::wrap(at::zeros({}, at::kFloat));
    return msft::wrap(clip_on_device(grads, max_norm, norm_type));
  })
}

// The total p-norm of the given tensors (e.g. the parameters) as a 0-d float32 tensor on the first one's device, with
// multi-tensor kernels and no host read.
MSFT_EXPORT msft_tensor msft_total_norm(const msft_tensor* handles, int64_t count, double norm_type) {
  MSFT_GUARD(nullptr, {
    auto tensors = msft::tensors(handles, count);
    if (tensors.empty()) throw std::invalid_argument("total_norm needs at least one tensor");
    return msft::wrap(total_norm(tensors, norm_type));
  })
}
