// The multi-tensor copy kernel (multi_tensor_copy.cu): many contiguous tensors copied with a dtype conversion in one
// launch (the master weights' per-step casts); callable without ATen types, compiled only with MSFT_CUDA_KERNELS.
#pragma once

#include <cstdint>

#include "kernels.h"

namespace msft::cuda {

// Tensors per launch (the batch travels as a kernel argument).
constexpr int kCopyBatch = 64;

// Up to kCopyBatch (source, destination, element count) triples; first_block is filled by multi_tensor_copy.
struct CopyBatch {
  const void* from[kCopyBatch];
  void* to[kCopyBatch];
  int64_t count[kCopyBatch];
  int64_t first_block[kCopyBatch + 1];
  int tensors;
};

// to[i][k] = convert(from[i][k]) for every tensor of the batch (float32 math, one rounding), in one launch.
// Returns the CUDA error code of the launch (0 = success).
int multi_tensor_copy(CopyBatch batch, ElementType from, ElementType to, int device, void* stream);

}  // namespace msft::cuda
