// Element access shared by our CUDA kernels: float32 math on float32 / bfloat16 / float16 elements, and packs of VEC
// elements loaded or stored as one aligned access.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels.h"

namespace msft::cuda::detail {

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float to_float(__half x) { return __half2float(x); }

template <class T>
__device__ __forceinline__ T from_float(float x);
template <>
__device__ __forceinline__ float from_float<float>(float x) { return x; }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }
template <>
__device__ __forceinline__ __half from_float<__half>(float x) { return __float2half_rn(x); }

// VEC elements loaded or stored as one aligned access (16 bytes when VEC = 16 / sizeof(T)).
template <class T, int VEC>
struct alignas(sizeof(T) * VEC) Pack {
  T v[VEC];
};

// Whether a pointer allows 16-byte packs (null counts as aligned: an absent operand does not stop them).
inline bool aligned16(const void* p) { return p == nullptr || reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Blocks of a grid-stride launch: enough for `work` units at `per_block` a block, at least 1, at most `cap`.
inline unsigned grid_blocks(int64_t work, int64_t per_block, int64_t cap) {
  const int64_t wanted = (work + per_block - 1) / per_block;
  return static_cast<unsigned>(wanted < cap ? (wanted > 0 ? wanted : 1) : cap);
}

// The common body of an entry point: makes `device` current for this runtime (it keeps its own current device; the
// tensors' device is the one libtorch's stream belongs to), calls launch(T{}) with T the element type's C++ type, and
// returns the CUDA error code of the launch (0 = success).
template <class Launch>
int launch_for(ElementType type, int device, Launch&& launch) {
  if (const auto set = cudaSetDevice(device); set != cudaSuccess) return static_cast<int>(set);
  switch (type) {
    case ElementType::Float32:
      launch(float{});
      break;
    case ElementType::BFloat16:
      launch(__nv_bfloat16{});
      break;
    case ElementType::Float16:
      launch(__half{});
      break;
    default:
      return static_cast<int>(cudaErrorInvalidValue);
  }
  return static_cast<int>(cudaGetLastError());
}

}  // namespace msft::cuda::detail
