// Tensor metadata and data movement: rank, shape, dtype, device, host copies, to(device, dtype), contiguous, clone.
#include "msft.h"

#include <cstring>

// Number of dimensions (-1 on error).
MSFT_EXPORT int64_t msft_tensor_dim(msft_tensor t) { MSFT_GUARD(-1, return TEN(t).dim()) }

// Writes up to capacity sizes into shape; returns the rank (-1 on error).
MSFT_EXPORT int64_t msft_tensor_shape(msft_tensor t, int64_t* shape, int64_t capacity) {
  MSFT_GUARD(-1, {
    const auto sizes = TEN(t).sizes();
    const int64_t n = static_cast<int64_t>(sizes.size());
    for (int64_t i = 0; i < n && i < capacity; ++i) shape[i] = sizes[i];
    return n;
  })
}

// Size of one dimension (negative dims count from the end; -1 on error).
MSFT_EXPORT int64_t msft_tensor_size(msft_tensor t, int64_t dim) { MSFT_GUARD(-1, return TEN(t).size(dim)) }

// Number of elements (-1 on error).
MSFT_EXPORT int64_t msft_tensor_numel(msft_tensor t) { MSFT_GUARD(-1, return TEN(t).numel()) }

// dtype code (c10::ScalarType value; -1 on error).
MSFT_EXPORT int32_t msft_tensor_dtype(msft_tensor t) {
  MSFT_GUARD(-1, return static_cast<int32_t>(TEN(t).scalar_type()))
}

// Device type (0 CPU, 1 CUDA, 2 other) and index; returns 0, or -1 on error.
MSFT_EXPORT int32_t msft_tensor_device(msft_tensor t, int32_t* type, int32_t* index) {
  MSFT_STATUS(const auto d = TEN(t).device();
              *type = d.is_cpu() ? 0 : (d.is_cuda() ? 1 : 2);
              *index = d.has_index() ? d.index() : (d.is_cpu() ? -1 : 0))
}

// 1 when the tensor is contiguous, 0 when not, -1 on error.
MSFT_EXPORT int32_t msft_tensor_is_contiguous(msft_tensor t) { MSFT_GUARD(-1, return TEN(t).is_contiguous() ? 1 : 0) }

// Copies the tensor's elements (row-major, made contiguous on the CPU if needed) into nbytes bytes of host memory.
MSFT_EXPORT int32_t msft_tensor_copy_to_buffer(msft_tensor t, void* data, int64_t nbytes) {
  MSFT_STATUS({
    at::NoGradGuard no_grad;
    const auto& src = TEN(t);
    const int64_t expected = static_cast<int64_t>(src.numel()) * static_cast<int64_t>(src.element_size());
    if (expected != nbytes) {
      throw std::invalid_argument("destination holds " + std::to_string(nbytes) + " bytes but the tensor " +
                                  c10::str(src.sizes()) + " of " + std::string(c10::toString(src.scalar_type())) +
                                  " has " + std::to_string(expected));
    }
    if (nbytes == 0) return 0;
    if (data == nullptr) throw std::invalid_argument("null destination pointer");
    msft::count_host_read();
    auto cpu = src.device().is_cpu() ? src.contiguous() : src.to(at::kCPU).contiguous();
    std::memcpy(data, cpu.data_ptr(), static_cast<size_t>(nbytes));
  })
}

// The tensor converted to a device and/or dtype (dtype -1 keeps it; dev_type -1 keeps the device).
MSFT_EXPORT msft_tensor msft_tensor_to(msft_tensor t, int32_t dev_type, int32_t dev_index, int32_t dtype,
                                       bool non_blocking, bool copy) {
  MSFT_GUARD(nullptr, {
    const auto& src = TEN(t);
    const auto dev = dev_type < 0 ? src.device() : msft::device(dev_type, dev_index);
    const auto type = dtype < 0 ? src.scalar_type() : msft::dtype(dtype);
    if (dev.is_cpu() && !src.device().is_cpu()) msft::count_host_read();
    return msft::wrap(src.to(dev, type, non_blocking, copy));
  })
}

// The tensor in contiguous memory (the same tensor when already contiguous).
MSFT_EXPORT msft_tensor msft_tensor_contiguous(msft_tensor t) { MSFT_TENSOR(TEN(t).contiguous()) }

// A copy with its own storage (differentiable).
MSFT_EXPORT msft_tensor msft_tensor_clone(msft_tensor t) { MSFT_TENSOR(TEN(t).clone()) }

// Copies src into dst in place (broadcasting, converting dtype and device).
MSFT_EXPORT int32_t msft_tensor_copy_(msft_tensor dst, msft_tensor src) {
  MSFT_STATUS(const_cast<at::Tensor&>(TEN(dst)).copy_(TEN(src)))
}

// Fills the tensor with a value in place.
MSFT_EXPORT int32_t msft_tensor_fill_(msft_tensor t, double real, int64_t integer, bool is_int) {
  MSFT_STATUS(const_cast<at::Tensor&>(TEN(t)).fill_(msft::scalar(real, integer, is_int)))
}

// Sets every element to zero in place.
MSFT_EXPORT int32_t msft_tensor_zero_(msft_tensor t) { MSFT_STATUS(const_cast<at::Tensor&>(TEN(t)).zero_()) }

// Replaces the data of t by that of src, keeping t's identity (used to move parameters between devices and dtypes).
MSFT_EXPORT int32_t msft_tensor_set_data(msft_tensor t, msft_tensor src) {
  MSFT_STATUS(const_cast<at::Tensor&>(TEN(t)).set_data(TEN(src)))
}
