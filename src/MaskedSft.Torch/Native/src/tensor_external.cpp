// Tensors from external host memory (e.g. a memory-mapped safetensors file): copied straight into a new tensor or into an
// existing one, converting dtype and device on the way, without an intermediate host copy.
#include "msft.h"

#include <string>

namespace {
// A non-owning CPU view of nbytes bytes of host memory as a tensor of the given dtype and shape (the bytes are checked
// against the shape). Valid only while the memory is.
at::Tensor view_external(const void* data, int64_t nbytes, int32_t dtype, const int64_t* shape, int64_t ndim) {
  const auto dims = msft::ints(shape, ndim);
  int64_t count = 1;
  for (auto d : dims) {
    if (d < 0) throw std::invalid_argument("negative dimension in shape " + c10::str(dims));
    count *= d;
  }
  const auto type = msft::dtype(dtype);
  const int64_t expected = count * static_cast<int64_t>(c10::elementSize(type));
  if (expected != nbytes) {
    throw std::invalid_argument("external memory holds " + std::to_string(nbytes) + " bytes but shape " + c10::str(dims) +
                                " of " + std::string(c10::toString(type)) + " needs " + std::to_string(expected));
  }
  const auto options = at::TensorOptions().dtype(type).device(at::kCPU);
  if (count == 0) return at::empty(dims, options);
  if (data == nullptr) throw std::invalid_argument("null data pointer");
  return at::from_blob(const_cast<void*>(data), dims, options);
}
}  // namespace

// A new tensor on the device with dtype dst_dtype (-1: the source dtype), holding a copy of nbytes bytes of host memory
// that store a src_dtype tensor of the given shape. One copy: host memory -> the new tensor (converted on the way).
MSFT_EXPORT msft_tensor msft_tensor_from_external(const void* data, int64_t nbytes, int32_t src_dtype, const int64_t* shape,
                                                  int64_t ndim, int32_t dst_dtype, int32_t dev_type, int32_t dev_index) {
  MSFT_GUARD(nullptr, {
    at::NoGradGuard no_grad;
    const auto view = view_external(data, nbytes, src_dtype, shape, ndim);
    const auto type = dst_dtype < 0 ? view.scalar_type() : msft::dtype(dst_dtype);
    const auto dev = msft::device(dev_type, dev_index);
    return msft::wrap(view.to(dev, type, /*non_blocking=*/false, /*copy=*/true));
  })
}

// Copies nbytes bytes of host memory that store a src_dtype tensor of the given shape into dst (same shape; any dtype and
// device; no autograd), converting on the way.
MSFT_EXPORT int32_t msft_tensor_copy_from_external(msft_tensor dst, const void* data, int64_t nbytes, int32_t src_dtype,
                                                   const int64_t* shape, int64_t ndim) {
  MSFT_STATUS({
    at::NoGradGuard no_grad;
    auto& target = const_cast<at::Tensor&>(TEN(dst));
    const auto view = view_external(data, nbytes, src_dtype, shape, ndim);
    if (target.sizes() != view.sizes()) {
      throw std::invalid_argument("destination shape " + c10::str(target.sizes()) + " differs from the source shape " +
                                  c10::str(view.sizes()));
    }
    target.copy_(view);
  })
}
