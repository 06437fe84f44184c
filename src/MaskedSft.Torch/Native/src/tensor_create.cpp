// Tensor creation: from host buffers, constant fills, ranges, identity, *_like.
#include "msft.h"

#include <cstring>

namespace {
at::TensorOptions options(int32_t dtype, int32_t dev_type, int32_t dev_index) {
  return at::TensorOptions().dtype(msft::dtype(dtype)).device(msft::device(dev_type, dev_index));
}

// dtype -1 keeps the source tensor's dtype.
at::TensorOptions like_options(const at::Tensor& t, int32_t dtype) {
  auto o = t.options();
  if (dtype >= 0) o = o.dtype(msft::dtype(dtype));
  return o;
}
}  // namespace

// A tensor of the given dtype and shape holding a copy of nbytes bytes of host memory, placed on the device.
MSFT_EXPORT msft_tensor msft_tensor_from_buffer(const void* data, int64_t nbytes, int32_t dtype, const int64_t* shape,
                                                int64_t ndim, int32_t dev_type, int32_t dev_index) {
  MSFT_GUARD(nullptr, {
    const auto dims = msft::ints(shape, ndim);
    for (auto d : dims) {
      if (d < 0) throw std::invalid_argument("negative dimension in shape " + c10::str(dims));
    }
    const auto type = msft::dtype(dtype);
    const auto dev = msft::device(dev_type, dev_index);
    // For a device, stage in pinned host memory and copy asynchronously: the host does not wait for the device's queue
    // (the caching host allocator keeps the staging block until the copy is done).
    auto cpu = at::empty(dims, at::TensorOptions().dtype(type).pinned_memory(dev.is_cuda()));
    const int64_t expected = static_cast<int64_t>(cpu.nbytes());
    if (expected != nbytes) {
      throw std::invalid_argument("buffer holds " + std::to_string(nbytes) + " bytes but shape " + c10::str(dims) +
                                  " of " + std::string(c10::toString(type)) + " needs " + std::to_string(expected));
    }
    if (nbytes > 0) {
      if (data == nullptr) throw std::invalid_argument("null data pointer");
      std::memcpy(cpu.data_ptr(), data, static_cast<size_t>(nbytes));
    }
    return msft::wrap(dev.is_cpu() ? cpu : cpu.to(dev, /*non_blocking=*/true));
  })
}

// An uninitialized tensor.
MSFT_EXPORT msft_tensor msft_empty(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dev_type,
                                   int32_t dev_index) {
  MSFT_TENSOR(at::empty(msft::ints(shape, ndim), options(dtype, dev_type, dev_index)))
}

// A tensor of zeros.
MSFT_EXPORT msft_tensor msft_zeros(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dev_type,
                                   int32_t dev_index) {
  MSFT_TENSOR(at::zeros(msft::ints(shape, ndim), options(dtype, dev_type, dev_index)))
}

// A tensor of ones.
MSFT_EXPORT msft_tensor msft_ones(const int64_t* shape, int64_t ndim, int32_t dtype, int32_t dev_type,
                                  int32_t dev_index) {
  MSFT_TENSOR(at::ones(msft::ints(shape, ndim), options(dtype, dev_type, dev_index)))
}

// A tensor filled with one value.
MSFT_EXPORT msft_tensor msft_full(const int64_t* shape, int64_t ndim, double real, int64_t integer, bool is_int,
                                  int32_t dtype, int32_t dev_type, int32_t dev_index) {
  MSFT_TENSOR(at::full(msft::ints(shape, ndim), msft::scalar(real, integer, is_int), options(dtype, dev_type, dev_index)))
}

// A 0-d tensor holding one value.
MSFT_EXPORT msft_tensor msft_scalar_tensor(double real, int64_t integer, bool is_int, int32_t dtype, int32_t dev_type,
                                           int32_t dev_index) {
  MSFT_TENSOR(at::scalar_tensor(msft::scalar(real, integer, is_int), options(dtype, dev_type, dev_index)))
}

// Values start, start+step, ... below end.
MSFT_EXPORT msft_tensor msft_arange(double start, double end, double step, int32_t dtype, int32_t dev_type,
                                    int32_t dev_index) {
  MSFT_GUARD(nullptr, {
    const auto o = options(dtype, dev_type, dev_index);
    if (at::isIntegralType(o.dtype().toScalarType(), /*includeBool=*/false)) {
      return msft::wrap(at::arange(static_cast<int64_t>(start), static_cast<int64_t>(end), static_cast<int64_t>(step), o));
    }
    return msft::wrap(at::arange(start, end, step, o));
  })
}

// count evenly spaced values from start to end inclusive.
MSFT_EXPORT msft_tensor msft_linspace(double start, double end, int64_t count, int32_t dtype, int32_t dev_type,
                                      int32_t dev_index) {
  MSFT_TENSOR(at::linspace(start, end, count, options(dtype, dev_type, dev_index)))
}

// An n x m identity matrix.
MSFT_EXPORT msft_tensor msft_eye(int64_t n, int64_t m, int32_t dtype, int32_t dev_type, int32_t dev_index) {
  MSFT_TENSOR(at::eye(n, m, options(dtype, dev_type, dev_index)))
}

// Zeros shaped like t (dtype -1 keeps t's dtype).
MSFT_EXPORT msft_tensor msft_zeros_like(msft_tensor t, int32_t dtype) {
  MSFT_TENSOR(at::zeros_like(TEN(t), like_options(TEN(t), dtype)))
}

// Ones shaped like t (dtype -1 keeps t's dtype).
MSFT_EXPORT msft_tensor msft_ones_like(msft_tensor t, int32_t dtype) {
  MSFT_TENSOR(at::ones_like(TEN(t), like_options(TEN(t), dtype)))
}

// A value shaped like t (dtype -1 keeps t's dtype).
MSFT_EXPORT msft_tensor msft_full_like(msft_tensor t, double real, int64_t integer, bool is_int, int32_t dtype) {
  MSFT_TENSOR(at::full_like(TEN(t), msft::scalar(real, integer, is_int), like_options(TEN(t), dtype)))
}
