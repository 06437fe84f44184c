// Column sums of a (rows, cols) matrix, the bias gradient of a linear layer, by strips (column_strips.cuh) with 16-byte
// loads in float32 (ATen's sum over the first dimension of bfloat16 activations ran at about a quarter of the memory
// bandwidth at GPT-2's shapes).
#include "column_sums.h"

#include "column_strips.cuh"
#include "elements.cuh"

#include <cuda_runtime.h>

#include <cstdint>

namespace msft::cuda {
namespace {

using detail::Pack;
using detail::to_float;

template <class T, int VEC>
__global__ void column_sums_kernel(const T* __restrict__ x, float* __restrict__ partials, int64_t rows, int64_t cols,
                                   int64_t rows_per_chunk) {
  float* const out[1] = {partials};
  detail::strip_sums<VEC, 1>(rows, cols, rows_per_chunk, out, [&](int64_t r, int64_t pack, float(&acc)[1][VEC]) {
    const auto v = *reinterpret_cast<const Pack<T, VEC>*>(x + r * cols + pack * VEC);
#pragma unroll
    for (int k = 0; k < VEC; ++k) acc[0][k] += to_float(v.v[k]);
  });
}

// One thread per column, the partial rows read down the column (coalesced across the threads of a warp).
template <class T>
__global__ void finish_partials_kernel(const float* __restrict__ partials, int64_t chunks, int64_t cols, T* __restrict__ out) {
  for (int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; c < cols;
       c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float total = 0.0f;
#pragma unroll 8
    for (int64_t r = 0; r < chunks; ++r) total += partials[r * cols + c];
    out[c] = detail::from_float<T>(total);
  }
}

template <class T, int VEC>
void launch(const void* x, float* partials, int64_t rows, int64_t cols, int64_t chunks, cudaStream_t stream) {
  const int64_t per_chunk = (rows + chunks - 1) / chunks;
  column_sums_kernel<T, VEC><<<detail::strip_grid(cols / VEC, chunks), detail::strip_block(), 0, stream>>>(
      static_cast<const T*>(x), partials, rows, cols, per_chunk);
}

}  // namespace

int64_t column_sum_partials(int64_t rows, int64_t cols, int device) { return detail::strip_chunks(rows, cols, device); }

int column_sums(const void* x, float* partials, int64_t rows, int64_t cols, ElementType type, int device, void* stream) {
  if (rows <= 0 || cols <= 0) return 0;
  const auto chunks = detail::strip_chunks(rows, cols, device);
  const auto s = static_cast<cudaStream_t>(stream);
  return detail::launch_for(type, device, [&](auto element) {
    using T = decltype(element);
    constexpr int kVec = 16 / static_cast<int>(sizeof(T));
    if (cols % kVec == 0 && detail::aligned16(x)) launch<T, kVec>(x, partials, rows, cols, chunks, s);
    else launch<T, 1>(x, partials, rows, cols, chunks, s);
  });
}

int finish_partials(const float* partials, int64_t chunks, int64_t cols, void* out, ElementType type, int device,
                    void* stream) {
  if (cols <= 0) return 0;
  constexpr int kThreads = 128;
  const auto blocks = static_cast<unsigned>((cols + kThreads - 1) / kThreads);
  return detail::launch_for(type, device, [&](auto element) {
    using T = decltype(element);
    finish_partials_kernel<T><<<blocks, kThreads, 0, static_cast<cudaStream_t>(stream)>>>(partials, chunks, cols,
                                                                                         static_cast<T*>(out));
  });
}

}  // namespace msft::cuda
