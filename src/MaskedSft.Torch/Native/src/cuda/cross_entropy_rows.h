// The fused per-row cross-entropy kernel of the chunked LM head (cross_entropy_rows.cu), callable without ATen types so
// the CUDA translation unit stays free of libtorch headers. Compiled only where CMake finds nvcc and libtorch has CUDA
// (MSFT_CUDA_KERNELS); the ATen composite in linear_cross_entropy.cpp does the same work elsewhere.
#pragma once

#include <cstdint>

#include "kernels.h"

namespace msft::cuda {

// For each of `rows` rows of `logits` ((rows, vocab), row-major, contiguous, on the current CUDA device) with the row's
// scaled logits z = logits · scale: writes lse[i] = logsumexp(z[i]), nll[i] = lse[i] - z[i, t] (0 where the target t is
// `ignore_index`, NaN where t is outside [0, vocab)) and argmax[i] (the first index of the largest logit), all in one
// read of the row (float32 math). When `coef` is not null, the row is then overwritten in place with the gradient of
// coef[i] · nll[i] with respect to the UNSCALED logits: coef[i] · scale · (softmax(z[i]) - onehot(t)), in the logits'
// element type (rows whose target is ignored get zeros). Runs on `stream` (a cudaStream_t) of CUDA device `device`;
// returns the CUDA error code of the launch (0 = success).
int cross_entropy_rows(void* logits, ElementType type, int64_t rows, int64_t vocab, const int64_t* targets,
                       int64_t ignore_index, float scale, const float* coef, float* lse, float* nll, int64_t* argmax,
                       int device, void* stream);

}  // namespace msft::cuda
