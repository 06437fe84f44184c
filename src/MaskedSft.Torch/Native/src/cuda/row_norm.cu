// Row normalizations (RMSNorm of Llama/Qwen, LayerNorm of GPT-2): a warp per row keeps the row in registers (rows up to
// 32 · MAXP packs), computes its statistics with warp shuffles and writes the normalized, affine row; backward writes the
// input gradient the same way (no cross-row state, so the kernel stays light on registers and occupancy high) and sums
// the weight and bias gradients in a second kernel by column strips (column_strips.cuh). An earlier single kernel summed
// them per lane in registers across each warp's rows: its register use held occupancy to a quarter and it ran at a
// third of the memory bandwidth on the H200; per-element shared-memory atomics were slower still.
#include "row_norm.h"

#include "column_strips.cuh"
#include "elements.cuh"

#include <cuda_runtime.h>

#include <cstdint>

namespace msft::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;

using detail::from_float;
using detail::aligned16;
using detail::Pack;
using detail::to_float;

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

template <class T>
__device__ __forceinline__ float rounded(float v) {
  return to_float(from_float<T>(v));
}

// Calls f(j, p) for the packs p of this lane: p = lane + 32 j for j < MAXP (registers slot j), or every 32nd pack from
// the lane's when MAXP = 0 (rows too wide for registers; slot 0).
template <int MAXP, class F>
__device__ __forceinline__ void each_pack(int lane, int64_t packs, F&& f) {
  if constexpr (MAXP > 0) {
#pragma unroll
    for (int j = 0; j < MAXP; ++j) {
      const int64_t p = lane + 32LL * j;
      if (p < packs) f(j, p);
    }
  } else {
    for (int64_t p = lane; p < packs; p += 32) f(0, p);
  }
}

constexpr int slots(int maxp) { return maxp > 0 ? maxp : 1; }

// g = dy · w of one element: rounded to the element type for RMS (as the composition's product is), float32 for
// layer normalization (as ATen's backward computes it).
template <RowNorm KIND, class T>
__device__ __forceinline__ float weighted_upstream(float dy, T w) {
  return KIND == RowNorm::Rms ? rounded<T>(dy * to_float(w)) : dy * to_float(w);
}

template <RowNorm KIND, class T, int VEC, int MAXP>
__global__ void row_norm_forward_kernel(const T* __restrict__ x, const T* __restrict__ weight, const T* __restrict__ bias,
                                        T* __restrict__ y, float* __restrict__ mean_out, float* __restrict__ rstd_out,
                                        int64_t rows, int64_t cols, float eps) {
  using P = Pack<T, VEC>;
  const int lane = threadIdx.x % 32;
  const int64_t packs = cols / VEC;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kWarps;
  const auto* wp = reinterpret_cast<const P*>(weight);
  const auto* bp = reinterpret_cast<const P*>(bias);
  const float inv_cols = 1.0f / static_cast<float>(cols);
  for (int64_t row = blockIdx.x * static_cast<int64_t>(kWarps) + threadIdx.x / 32; row < rows; row += warps) {
    const auto* xr = reinterpret_cast<const P*>(x + row * cols);
    auto* yr = reinterpret_cast<P*>(y + row * cols);
    P cache[slots(MAXP)];
    float sum = 0.0f;
    each_pack<MAXP>(lane, packs, [&](int j, int64_t p) {
      const P v = xr[p];
      if constexpr (MAXP > 0) cache[j] = v;
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const float f = to_float(v.v[k]);
        sum += KIND == RowNorm::Rms ? f * f : f;
      }
    });
    float mean = 0.0f, r;
    if constexpr (KIND == RowNorm::Rms) {
      r = rsqrtf(warp_sum(sum) * inv_cols + eps);
    } else {
      mean = warp_sum(sum) * inv_cols;
      float squares = 0.0f;  // second pass over the centred values (no cancellation)
      each_pack<MAXP>(lane, packs, [&](int j, int64_t p) {
        const P v = MAXP > 0 ? cache[j] : xr[p];
#pragma unroll
        for (int k = 0; k < VEC; ++k) {
          const float d = to_float(v.v[k]) - mean;
          squares += d * d;
        }
      });
      r = rsqrtf(warp_sum(squares) * inv_cols + eps);
      if (lane == 0) mean_out[row] = mean;
    }
    if (lane == 0) rstd_out[row] = r;
    each_pack<MAXP>(lane, packs, [&](int j, int64_t p) {
      const P v = MAXP > 0 ? cache[j] : xr[p];
      P w, b;
      if (wp != nullptr) w = wp[p];
      if (bp != nullptr) b = bp[p];
      P o;
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        float h = (to_float(v.v[k]) - mean) * r;
        if constexpr (KIND == RowNorm::Rms) {
          if (wp != nullptr) h = rounded<T>(h) * to_float(w.v[k]);
        } else {
          if (wp != nullptr) h *= to_float(w.v[k]);
          if (bp != nullptr) h += to_float(b.v[k]);
        }
        o.v[k] = from_float<T>(h);
      }
      yr[p] = o;
    });
  }
}

// The input gradient: a warp per row (the row and its upstream gradient in registers for up to MAXP packs a lane).
template <RowNorm KIND, class T, int VEC, int MAXP>
__global__ void row_norm_input_grad_kernel(const T* __restrict__ dy, const T* __restrict__ x, const T* __restrict__ weight,
                                           const float* __restrict__ mean_in, const float* __restrict__ rstd,
                                           T* __restrict__ dx, int64_t rows, int64_t cols) {
  using P = Pack<T, VEC>;
  const int lane = threadIdx.x % 32;
  const int64_t packs = cols / VEC;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kWarps;
  const auto* wp = reinterpret_cast<const P*>(weight);
  const float inv_cols = 1.0f / static_cast<float>(cols);
  for (int64_t row = blockIdx.x * static_cast<int64_t>(kWarps) + threadIdx.x / 32; row < rows; row += warps) {
    const auto* xr = reinterpret_cast<const P*>(x + row * cols);
    const auto* dyr = reinterpret_cast<const P*>(dy + row * cols);
    const float r = rstd[row];
    const float mean = KIND == RowNorm::Layer ? mean_in[row] : 0.0f;
    P xc[slots(MAXP)], dc[slots(MAXP)];
    float sum_g = 0.0f, sum_gx = 0.0f;  // Σ g, Σ g · x̂
    each_pack<MAXP>(lane, packs, [&](int j, int64_t p) {
      const P xv = xr[p];
      const P dv = dyr[p];
      if constexpr (MAXP > 0) {
        xc[j] = xv;
        dc[j] = dv;
      }
      P wv;
      if (wp != nullptr) wv = wp[p];
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const float xhat = (to_float(xv.v[k]) - mean) * r;
        const float d = to_float(dv.v[k]);
        const float g = wp != nullptr ? weighted_upstream<KIND, T>(d, wv.v[k]) : d;
        sum_g += g;
        sum_gx += g * xhat;
      }
    });
    const float mean_gx = warp_sum(sum_gx) * inv_cols;
    const float mean_g = KIND == RowNorm::Layer ? warp_sum(sum_g) * inv_cols : 0.0f;
    auto* dxr = reinterpret_cast<P*>(dx + row * cols);
    each_pack<MAXP>(lane, packs, [&](int j, int64_t p) {
      const P xv = MAXP > 0 ? xc[j] : xr[p];
      const P dv = MAXP > 0 ? dc[j] : dyr[p];
      P wv;
      if (wp != nullptr) wv = wp[p];
      P o;
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const float xhat = (to_float(xv.v[k]) - mean) * r;
        const float d = to_float(dv.v[k]);
        const float g = wp != nullptr ? weighted_upstream<KIND, T>(d, wv.v[k]) : d;
        o.v[k] = from_float<T>(r * (g - mean_g - xhat * mean_gx));
      }
      dxr[p] = o;
    });
  }
}

// The weight and bias gradients by column strips (column_strips.cuh): Σ dy · x̂ (x̂ rounded for RMS, as the forward
// multiplied it) and Σ dy over the rows, partial rows per row chunk.
template <RowNorm KIND, class T, int VEC>
__global__ void row_norm_param_grad_kernel(const T* __restrict__ dy, const T* __restrict__ x,
                                           const float* __restrict__ mean_in, const float* __restrict__ rstd,
                                           float* weight_partials, float* bias_partials, int64_t rows, int64_t cols,
                                           int64_t rows_per_chunk) {
  float* const out[2] = {weight_partials, bias_partials};
  detail::strip_sums<VEC, 2>(rows, cols, rows_per_chunk, out, [&](int64_t row, int64_t pack, float(&acc)[2][VEC]) {
    const auto xv = *reinterpret_cast<const Pack<T, VEC>*>(x + row * cols + pack * VEC);
    const auto dv = *reinterpret_cast<const Pack<T, VEC>*>(dy + row * cols + pack * VEC);
    const float r = rstd[row];
    const float mean = KIND == RowNorm::Layer ? mean_in[row] : 0.0f;
#pragma unroll
    for (int k = 0; k < VEC; ++k) {
      const float xhat = (to_float(xv.v[k]) - mean) * r;
      const float d = to_float(dv.v[k]);
      acc[0][k] += d * (KIND == RowNorm::Rms ? rounded<T>(xhat) : xhat);
      acc[1][k] += d;
    }
  });
}

unsigned forward_blocks(int64_t rows) { return detail::grid_blocks(rows, kWarps, 65535); }

// Registers per lane for a row of `packs` packs: 4 or 8 slots, or 0 (wider rows: read from memory in each pass).
int register_slots(int64_t packs) {
  const int64_t per_lane = (packs + 31) / 32;
  return per_lane <= 4 ? 4 : per_lane <= 8 ? 8 : 0;
}

template <RowNorm KIND, class T, int VEC>
void forward_with(const void* x, const void* weight, const void* bias, void* y, float* mean, float* rstd, int64_t rows,
                  int64_t cols, float eps, cudaStream_t stream) {
  const auto* xt = static_cast<const T*>(x);
  const auto* wt = static_cast<const T*>(weight);
  const auto* bt = static_cast<const T*>(bias);
  auto* yt = static_cast<T*>(y);
  const auto blocks = forward_blocks(rows);
  switch (register_slots(cols / VEC)) {
    case 4:
      row_norm_forward_kernel<KIND, T, VEC, 4><<<blocks, kThreads, 0, stream>>>(xt, wt, bt, yt, mean, rstd, rows, cols, eps);
      break;
    case 8:
      row_norm_forward_kernel<KIND, T, VEC, 8><<<blocks, kThreads, 0, stream>>>(xt, wt, bt, yt, mean, rstd, rows, cols, eps);
      break;
    default:
      row_norm_forward_kernel<KIND, T, VEC, 0><<<blocks, kThreads, 0, stream>>>(xt, wt, bt, yt, mean, rstd, rows, cols, eps);
  }
}

template <RowNorm KIND, class T, int VEC>
void backward_with(const void* dy, const void* x, const void* weight, const float* mean, const float* rstd, void* dx,
                   float* weight_partials, float* bias_partials, int64_t rows, int64_t cols, int device,
                   cudaStream_t stream) {
  const auto* dyt = static_cast<const T*>(dy);
  const auto* xt = static_cast<const T*>(x);
  const auto* wt = static_cast<const T*>(weight);
  auto* dxt = static_cast<T*>(dx);
  if (dxt != nullptr) {
    const auto blocks = forward_blocks(rows);
    switch (register_slots(cols / VEC)) {
      case 4:
        row_norm_input_grad_kernel<KIND, T, VEC, 4><<<blocks, kThreads, 0, stream>>>(dyt, xt, wt, mean, rstd, dxt, rows, cols);
        break;
      case 8:
        row_norm_input_grad_kernel<KIND, T, VEC, 8><<<blocks, kThreads, 0, stream>>>(dyt, xt, wt, mean, rstd, dxt, rows, cols);
        break;
      default:
        row_norm_input_grad_kernel<KIND, T, VEC, 0><<<blocks, kThreads, 0, stream>>>(dyt, xt, wt, mean, rstd, dxt, rows, cols);
    }
  }
  if (weight_partials != nullptr || bias_partials != nullptr) {
    const auto chunks = detail::strip_chunks(rows, cols, device);
    row_norm_param_grad_kernel<KIND, T, VEC><<<detail::strip_grid(cols / VEC, chunks), detail::strip_block(), 0, stream>>>(
        dyt, xt, mean, rstd, weight_partials, bias_partials, rows, cols, (rows + chunks - 1) / chunks);
  }
}

// 16-byte packs when the row width and every pointer allow them, else single elements.
template <RowNorm KIND, class T>
void forward(const void* x, const void* weight, const void* bias, void* y, float* mean, float* rstd, int64_t rows,
             int64_t cols, float eps, cudaStream_t stream) {
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));
  if (cols % kVec == 0 && aligned16(x) && aligned16(weight) && aligned16(bias) && aligned16(y)) {
    forward_with<KIND, T, kVec>(x, weight, bias, y, mean, rstd, rows, cols, eps, stream);
  } else {
    forward_with<KIND, T, 1>(x, weight, bias, y, mean, rstd, rows, cols, eps, stream);
  }
}

template <RowNorm KIND, class T>
void backward(const void* dy, const void* x, const void* weight, const float* mean, const float* rstd, void* dx,
              float* weight_partials, float* bias_partials, int64_t rows, int64_t cols, int device, cudaStream_t stream) {
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));
  if (cols % kVec == 0 && aligned16(dy) && aligned16(x) && aligned16(weight) && aligned16(dx)) {
    backward_with<KIND, T, kVec>(dy, x, weight, mean, rstd, dx, weight_partials, bias_partials, rows, cols, device, stream);
  } else {
    backward_with<KIND, T, 1>(dy, x, weight, mean, rstd, dx, weight_partials, bias_partials, rows, cols, device, stream);
  }
}

}  // namespace

int64_t row_norm_backward_partials(int64_t rows, int64_t cols, int device) {
  return detail::strip_chunks(rows, cols, device);
}

int row_norm_forward(RowNorm kind, const void* x, const void* weight, const void* bias, void* y, float* mean, float* rstd,
                     int64_t rows, int64_t cols, double eps, ElementType type, int device, void* stream) {
  if (rows <= 0 || cols <= 0) return 0;
  const auto s = static_cast<cudaStream_t>(stream);
  const auto e = static_cast<float>(eps);
  return detail::launch_for(type, device, [&](auto element) {
    using T = decltype(element);
    if (kind == RowNorm::Rms) forward<RowNorm::Rms, T>(x, weight, bias, y, mean, rstd, rows, cols, e, s);
    else forward<RowNorm::Layer, T>(x, weight, bias, y, mean, rstd, rows, cols, e, s);
  });
}

int row_norm_backward(RowNorm kind, const void* dy, const void* x, const void* weight, const float* mean, const float* rstd,
                      void* dx, float* weight_partials, float* bias_partials, int64_t rows, int64_t cols, ElementType type,
                      int device, void* stream) {
  if (rows <= 0 || cols <= 0) return 0;
  const auto s = static_cast<cudaStream_t>(stream);
  return detail::launch_for(type, device, [&](auto element) {
    using T = decltype(element);
    if (kind == RowNorm::Rms) {
      backward<RowNorm::Rms, T>(dy, x, weight, mean, rstd, dx, weight_partials, bias_partials, rows, cols, device, s);
    } else {
      backward<RowNorm::Layer, T>(dy, x, weight, mean, rstd, dx, weight_partials, bias_partials, rows, cols, device, s);
    }
  });
}

}  // namespace msft::cuda
