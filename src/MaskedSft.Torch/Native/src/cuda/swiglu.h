// The fused SwiGLU kernels (swiglu.cu), callable without ATen types; compiled only with MSFT_CUDA_KERNELS (nvcc).
#pragma once

#include <cstdint>

#include "kernels.h"

namespace msft::cuda {

// out = silu(gate) · up over n contiguous elements of one element type on CUDA device `device` (float32 math, one
// rounding). Returns the CUDA error code of the launch (0 = success).
int swiglu_forward(const void* gate, const void* up, void* out, int64_t n, ElementType type, int device, void* stream);

// grad_gate = grad_out · up · silu'(gate) and grad_up = grad_out · silu(gate) (either output may be null: not computed)
// over n contiguous elements, in one pass. Returns the CUDA error code of the launch (0 = success).
int swiglu_backward(const void* grad_out, const void* gate, const void* up, void* grad_gate, void* grad_up, int64_t n,
                    ElementType type, int device, void* stream);

}  // namespace msft::cuda
