// RMS normalization of Llama/Qwen in one pass each way: a warp per row computes the row's 1/rms and writes the normalized,
// weighted row; backward writes the input gradient and accumulates the weight gradient per block in shared memory (the
// ATen composition takes six kernels forward and a dozen back, each a full pass over the activations).
#include "rms_norm.h"

#include "elements.cuh"

#include <cuda_runtime.h>

#include <cstdint>

namespace msft::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;

using detail::from_float;
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

// One warp per row (rows strided over the grid); VEC elements per access.
template <class T, int VEC>
__global__ void rms_norm_forward_kernel(const T* __restrict__ x, const T* __restrict__ weight, T* __restrict__ y,
                                        float* __restrict__ rstd, int64_t rows, int64_t cols, float eps) {
  const int lane = threadIdx.x % 32;
  const int64_t packs = cols / VEC;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kWarps;
  for (int64_t row = blockIdx.x * static_cast<int64_t>(kWarps) + threadIdx.x / 32; row < rows; row += warps) {
    const auto* xr = reinterpret_cast<const Pack<T, VEC>*>(x + row * cols);
    auto* yr = reinterpret_cast<Pack<T, VEC>*>(y + row * cols);
    float sum = 0.0f;
    for (int64_t p = lane; p < packs; p += 32) {
      const auto v = xr[p];
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const float f = to_float(v.v[k]);
        sum += f * f;
      }
    }
    const float r = rsqrtf(warp_sum(sum) / static_cast<float>(cols) + eps);
    if (lane == 0) rstd[row] = r;
    const auto* wr = reinterpret_cast<const Pack<T, VEC>*>(weight);
    for (int64_t p = lane; p < packs; p += 32) {
      const auto v = xr[p];
      Pack<T, VEC> o;
      if (wr != nullptr) {
        const auto w = wr[p];
#pragma unroll
        for (int k = 0; k < VEC; ++k) o.v[k] = from_float<T>(rounded<T>(to_float(v.v[k]) * r) * to_float(w.v[k]));
      } else {
#pragma unroll
        for (int k = 0; k < VEC; ++k) o.v[k] = from_float<T>(to_float(v.v[k]) * r);
      }
      yr[p] = o;
    }
  }
}

template <class T, int VEC>
__global__ void rms_norm_backward_kernel(const T* __restrict__ dy, const T* __restrict__ x, const T* __restrict__ weight,
                                         const float* __restrict__ rstd, T* __restrict__ dx,
                                         float* __restrict__ weight_partials, int64_t rows, int64_t cols) {
  extern __shared__ float dw[];  // (cols) this block's weight-gradient sums
  const bool want_dw = weight_partials != nullptr;
  if (want_dw) {
    for (int64_t c = threadIdx.x; c < cols; c += kThreads) dw[c] = 0.0f;
    __syncthreads();
  }
  const int lane = threadIdx.x % 32;
  const int64_t packs = cols / VEC;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * kWarps;
  const auto* wr = reinterpret_cast<const Pack<T, VEC>*>(weight);
  for (int64_t row = blockIdx.x * static_cast<int64_t>(kWarps) + threadIdx.x / 32; row < rows; row += warps) {
    const auto* xr = reinterpret_cast<const Pack<T, VEC>*>(x + row * cols);
    const auto* dyr = reinterpret_cast<const Pack<T, VEC>*>(dy + row * cols);
    const float r = rstd[row];
    float inner = 0.0f;  // Σ g · x̂
    for (int64_t p = lane; p < packs; p += 32) {
      const auto xv = xr[p];
      const auto dv = dyr[p];
      Pack<T, VEC> wv;
      if (wr != nullptr) wv = wr[p];
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const float xhat = to_float(xv.v[k]) * r;
        const float d = to_float(dv.v[k]);
        const float g = wr != nullptr ? rounded<T>(d * to_float(wv.v[k])) : d;
        inner += g * xhat;
        if (want_dw) atomicAdd(&dw[p * VEC + k], d * rounded<T>(xhat));
      }
    }
    if (dx == nullptr) continue;
    const float mean = warp_sum(inner) / static_cast<float>(cols);
    auto* dxr = reinterpret_cast<Pack<T, VEC>*>(dx + row * cols);
    for (int64_t p = lane; p < packs; p += 32) {
      const auto xv = xr[p];
      const auto dv = dyr[p];
      Pack<T, VEC> wv;
      if (wr != nullptr) wv = wr[p];
      Pack<T, VEC> o;
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const float xhat = to_float(xv.v[k]) * r;
        const float d = to_float(dv.v[k]);
        const float g = wr != nullptr ? rounded<T>(d * to_float(wv.v[k])) : d;
        o.v[k] = from_float<T>(r * (g - xhat * mean));
      }
      dxr[p] = o;
    }
  }
  if (want_dw) {
    __syncthreads();
    for (int64_t c = threadIdx.x; c < cols; c += kThreads) weight_partials[blockIdx.x * cols + c] = dw[c];
  }
}

bool aligned16(const void* p) { return p == nullptr || reinterpret_cast<uintptr_t>(p) % 16 == 0; }

unsigned forward_blocks(int64_t rows) {
  const int64_t wanted = (rows + kWarps - 1) / kWarps;
  return static_cast<unsigned>(wanted < 65535 ? (wanted > 0 ? wanted : 1) : 65535);
}

// The backward's grid: enough blocks to fill the device twice over, fewer for small inputs (each block writes a partial
// weight-gradient row, so their number is also the workspace's height).
unsigned backward_blocks(int64_t rows, int device) {
  int sms = 0;
  if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess || sms <= 0) sms = 80;
  const int64_t wanted = (rows + kWarps - 1) / kWarps;
  const int64_t cap = 2LL * sms;
  return static_cast<unsigned>(wanted < cap ? (wanted > 0 ? wanted : 1) : cap);
}

template <class T>
void forward(const void* x, const void* weight, void* y, float* rstd, int64_t rows, int64_t cols, float eps,
             cudaStream_t stream) {
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));
  const auto* xt = static_cast<const T*>(x);
  const auto* wt = static_cast<const T*>(weight);
  auto* yt = static_cast<T*>(y);
  if (cols % kVec == 0 && aligned16(x) && aligned16(weight) && aligned16(y)) {
    rms_norm_forward_kernel<T, kVec><<<forward_blocks(rows), kThreads, 0, stream>>>(xt, wt, yt, rstd, rows, cols, eps);
  } else {
    rms_norm_forward_kernel<T, 1><<<forward_blocks(rows), kThreads, 0, stream>>>(xt, wt, yt, rstd, rows, cols, eps);
  }
}

template <class T>
void backward(const void* dy, const void* x, const void* weight, const float* rstd, void* dx, float* weight_partials,
              int64_t rows, int64_t cols, int device, cudaStream_t stream) {
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));
  const auto* dyt = static_cast<const T*>(dy);
  const auto* xt = static_cast<const T*>(x);
  const auto* wt = static_cast<const T*>(weight);
  auto* dxt = static_cast<T*>(dx);
  const auto blocks = backward_blocks(rows, device);
  const size_t shared = weight_partials != nullptr ? static_cast<size_t>(cols) * sizeof(float) : 0;
  if (cols % kVec == 0 && aligned16(dy) && aligned16(x) && aligned16(weight) && aligned16(dx)) {
    rms_norm_backward_kernel<T, kVec><<<blocks, kThreads, shared, stream>>>(dyt, xt, wt, rstd, dxt, weight_partials, rows,
                                                                             cols);
  } else {
    rms_norm_backward_kernel<T, 1><<<blocks, kThreads, shared, stream>>>(dyt, xt, wt, rstd, dxt, weight_partials, rows,
                                                                          cols);
  }
}

}  // namespace

int64_t rms_norm_backward_partials(int64_t rows, int device) { return backward_blocks(rows, device); }

int rms_norm_forward(const void* x, const void* weight, void* y, float* rstd, int64_t rows, int64_t cols, double eps,
                     ElementType type, int device, void* stream) {
  if (rows <= 0 || cols <= 0) return 0;
  return detail::launch_for(type, device, [&](auto element) {
    forward<decltype(element)>(x, weight, y, rstd, rows, cols, static_cast<float>(eps), static_cast<cudaStream_t>(stream));
  });
}

int rms_norm_backward(const void* dy, const void* x, const void* weight, const float* rstd, void* dx,
                      float* weight_partials, int64_t rows, int64_t cols, ElementType type, int device, void* stream) {
  if (rows <= 0 || cols <= 0) return 0;
  return detail::launch_for(type, device, [&](auto element) {
    backward<decltype(element)>(dy, x, weight, rstd, dx, weight_partials, rows, cols, device,
                                static_cast<cudaStream_t>(stream));
  });
}

}  // namespace msft::cuda
