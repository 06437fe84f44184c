// Rotary position embeddings of Llama/Qwen queries and keys in one pass each way: each thread rotates VEC pairs
// (x[i], x[i + D/2]) of one (batch, head, position) (the ATen composition takes six kernels forward and more back, each a
// full pass over the queries or keys).
#include "rotary.h"

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

// One thread per VEC pairs: index = ((b · H + h) · T + t) · (D/2 / VEC) + q.
template <class T, int VEC, bool TRANSPOSE>
__global__ void rotary_kernel(const T* __restrict__ x, RotaryLayout xl, const T* __restrict__ cos,
                              const T* __restrict__ sin, int64_t table_batch, T* __restrict__ out, RotaryLayout ol,
                              int64_t batch, int64_t heads, int64_t time, int64_t dim) {
  const int64_t half = dim / 2;
  const int64_t groups = half / VEC;
  const int64_t total = batch * heads * time * groups;
  for (int64_t index = blockIdx.x * static_cast<int64_t>(kThreads) + threadIdx.x; index < total;
       index += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int64_t q = index % groups;
    int64_t rest = index / groups;
    const int64_t t = rest % time;
    rest /= time;
    const int64_t h = rest % heads;
    const int64_t b = rest / heads;
    const int64_t i = q * VEC;
    const T* xr = x + b * xl.batch + h * xl.head + t * xl.time;
    T* orow = out + b * ol.batch + h * ol.head + t * ol.time;
    const int64_t table = b * table_batch + t * dim;
    using P = Pack<T, VEC>;
    const P x1 = *reinterpret_cast<const P*>(xr + i);
    const P x2 = *reinterpret_cast<const P*>(xr + half + i);
    const P c1 = *reinterpret_cast<const P*>(cos + table + i);
    const P c2 = *reinterpret_cast<const P*>(cos + table + half + i);
    const P s1 = *reinterpret_cast<const P*>(sin + table + i);
    const P s2 = *reinterpret_cast<const P*>(sin + table + half + i);
    P o1, o2;
#pragma unroll
    for (int k = 0; k < VEC; ++k) {
      const float a = to_float(x1.v[k]), z = to_float(x2.v[k]);
      if (TRANSPOSE) {
        // dx[i] = dy[i] cos[i] + dy[i + h] sin[i + h]; dx[i + h] = dy[i + h] cos[i + h] - dy[i] sin[i]
        o1.v[k] = from_float<T>(a * to_float(c1.v[k]) + z * to_float(s2.v[k]));
        o2.v[k] = from_float<T>(z * to_float(c2.v[k]) - a * to_float(s1.v[k]));
      } else {
        // y[i] = x[i] cos[i] - x[i + h] sin[i]; y[i + h] = x[i + h] cos[i + h] + x[i] sin[i + h]
        o1.v[k] = from_float<T>(a * to_float(c1.v[k]) - z * to_float(s1.v[k]));
        o2.v[k] = from_float<T>(z * to_float(c2.v[k]) + a * to_float(s2.v[k]));
      }
    }
    *reinterpret_cast<P*>(orow + i) = o1;
    *reinterpret_cast<P*>(orow + half + i) = o2;
  }
}

unsigned blocks_for(int64_t threads) { return detail::grid_blocks(threads, kThreads, 65535 * 8); }

template <class T, int VEC, bool TRANSPOSE>
void launch(const void* x, RotaryLayout xl, const void* cos, const void* sin, int64_t table_batch, void* out,
            RotaryLayout ol, int64_t batch, int64_t heads, int64_t time, int64_t dim, cudaStream_t stream) {
  const int64_t threads = batch * heads * time * (dim / 2 / VEC);
  rotary_kernel<T, VEC, TRANSPOSE><<<blocks_for(threads), kThreads, 0, stream>>>(
      static_cast<const T*>(x), xl, static_cast<const T*>(cos), static_cast<const T*>(sin), table_batch,
      static_cast<T*>(out), ol, batch, heads, time, dim);
}

template <class T>
void run(const void* x, RotaryLayout xl, const void* cos, const void* sin, int64_t table_batch, void* out,
         RotaryLayout ol, int64_t batch, int64_t heads, int64_t time, int64_t dim, bool transpose, cudaStream_t stream) {
  constexpr int kVec = 16 / static_cast<int>(sizeof(T));
  // 16-byte packs when every row start and both halves are 16-byte aligned.
  const bool vec = (dim / 2) % kVec == 0 && aligned16(x) && aligned16(out) && aligned16(cos) && aligned16(sin) &&
                   xl.batch % kVec == 0 && xl.head % kVec == 0 && xl.time % kVec == 0 && ol.batch % kVec == 0 &&
                   ol.head % kVec == 0 && ol.time % kVec == 0 && table_batch % kVec == 0;
  if (vec) {
    if (transpose) launch<T, kVec, true>(x, xl, cos, sin, table_batch, out, ol, batch, heads, time, dim, stream);
    else launch<T, kVec, false>(x, xl, cos, sin, table_batch, out, ol, batch, heads, time, dim, stream);
  } else {
    if (transpose) launch<T, 1, true>(x, xl, cos, sin, table_batch, out, ol, batch, heads, time, dim, stream);
    else launch<T, 1, false>(x, xl, cos, sin, table_batch, out, ol, batch, heads, time, dim, stream);
  }
}

}  // namespace

int rotary_embedding(const void* x, RotaryLayout x_layout, const void* cos, const void* sin, int64_t table_batch_stride,
                     void* out, RotaryLayout out_layout, int64_t batch, int64_t heads, int64_t time, int64_t dim,
                     bool transpose, ElementType type, int device, void* stream) {
  if (batch <= 0 || heads <= 0 || time <= 0 || dim <= 1) return 0;
  return detail::launch_for(type, device, [&](auto element) {
    run<decltype(element)>(x, x_layout, cos, sin, table_batch_stride, out, out_layout, batch, heads, time, dim, transpose,
                           static_cast<cudaStream_t>(stream));
  });
}

}  // namespace msft::cuda
