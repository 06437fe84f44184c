// Neural-network functions: activations, softmax, embedding, dropout, losses, interpolation (linear: linear.cpp;
// normalizations: layer_norm.cpp, rms_norm.cpp).
#include "msft.h"

// GELU, exact (erf) or with the tanh approximation.
MSFT_EXPORT msft_tensor msft_gelu(msft_tensor x, bool tanh_approximation) {
  MSFT_TENSOR(at::gelu(TEN(x), tanh_approximation ? "tanh" : "none"))
}

MSFT_EXPORT msft_tensor msft_silu(msft_tensor x) { MSFT_TENSOR(at::silu(TEN(x))) }

MSFT_EXPORT msft_tensor msft_relu(msft_tensor x) { MSFT_TENSOR(at::relu(TEN(x))) }

// Softmax along dim, optionally computed in another dtype (-1 = input's).
MSFT_EXPORT msft_tensor msft_softmax(msft_tensor x, int64_t dim, int32_t dtype) {
  MSFT_GUARD(nullptr, {
    if (dtype >= 0) return msft::wrap(at::softmax(TEN(x), dim, msft::dtype(dtype)));
    return msft::wrap(at::softmax(TEN(x), dim));
  })
}

MSFT_EXPORT msft_tensor msft_log_softmax(msft_tensor x, int64_t dim, int32_t dtype) {
  MSFT_GUARD(nullptr, {
    if (dtype >= 0) return msft::wrap(at::log_softmax(TEN(x), dim, msft::dtype(dtype)));
    return msft::wrap(at::log_softmax(TEN(x), dim));
  })
}

// Rows of weight selected by integer indices (padding_idx -1 = none: that row gets no gradient).
MSFT_EXPORT msft_tensor msft_embedding(msft_tensor weight, msft_tensor indices, int64_t padding_idx) {
  MSFT_TENSOR(at::embedding(TEN(weight), TEN(indices), padding_idx))
}

// Zeroes elements with probability p and scales the rest by 1/(1-p) when training; identity otherwise.
MSFT_EXPORT msft_tensor msft_dropout(msft_tensor x, double p, bool train) { MSFT_TENSOR(at::dropout(TEN(x), p, train)) }

// Cross entropy of logits (N, C) or (N, C, d...) against class indices; reduction 0 none, 1 mean, 2 sum.
MSFT_EXPORT msft_tensor msft_cross_entropy(msft_tensor logits, msft_tensor target, msft_tensor weight,
                                           int32_t reduction, int64_t ignore_index, double label_smoothing) {
  MSFT_GUARD(nullptr, {
    if (reduction < 0 || reduction > 2) throw std::invalid_argument("reduction code must be 0, 1 or 2");
    return msft::wrap(at::cross_entropy_loss(TEN(logits), TEN(target), msft::opt(weight), reduction, ignore_index,
                                             label_smoothing));
  })
}

// Negative log-likelihood of log-probabilities against class indices; reduction 0 none, 1 mean, 2 sum.
MSFT_EXPORT msft_tensor msft_nll_loss(msft_tensor log_probs, msft_tensor target, msft_tensor weight, int32_t reduction,
                                      int64_t ignore_index) {
  MSFT_TENSOR(at::nll_loss_nd(TEN(log_probs), TEN(target), msft::opt(weight), reduction, ignore_index))
}

// Mean squared error; reduction 0 none, 1 mean, 2 sum.
MSFT_EXPORT msft_tensor msft_mse_loss(msft_tensor a, msft_tensor b, int32_t reduction) {
  MSFT_TENSOR(at::mse_loss(TEN(a), TEN(b), reduction))
}

// Resizes (N, C, H, W) to (N, C, out_h, out_w): mode 0 bilinear, 1 area (adaptive average pooling).
MSFT_EXPORT msft_tensor msft_interpolate(msft_tensor x, int64_t out_h, int64_t out_w, int32_t mode,
                                         bool align_corners) {
  MSFT_GUARD(nullptr, {
    const auto& input = TEN(x);
    if (input.dim() != 4) {
      throw std::invalid_argument("interpolate expects a 4-d (N, C, H, W) input, got " + c10::str(input.sizes()));
    }
    if (out_h <= 0 || out_w <= 0) {
      throw std::invalid_argument("interpolate output size must be positive, got [" + std::to_string(out_h) + ", " +
                                  std::to_string(out_w) + "]");
    }
    const std::vector<int64_t> size{out_h, out_w};
    if (mode == 0) return msft::wrap(at::upsample_bilinear2d(input, at::IntArrayRef(size), align_corners));
    if (mode == 1) return msft::wrap(at::adaptive_avg_pool2d(input, at::IntArrayRef(size)));
    throw std::invalid_argument("interpolate mode must be 0 (bilinear) or 1 (area)");
  })
}
