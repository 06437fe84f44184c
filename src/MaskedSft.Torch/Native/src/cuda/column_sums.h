// The column-sum kernel (column_sums.cu): the bias gradient of a linear layer, callable without ATen types; compiled only
// with MSFT_CUDA_KERNELS.
#pragma once

#include <cstdint>

#include "kernels.h"

namespace msft::cuda {

// How many partial rows column_sums writes for a (rows, cols) matrix on `device` (its workspace: that many rows of
// `cols` float32 values, to be summed over the first dimension).
int64_t column_sum_partials(int64_t rows, int64_t cols, int device);

// Sums the columns of a contiguous (rows, cols) matrix in float32 into column_sum_partials(rows, cols) partial rows (a
// fixed split of the rows: deterministic). Returns the CUDA error code of the launch (0 = success).
int column_sums(const void* x, float* partials, int64_t rows, int64_t cols, ElementType type, int device, void* stream);

}  // namespace msft::cuda

namespace msft::cuda {

// out[c] = Σ over the `chunks` partial rows of partials[·, c], rounded once to the element type: the last step of the
// strip sums (column_sums, the normalizations' parameter gradients) in one launch instead of a float32 sum and a cast.
// Returns the CUDA error code of the launch (0 = success).
int finish_partials(const float* partials, int64_t chunks, int64_t cols, void* out, ElementType type, int device,
                    void* stream);

}  // namespace msft::cuda
