// Column sums over the rows of a matrix by strips, shared by our kernels that reduce over rows (a linear layer's bias
// gradient, the normalizations' weight and bias gradients): blocks of 32 × 8 threads, each block one strip of 32 packs of
// columns and one chunk of rows; every thread sums its pack over every 8th row of the chunk in float32, the block adds
// its 8 row-threads in shared memory and writes one partial row per sum (a fixed split: deterministic). The partial rows
// are then summed over their first dimension (at::sum).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace msft::cuda::detail {

constexpr int kStripColumns = 32;  // threads (packs) across a strip
constexpr int kStripRows = 8;      // threads down a chunk

// The multiprocessors of a device (80 when the query fails).
inline int multiprocessors(int device) {
  int sms = 0;
  if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess || sms <= 0) sms = 80;
  return sms;
}

// Row chunks for a (rows, cols) matrix: about four blocks per multiprocessor in all, each chunk at least 64 rows. The
// strips are counted as for 16-byte packs of bfloat16, so the count (the partial rows' number) does not depend on the
// pack width a launch picks.
inline int64_t strip_chunks(int64_t rows, int64_t cols, int device) {
  const int64_t strips = (cols + 8 * kStripColumns - 1) / (8 * kStripColumns);
  const int64_t wanted = (4LL * multiprocessors(device) + strips - 1) / strips;
  const int64_t most = (rows + 63) / 64;
  const int64_t chunks = wanted < most ? wanted : most;
  return chunks > 0 ? chunks : 1;
}

// The launch shape of strip_sums: (strips, chunks) blocks of (32, 8) threads.
inline dim3 strip_grid(int64_t packs, int64_t chunks) {
  return dim3(static_cast<unsigned>((packs + kStripColumns - 1) / kStripColumns), static_cast<unsigned>(chunks));
}
inline dim3 strip_block() { return dim3(kStripColumns, kStripRows); }

// The body of a strip kernel: add(row, pack, acc) adds row `row`'s contributions of pack `pack` to acc[s][k] (sum s,
// element k of the pack); partials[s] gets the block's sums at row blockIdx.y.
template <int VEC, int SUMS, class Add>
__device__ __forceinline__ void strip_sums(int64_t rows, int64_t cols, int64_t rows_per_chunk, float* const (&partials)[SUMS],
                                           Add&& add) {
  __shared__ float strip[SUMS][kStripRows][kStripColumns][VEC];
  const int64_t pack = blockIdx.x * static_cast<int64_t>(kStripColumns) + threadIdx.x;
  const int64_t packs = cols / VEC;
  const int64_t begin = blockIdx.y * rows_per_chunk;
  const int64_t end = begin + rows_per_chunk < rows ? begin + rows_per_chunk : rows;
  float acc[SUMS][VEC];
#pragma unroll
  for (int s = 0; s < SUMS; ++s) {
#pragma unroll
    for (int k = 0; k < VEC; ++k) acc[s][k] = 0.0f;
  }
  if (pack < packs) {
    for (int64_t r = begin + threadIdx.y; r < end; r += kStripRows) add(r, pack, acc);
  }
#pragma unroll
  for (int s = 0; s < SUMS; ++s) {
#pragma unroll
    for (int k = 0; k < VEC; ++k) strip[s][threadIdx.y][threadIdx.x][k] = acc[s][k];
  }
  __syncthreads();
  if (threadIdx.y == 0 && pack < packs) {
#pragma unroll
    for (int s = 0; s < SUMS; ++s) {
      if (partials[s] == nullptr) continue;
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        float total = 0.0f;
#pragma unroll
        for (int y = 0; y < kStripRows; ++y) total += strip[s][y][threadIdx.x][k];
        partials[s][blockIdx.y * cols + pack * VEC + k] = total;
      }
    }
  }
}

}  // namespace msft::cuda::detail
