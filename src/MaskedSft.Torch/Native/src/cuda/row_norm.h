// The fused row-normalization kernels (row_norm.cu): RMS normalization (Llama/Qwen) and layer normalization (GPT-2),
// callable without ATen types; compiled only with MSFT_CUDA_KERNELS.
#pragma once

#include <cstdint>

#include "kernels.h"

namespace msft::cuda {

// The largest row width the kernels take (wider rows than 32 · 8 packs run without the register cache; beyond this
// width ATen's ops are as good).
constexpr int64_t kRowNormMaxColumns = 65536;

// What a row normalization is: RMS (x · r, r = 1/sqrt(mean(x²) + eps); the normalized row is rounded to the element type
// before the weight multiplies it, as Llama/Qwen do) or layer normalization ((x - mean) · r, r = 1/sqrt(var + eps), the
// affine part in float32 with one rounding, as ATen's layer_norm does).
enum class RowNorm : int { Rms = 0, Layer = 1 };

// The number of partial gradient rows row_norm_backward writes for a (rows, cols) input: its workspaces are that many
// rows of `cols` float32 values each, to be summed over their first dimension.
int64_t row_norm_backward_partials(int64_t rows, int64_t cols, int device);

// Normalizes `rows` rows of `cols` contiguous elements: y = norm(x) · w + b (w or b null: none). Writes r (rows floats)
// and, for layer normalization, the means (rows floats). Float32 math. Returns the CUDA error code (0 = success).
int row_norm_forward(RowNorm kind, const void* x, const void* weight, const void* bias, void* y, float* mean, float* rstd,
                     int64_t rows, int64_t cols, double eps, ElementType type, int device, void* stream);

// With x̂ the normalized row and g = dy · w: dx = r · (g - mean(g) - x̂ · mean(g · x̂)) for layer normalization,
// r · (g - x̂ · mean(g · x̂)) for RMS (g rounded to the element type there, as the composition does). weight_partials
// (not null) gets the partial sums of dy · x̂ over chunks of rows, bias_partials (not null) those of dy,
// row_norm_backward_partials(rows, cols) rows of `cols` floats each; dx null: not computed. Returns the CUDA error code.
int row_norm_backward(RowNorm kind, const void* dy, const void* x, const void* weight, const float* mean, const float* rstd,
                      void* dx, float* weight_partials, float* bias_partials, int64_t rows, int64_t cols, ElementType type,
                      int device, void* stream);

}  // namespace msft::cuda
