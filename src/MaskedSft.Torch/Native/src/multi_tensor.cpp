// Per-step work over every parameter in one call (master weights of mixed-precision training): moving gradients into
// accumulators of another dtype and copying one list of tensors into another, without a managed round trip per tensor.
#include "msft.h"

#include <string>
#include <vector>

namespace {

void check_pairs(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b, const char* what) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].sizes().equals(b[i].sizes())) {
      throw std::invalid_argument(std::string(what) + ": tensor " + std::to_string(i) + " has shape " +
                                  c10::str(a[i].sizes()) + " but its partner has " + c10::str(b[i].sizes()));
    }
  }
}

// into[i].copy_(from[i]) for every i, as one multi-tensor copy on libtorch 2.2+.
void copy_all(std::vector<at::Tensor>& into, const std::vector<at::Tensor>& from) {
#if (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 2) || TORCH_VERSION_MAJOR > 2
  if (!into.empty()) {
    at::_foreach_copy_(into, from);
    return;
  }
#endif
  for (size_t i = 0; i < into.size(); ++i) into[i].copy_(from[i]);
}

}  // namespace

// For each i: the gradient of sources[i] (skipped when it has none) is added into the gradient of accumulators[i]
// (converted to the accumulator's dtype; a new gradient when it has none yet) and then dropped from sources[i]. No
// gradient is recorded; no host synchronization.
MSFT_EXPORT int32_t msft_move_gradients(const msft_tensor* sources, const msft_tensor* accumulators, int64_t count) {
  MSFT_STATUS({
    const auto from = msft::tensors(sources, count);
    const auto into = msft::tensors(accumulators, count);
    check_pairs(from, into, "move_gradients");
    at::NoGradGuard no_grad;
    for (size_t i = 0; i < from.size(); ++i) {
      auto& source_grad = const_cast<at::Tensor&>(from[i]).mutable_grad();
      if (!source_grad.defined()) continue;
      auto& target = const_cast<at::Tensor&>(into[i]).mutable_grad();
      if (target.defined()) {
        target.add_(source_grad);
      } else {
        target = source_grad.to(into[i].scalar_type(), /*non_blocking=*/false, /*copy=*/true);
      }
      source_grad.reset();
    }
  })
}

// destinations[i].copy_(sources[i]) for every i (dtype conversion included; e.g. float32 masters rounded into bfloat16
// weights), with libtorch's multi-tensor copy where it has one; no gradient is recorded.
MSFT_EXPORT int32_t msft_copy_tensors(const msft_tensor* destinations, const msft_tensor* sources, int64_t count) {
  MSFT_STATUS({
    auto into = msft::tensors(destinations, count);
    const auto from = msft::tensors(sources, count);
    check_pairs(into, from, "copy_tensors");
    at::NoGradGuard no_grad;
    copy_all(into, from);
  })
}
