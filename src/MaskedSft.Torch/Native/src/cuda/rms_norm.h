// The fused RMS-normalization kernels (rms_norm.cu), callable without ATen types; compiled only with MSFT_CUDA_KERNELS.
#pragma once

#include <cstdint>

#include "kernels.h"

namespace msft::cuda {

// The largest row width the kernels take (the backward keeps a float32 weight-gradient row per block in shared memory).
constexpr int64_t kRmsNormMaxColumns = 12288;

// The number of partial weight-gradient rows rms_norm_backward writes for `rows` rows (its workspace is that many rows
// of `cols` float32 values, to be summed over its first dimension).
int64_t rms_norm_backward_partials(int64_t rows, int device);

// y = round(x · r) · w per row of `cols` contiguous elements (w null: no weight), r = 1/sqrt(mean(x²) + eps) in float32
// written to rstd (rows floats). Float32 math; the normalized row is rounded to the element type before the weight
// multiplies it, as the ATen composition does. Returns the CUDA error code of the launch (0 = success).
int rms_norm_forward(const void* x, const void* weight, void* y, float* rstd, int64_t rows, int64_t cols, double eps,
                     ElementType type, int device, void* stream);

// With x̂ = x · r and g = round(dy · w) (dy without a weight): dx = r · (g - x̂ · mean(g · x̂)) per row, and (weight_partials
// not null) the partial sums of dy · round(x̂) over the rows each block took into weight_partials
// (rms_norm_backward_partials(rows) rows of `cols` floats). dx null: not computed. Returns the CUDA error code.
int rms_norm_backward(const void* dy, const void* x, const void* weight, const float* rstd, void* dx,
                      float* weight_partials, int64_t rows, int64_t cols, ElementType type, int device, void* stream);

}  // namespace msft::cuda
