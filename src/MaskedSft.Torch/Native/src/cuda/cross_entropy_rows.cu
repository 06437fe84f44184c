// The fused per-row cross-entropy of the chunked LM head: one block per row reads the row's logits once for the online
// softmax statistics (max, sum of exponentials), the target logit and the argmax, and (with coefficients) reads them again
// to overwrite the row in place with its gradient, so neither float32 logits nor a separate softmax ever exist.
#include "cross_entropy_rows.h"

#include "elements.cuh"

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

namespace msft::cuda {
namespace {

constexpr int kThreads = 512;
constexpr int kWarps = kThreads / 32;

using detail::from_float;
using detail::Pack;
using detail::to_float;

// One thread's (or a reduction's) running state: online softmax (largest scaled logit m, sum s of exp(z - m)) and
// argmax (largest value, its smallest index).
struct RowState {
  float m;
  float s;
  float best;
  int64_t index;
};

__device__ __forceinline__ void absorb(RowState& st, float z, int64_t j) {
  if (z > st.best) {  // indices arrive in increasing order within a thread: the first maximum stays
    st.best = z;
    st.index = j;
  }
  if (z == -INFINITY) return;
  if (z > st.m) {
    st.s = st.s * expf(st.m - z) + 1.0f;
    st.m = z;
  } else {
    st.s += expf(z - st.m);  // NaN logits make s NaN, as logsumexp does
  }
}

__device__ __forceinline__ RowState merge(RowState a, const RowState& b) {
  if (b.best > a.best || (b.best == a.best && b.index < a.index)) {
    a.best = b.best;
    a.index = b.index;
  }
  const float m = fmaxf(a.m, b.m);
  if (m == -INFINITY) return a;  // both empty
  a.s = a.s * expf(a.m - m) + b.s * expf(b.m - m);
  a.m = m;
  return a;
}

__device__ __forceinline__ RowState shuffle_down(const RowState& st, int offset) {
  RowState o;
  o.m = __shfl_down_sync(0xffffffffu, st.m, offset);
  o.s = __shfl_down_sync(0xffffffffu, st.s, offset);
  o.best = __shfl_down_sync(0xffffffffu, st.best, offset);
  o.index = __shfl_down_sync(0xffffffffu, static_cast<long long>(st.index), offset);
  return o;
}

// The block's combined state, in every thread.
__device__ RowState block_reduce(RowState st) {
  __shared__ RowState partial[kWarps];
  __shared__ RowState total;
  for (int offset = 16; offset > 0; offset >>= 1) st = merge(st, shuffle_down(st, offset));
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) partial[warp] = st;
  __syncthreads();
  if (warp == 0) {
    st = lane < kWarps ? partial[lane] : RowState{-INFINITY, 0.0f, -INFINITY, INT64_MAX};
    for (int offset = 16; offset > 0; offset >>= 1) st = merge(st, shuffle_down(st, offset));
    if (lane == 0) total = st;
  }
  __syncthreads();
  return total;
}

template <class T, int VEC>
__global__ void __launch_bounds__(kThreads) cross_entropy_rows_kernel(T* __restrict__ logits, int64_t vocab,
                                                                      const int64_t* __restrict__ targets,
                                                                      int64_t ignore_index, float scale,
                                                                      const float* __restrict__ coef,
                                                                      float* __restrict__ lse_out,
                                                                      float* __restrict__ nll_out,
                                                                      int64_t* __restrict__ argmax_out) {
  const int64_t row = blockIdx.x;
  T* x = logits + row * vocab;
  auto* packs = reinterpret_cast<Pack<T, VEC>*>(x);
  const int64_t count = vocab / VEC;
  const int64_t target = targets[row];
  const bool counted = target != ignore_index;
  const bool in_range = target >= 0 && target < vocab;
  // The target logit is read before any thread may overwrite the row (the reduction below synchronizes the block).
  const float picked = (threadIdx.x == 0 && counted && in_range) ? to_float(x[target]) * scale : 0.0f;

  RowState st{-INFINITY, 0.0f, -INFINITY, INT64_MAX};
  for (int64_t p = threadIdx.x; p < count; p += kThreads) {
    const auto pack = packs[p];
#pragma unroll
    for (int k = 0; k < VEC; ++k) absorb(st, to_float(pack.v[k]) * scale, p * VEC + k);
  }
  const RowState total = block_reduce(st);
  const float lse = total.m == -INFINITY ? -INFINITY : total.m + logf(total.s);
  if (threadIdx.x == 0) {
    lse_out[row] = lse;
    nll_out[row] = counted ? (in_range ? lse - picked : NAN) : 0.0f;
    argmax_out[row] = total.index == INT64_MAX ? 0 : total.index;
  }
  if (coef == nullptr) return;

  const float factor = counted ? coef[row] * scale : 0.0f;
  for (int64_t p = threadIdx.x; p < count; p += kThreads) {
    Pack<T, VEC> out;
    if (factor == 0.0f) {
#pragma unroll
      for (int k = 0; k < VEC; ++k) out.v[k] = from_float<T>(0.0f);
    } else {
      const auto pack = packs[p];
#pragma unroll
      for (int k = 0; k < VEC; ++k) {
        const int64_t j = p * VEC + k;
        const float softmax = expf(to_float(pack.v[k]) * scale - lse);
        out.v[k] = from_float<T>(factor * (j == target ? softmax - 1.0f : softmax));
      }
    }
    packs[p] = out;
  }
}

template <class T>
void launch(void* logits, int64_t rows, int64_t vocab, const int64_t* targets, int64_t ignore_index, float scale,
            const float* coef, float* lse, float* nll, int64_t* argmax, cudaStream_t stream) {
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));
  auto* x = static_cast<T*>(logits);
  const bool aligned = vocab % kVec == 0 && detail::aligned16(logits);
  const dim3 grid(static_cast<unsigned>(rows));
  if (aligned) {
    cross_entropy_rows_kernel<T, kVec><<<grid, kThreads, 0, stream>>>(x, vocab, targets, ignore_index, scale, coef,
                                                                      lse, nll, argmax);
  } else {
    cross_entropy_rows_kernel<T, 1><<<grid, kThreads, 0, stream>>>(x, vocab, targets, ignore_index, scale, coef, lse,
                                                                   nll, argmax);
  }
}

}  // namespace

int cross_entropy_rows(void* logits, ElementType type, int64_t rows, int64_t vocab, const int64_t* targets,
                       int64_t ignore_index, float scale, const float* coef, float* lse, float* nll, int64_t* argmax,
                       int device, void* stream) {
  if (rows <= 0) return 0;
  return detail::launch_for(type, device, [&](auto element) {
    launch<decltype(element)>(logits, rows, vocab, targets, ignore_index, scale, coef, lse, nll, argmax,
                              static_cast<cudaStream_t>(stream));
  });
}

const char* error_string(int code) { return cudaGetErrorString(static_cast<cudaError_t>(code)); }

}  // namespace msft::cuda
