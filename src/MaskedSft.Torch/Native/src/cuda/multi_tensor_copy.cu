// Many tensors copied with a dtype conversion in one launch: each block takes 4096 consecutive elements of one tensor
// (the blocks of a batch are laid out tensor after tensor; a block finds its tensor by binary search over the batch's
// first blocks). libtorch's multi-tensor copy takes one dtype only, so the float32 masters' rounding into the bf16 model
// and the bf16 gradients' widening into float32 ran as one kernel per parameter.
#include "multi_tensor_copy.h"

#include "elements.cuh"

#include <cuda_runtime.h>

#include <cstdint>

namespace msft::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kPerThread = 16;
constexpr int64_t kPerBlock = static_cast<int64_t>(kThreads) * kPerThread;

using detail::from_float;
using detail::to_float;

template <class From, class To>
__global__ void multi_tensor_copy_kernel(CopyBatch batch) {
  const int64_t block = blockIdx.x;
  int lo = 0, hi = batch.tensors - 1;  // the last tensor whose first block is <= block
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (batch.first_block[mid] <= block) lo = mid;
    else hi = mid - 1;
  }
  const auto* from = static_cast<const From*>(batch.from[lo]);
  auto* to = static_cast<To*>(batch.to[lo]);
  const int64_t n = batch.count[lo];
  const int64_t begin = (block - batch.first_block[lo]) * kPerBlock;
#pragma unroll
  for (int k = 0; k < kPerThread; ++k) {
    const int64_t i = begin + static_cast<int64_t>(k) * kThreads + threadIdx.x;  // coalesced per step
    if (i < n) to[i] = from_float<To>(to_float(from[i]));
  }
}

template <class From>
int dispatch_to(CopyBatch& batch, ElementType to, unsigned blocks, cudaStream_t stream) {
  switch (to) {
    case ElementType::Float32:
      multi_tensor_copy_kernel<From, float><<<blocks, kThreads, 0, stream>>>(batch);
      return 0;
    case ElementType::BFloat16:
      multi_tensor_copy_kernel<From, __nv_bfloat16><<<blocks, kThreads, 0, stream>>>(batch);
      return 0;
    case ElementType::Float16:
      multi_tensor_copy_kernel<From, __half><<<blocks, kThreads, 0, stream>>>(batch);
      return 0;
  }
  return static_cast<int>(cudaErrorInvalidValue);
}

}  // namespace

int multi_tensor_copy(CopyBatch batch, ElementType from, ElementType to, int device, void* stream) {
  if (batch.tensors <= 0) return 0;
  int64_t blocks = 0;
  for (int i = 0; i < batch.tensors; ++i) {
    batch.first_block[i] = blocks;
    blocks += (batch.count[i] + kPerBlock - 1) / kPerBlock;
  }
  batch.first_block[batch.tensors] = blocks;
  if (blocks == 0) return 0;
  if (blocks > 0x7fffffffLL) return static_cast<int>(cudaErrorInvalidValue);
  const auto s = static_cast<cudaStream_t>(stream);
  const auto grid = static_cast<unsigned>(blocks);
  int code = 0;
  const auto launched = detail::launch_for(from, device, [&](auto element) {
    code = dispatch_to<decltype(element)>(batch, to, grid, s);
  });
  return code != 0 ? code : launched;
}

}  // namespace msft::cuda
