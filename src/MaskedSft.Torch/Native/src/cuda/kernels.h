// What every entry point of our CUDA kernels shares, callable without ATen types: the element types they take and the
// message of the CUDA error code they return. Compiled only with MSFT_CUDA_KERNELS (nvcc).
#pragma once

namespace msft::cuda {

// Element types of the tensors our kernels read and write (float32 math inside).
enum class ElementType : int { Float32 = 0, BFloat16 = 1, Float16 = 2 };

// The message of a CUDA error code an entry point returned (0 = success).
const char* error_string(int code);

}  // namespace msft::cuda
