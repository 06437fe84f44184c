// The fused rotary-embedding kernel (rotary.cu), callable without ATen types; compiled only with MSFT_CUDA_KERNELS.
#pragma once

#include <cstdint>

#include "kernels.h"

namespace msft::cuda {

// The layout of a (B, H, T, D) tensor whose last dimension is contiguous: element (b, h, t, i) at
// b · batch + h · head + t · time + i.
struct RotaryLayout {
  int64_t batch;
  int64_t head;
  int64_t time;
};

// out = x · cos + rotate_half(x) · sin for x (B, H, T, D) (rotate_half(x) = (-x[D/2:], x[:D/2])), tables (B or 1, T, D)
// contiguous (cos_batch_stride T · D, or 0 for one row of tables shared by the batch). `transpose` = true computes the
// input gradient instead: dx = dy · cos + rotate_halfᵀ(dy · sin) (x = dy, out = dx). Float32 math, one rounding per
// output. Returns the CUDA error code of the launch (0 = success).
int rotary_embedding(const void* x, RotaryLayout x_layout, const void* cos, const void* sin, int64_t table_batch_stride,
                     void* out, RotaryLayout out_layout, int64_t batch, int64_t heads, int64_t time, int64_t dim,
                     bool transpose, ElementType type, int device, void* stream);

}  // namespace msft::cuda
