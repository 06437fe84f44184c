// Reductions: sum, mean, max/min (with indices), argmax/argmin, logsumexp, norm, all/any; with dims and keepdim.
#include "msft.h"

namespace {
// Optional dtype code (-1 = none).
msft::optional<at::ScalarType> opt_dtype(int32_t code) {
  if (code < 0) return {};
  return msft::dtype(code);
}
}  // namespace

// Sum of all elements (dtype -1 keeps the default promotion).
MSFT_EXPORT msft_tensor msft_sum_all(msft_tensor t, int32_t dtype) { MSFT_TENSOR(at::sum(TEN(t), opt_dtype(dtype))) }

MSFT_EXPORT msft_tensor msft_sum(msft_tensor t, const int64_t* dims, int64_t ndims, bool keepdim, int32_t dtype) {
  MSFT_TENSOR(at::sum(TEN(t), msft::ints(dims, ndims), keepdim, opt_dtype(dtype)))
}

MSFT_EXPORT msft_tensor msft_mean_all(msft_tensor t) { MSFT_TENSOR(at::mean(TEN(t))) }

MSFT_EXPORT msft_tensor msft_mean(msft_tensor t, const int64_t* dims, int64_t ndims, bool keepdim) {
  MSFT_TENSOR(at::mean(TEN(t), msft::ints(dims, ndims), keepdim))
}

// Largest element.
MSFT_EXPORT msft_tensor msft_max_all(msft_tensor t) { MSFT_TENSOR(at::max(TEN(t))) }

// Smallest element.
MSFT_EXPORT msft_tensor msft_min_all(msft_tensor t) { MSFT_TENSOR(at::min(TEN(t))) }

// Largest values along dim and their indices (two new handles).
MSFT_EXPORT int32_t msft_max_dim(msft_tensor t, int64_t dim, bool keepdim, msft_tensor* values, msft_tensor* indices) {
  MSFT_STATUS(auto r = at::max(TEN(t), dim, keepdim); *values = msft::wrap(std::get<0>(r));
              *indices = msft::wrap(std::get<1>(r)))
}

// Smallest values along dim and their indices (two new handles).
MSFT_EXPORT int32_t msft_min_dim(msft_tensor t, int64_t dim, bool keepdim, msft_tensor* values, msft_tensor* indices) {
  MSFT_STATUS(auto r = at::min(TEN(t), dim, keepdim); *values = msft::wrap(std::get<0>(r));
              *indices = msft::wrap(std::get<1>(r)))
}

// Index of the largest element along dim (over the flattened tensor when has_dim is false).
MSFT_EXPORT msft_tensor msft_argmax(msft_tensor t, bool has_dim, int64_t dim, bool keepdim) {
  MSFT_GUARD(nullptr, {
    msft::optional<int64_t> d;
    if (has_dim) d = dim;
    return msft::wrap(at::argmax(TEN(t), d, keepdim));
  })
}

MSFT_EXPORT msft_tensor msft_argmin(msft_tensor t, bool has_dim, int64_t dim, bool keepdim) {
  MSFT_GUARD(nullptr, {
    msft::optional<int64_t> d;
    if (has_dim) d = dim;
    return msft::wrap(at::argmin(TEN(t), d, keepdim));
  })
}

MSFT_EXPORT msft_tensor msft_logsumexp(msft_tensor t, const int64_t* dims, int64_t ndims, bool keepdim) {
  MSFT_TENSOR(at::logsumexp(TEN(t), msft::ints(dims, ndims), keepdim))
}

// p-norm over all elements.
MSFT_EXPORT msft_tensor msft_norm(msft_tensor t, double p) { MSFT_TENSOR(at::norm(TEN(t), p)) }

// True when every element is non-zero.
MSFT_EXPORT msft_tensor msft_all(msft_tensor t) { MSFT_TENSOR(at::all(TEN(t))) }

// True when any element is non-zero.
MSFT_EXPORT msft_tensor msft_any(msft_tensor t) { MSFT_TENSOR(at::any(TEN(t))) }

// Cumulative sum along dim.
MSFT_EXPORT msft_tensor msft_cumsum(msft_tensor t, int64_t dim) { MSFT_TENSOR(at::cumsum(TEN(t), dim)) }

// The k largest (or smallest) values along dim and their indices, sorted.
MSFT_EXPORT int32_t msft_topk(msft_tensor t, int64_t k, int64_t dim, bool largest, msft_tensor* values,
                              msft_tensor* indices) {
  MSFT_STATUS(auto r = at::topk(TEN(t), k, dim, largest, /*sorted=*/true); *values = msft::wrap(std::get<0>(r));
              *indices = msft::wrap(std::get<1>(r)))
}
