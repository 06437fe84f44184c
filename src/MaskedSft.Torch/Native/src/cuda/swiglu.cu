// The SwiGLU gate of Llama/Qwen MLPs in one pass each way: forward silu(g) · u, backward both input gradients from
// (dy, g, u), float32 math and one rounding per output (the ATen composition takes two kernels forward and four back).
#include "swiglu.h"

#include "elements.cuh"

#include <cuda_runtime.h>

#include <cstdint>

namespace msft::cuda {
namespace {

constexpr int kThreads = 256;

using detail::from_float;
using detail::aligned16;
using detail::Pack;
using detail::to_float;

__device__ __forceinline__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

template <class T, int VEC>
__global__ void swiglu_forward_kernel(const T* __restrict__ gate, const T* __restrict__ up, T* __restrict__ out,
                                      int64_t packs) {
  const auto* g = reinterpret_cast<const Pack<T, VEC>*>(gate);
  const auto* u = reinterpret_cast<const Pack<T, VEC>*>(up);
  auto* y = reinterpret_cast<Pack<T, VEC>*>(out);
  for (int64_t i = blockIdx.x * static_cast<int64_t>(kThreads) + threadIdx.x; i < packs;
       i += static_cast<int64_t>(gridDim.x) * kThreads) {
    const auto gp = g[i];
    const auto up_ = u[i];
    Pack<T, VEC> r;
#pragma unroll
    for (int k = 0; k < VEC; ++k) {
      const float x = to_float(gp.v[k]);
      r.v[k] = from_float<T>(x * sigmoid(x) * to_float(up_.v[k]));
    }
    y[i] = r;
  }
}

template <class T, int VEC>
__global__ void swiglu_backward_kernel(const T* __restrict__ grad_out, const T* __restrict__ gate,
                                       const T* __restrict__ up, T* __restrict__ grad_gate, T* __restrict__ grad_up,
                                       int64_t packs) {
  const auto* dy = reinterpret_cast<const Pack<T, VEC>*>(grad_out);
  const auto* g = reinterpret_cast<const Pack<T, VEC>*>(gate);
  const auto* u = reinterpret_cast<const Pack<T, VEC>*>(up);
  auto* dg = reinterpret_cast<Pack<T, VEC>*>(grad_gate);
  auto* du = reinterpret_cast<Pack<T, VEC>*>(grad_up);
  for (int64_t i = blockIdx.x * static_cast<int64_t>(kThreads) + threadIdx.x; i < packs;
       i += static_cast<int64_t>(gridDim.x) * kThreads) {
    const auto dyp = dy[i];
    const auto gp = g[i];
    const auto upp = u[i];
    Pack<T, VEC> rg, ru;
#pragma unroll
    for (int k = 0; k < VEC; ++k) {
      const float x = to_float(gp.v[k]);
      const float d = to_float(dyp.v[k]);
      const float s = sigmoid(x);
      ru.v[k] = from_float<T>(d * x * s);
      rg.v[k] = from_float<T>(d * to_float(upp.v[k]) * s * (1.0f + x * (1.0f - s)));
    }
    if (dg != nullptr) dg[i] = rg;
    if (du != nullptr) du[i] = ru;
  }
}

unsigned blocks_for(int64_t packs) { return detail::grid_blocks(packs, kThreads, 65535 * 8); }

template <class T>
void forward(const void* gate, const void* up, void* out, int64_t n, cudaStream_t stream) {
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));
  if (n % kVec == 0 && aligned16(gate) && aligned16(up) && aligned16(out)) {
    swiglu_forward_kernel<T, kVec><<<blocks_for(n / kVec), kThreads, 0, stream>>>(
        static_cast<const T*>(gate), static_cast<const T*>(up), static_cast<T*>(out), n / kVec);
  } else {
    swiglu_forward_kernel<T, 1><<<blocks_for(n), kThreads, 0, stream>>>(
        static_cast<const T*>(gate), static_cast<const T*>(up), static_cast<T*>(out), n);
  }
}

template <class T>
void backward(const void* grad_out, const void* gate, const void* up, void* grad_gate, void* grad_up, int64_t n,
              cudaStream_t stream) {
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));
  const bool vec = n % kVec == 0 && aligned16(grad_out) && aligned16(gate) && aligned16(up) && aligned16(grad_gate) &&
                   aligned16(grad_up);
  if (vec) {
    swiglu_backward_kernel<T, kVec><<<blocks_for(n / kVec), kThreads, 0, stream>>>(
        static_cast<const T*>(grad_out), static_cast<const T*>(gate), static_cast<const T*>(up),
        static_cast<T*>(grad_gate), static_cast<T*>(grad_up), n / kVec);
  } else {
    swiglu_backward_kernel<T, 1><<<blocks_for(n), kThreads, 0, stream>>>(
        static_cast<const T*>(grad_out), static_cast<const T*>(gate), static_cast<const T*>(up),
        static_cast<T*>(grad_gate), static_cast<T*>(grad_up), n);
  }
}

}  // namespace

int swiglu_forward(const void* gate, const void* up, void* out, int64_t n, ElementType type, int device, void* stream) {
  if (n <= 0) return 0;
  return detail::launch_for(type, device, [&](auto element) {
    forward<decltype(element)>(gate, up, out, n, static_cast<cudaStream_t>(stream));
  });
}

int swiglu_backward(const void* grad_out, const void* gate, const void* up, void* grad_gate, void* grad_up, int64_t n,
                    ElementType type, int device, void* stream) {
  if (n <= 0) return 0;
  return detail::launch_for(type, device, [&](auto element) {
    backward<decltype(element)>(grad_out, gate, up, grad_gate, grad_up, n, static_cast<cudaStream_t>(stream));
  });
}

}  // namespace msft::cuda
