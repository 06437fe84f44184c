// Per-step work over every parameter in one call (master weights of mixed-precision training): moving gradients into
// accumulators of another dtype and copying one list of tensors into another, without a managed round trip per tensor.
#include "msft.h"

#include <string>
#include <vector>

#ifdef MSFT_CUDA_KERNELS
#include "cuda/multi_tensor_copy.h"
#include "cuda_kernel_calls.h"
#endif

namespace {

void check_pairs(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b, const char* what) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].sizes().equals(b[i].sizes())) {
      throw std::invalid_argument(std::string(what) + ": tensor " + std::to_string(i) + " has shape " +
                                  c10::str(a[i].sizes()) + " but its partner has " + c10::str(b[i].sizes()));
    }
  }
}

#ifdef MSFT_CUDA_KERNELS
// Copies with our multi-tensor kernel when every pair is contiguous CUDA tensors of one device with one (source,
// destination) pair of kernel dtypes: one launch per kCopyBatch tensors. Returns false (nothing copied) otherwise.
bool kernel_copy_all(std::vector<at::Tensor>& into, const std::vector<at::Tensor>& from) {
  if (into.empty()) return false;
  const auto from_type = msft::kernel_element_type(from[0]);
  const auto to_type = msft::kernel_element_type(into[0]);
  if (!from_type || !to_type) return false;
  const auto device = into[0].device();
  for (size_t i = 0; i < into.size(); ++i) {
    if (msft::kernel_element_type(from[i]) != from_type || msft::kernel_element_type(into[i]) != to_type ||
        from[i].device() != device || into[i].device() != device) {
      return false;
    }
  }
  msft::cuda::CopyBatch batch{};
  const auto flush = [&] {
    msft::check_kernel(msft::cuda::multi_tensor_copy(batch, *from_type, *to_type, device.index(),
                                                     msft::kernel_stream(into[0])),
                       "copy_tensors");
    batch.tensors = 0;
  };
  for (size_t i = 0; i < into.size(); ++i) {
    batch.from[batch.tensors] = from[i].data_ptr();
    batch.to[batch.tensors] = into[i].data_ptr();
    batch.count[batch.tensors] = into[i].numel();
    if (++batch.tensors == msft::cuda::kCopyBatch) flush();
  }
  if (batch.tensors > 0) flush();
  return true;
}
#endif

// into[i].copy_(from[i]) for every i: our multi-tensor kernel where it takes the lists (dtype conversion included),
// else libtorch's multi-tensor copy on libtorch 2.2+ (one dtype), else a copy per tensor.
void copy_all(std::vector<at::Tensor>& into, const std::vector<at::Tensor>& from) {
#ifdef MSFT_CUDA_KERNELS
  if (kernel_copy_all(into, from)) return;
#endif
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
    // New accumulator gradients (the first micro-batch of a step) are allocated here and filled by one multi-tensor
    // copy; existing ones get the gradient added.
    std::vector<at::Tensor> fresh, widened;
    for (size_t i = 0; i < from.size(); ++i) {
      auto& source_grad = const_cast<at::Tensor&>(from[i]).mutable_grad();
      if (!source_grad.defined()) continue;
      auto& target = const_cast<at::Tensor&>(into[i]).mutable_grad();
      if (target.defined()) {
        target.add_(source_grad);
      } else {
        target = at::empty(source_grad.sizes(), source_grad.options().dtype(into[i].scalar_type()));
        fresh.push_back(target);
        widened.push_back(source_grad.contiguous());
      }
      source_grad.reset();
    }
    copy_all(fresh, widened);
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
