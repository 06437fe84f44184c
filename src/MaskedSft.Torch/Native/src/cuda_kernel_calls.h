// The libtorch side of calling our CUDA kernels (cuda/*.h): which tensors they take, the stream they run on, and their
// errors as exceptions. Only with MSFT_CUDA_KERNELS (nvcc found at build time).
#pragma once

#ifdef MSFT_CUDA_KERNELS
#include <ATen/ATen.h>
#include <c10/cuda/CUDAStream.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "cuda/column_sums.h"
#include "cuda/kernels.h"

namespace msft {

// The kernels' element type of a contiguous CUDA tensor of float32, bfloat16 or float16; none for any other tensor.
inline std::optional<cuda::ElementType> kernel_element_type(const at::Tensor& t) {
  if (!t.is_cuda() || !t.is_contiguous()) return std::nullopt;
  switch (t.scalar_type()) {
    case at::kFloat:
      return cuda::ElementType::Float32;
    case at::kBFloat16:
      return cuda::ElementType::BFloat16;
    case at::kHalf:
      return cuda::ElementType::Float16;
    default:
      return std::nullopt;
  }
}

// libtorch's current stream of the tensor's device (a cudaStream_t), where our kernels run.
inline void* kernel_stream(const at::Tensor& t) { return c10::cuda::getCurrentCUDAStream(t.device().index()).stream(); }

// Throws when a kernel's entry point returned a CUDA error code.
inline void check_kernel(int code, const char* operation) {
  if (code != 0) {
    throw std::runtime_error(std::string(operation) + ": the fused CUDA kernel failed: " + cuda::error_string(code));
  }
}

// The column sums of `partials` ((chunks, cols) float32, the partial rows of our strip sums) rounded once into a new
// tensor of `shape` (cols elements) with the dtype and device of `like`, in one launch.
inline at::Tensor finish_partial_rows(const at::Tensor& partials, at::IntArrayRef shape, const at::Tensor& like,
                                      const char* operation) {
  auto out = at::empty(shape, like.options());
  check_kernel(cuda::finish_partials(partials.data_ptr<float>(), partials.size(0), partials.size(1), out.data_ptr(),
                                     *kernel_element_type(out), like.device().index(), kernel_stream(like)),
               operation);
  return out;
}

}  // namespace msft
#endif
