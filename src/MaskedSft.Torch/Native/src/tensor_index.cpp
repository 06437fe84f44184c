// Indexing: slice, narrow, select, index_select, gather, scatter, where, masked_fill, tril/triu, masked_select.
#include "msft.h"

// Elements start..end (exclusive) with a step along dim; end past the size is clamped as in Python slicing.
MSFT_EXPORT msft_tensor msft_slice(msft_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step) {
  MSFT_TENSOR(TEN(t).slice(dim, start, end, step))
}

MSFT_EXPORT msft_tensor msft_narrow(msft_tensor t, int64_t dim, int64_t start, int64_t length) {
  MSFT_TENSOR(TEN(t).narrow(dim, start, length))
}

MSFT_EXPORT msft_tensor msft_select(msft_tensor t, int64_t dim, int64_t index) { MSFT_TENSOR(TEN(t).select(dim, index)) }

MSFT_EXPORT msft_tensor msft_index_select(msft_tensor t, int64_t dim, msft_tensor index) {
  MSFT_TENSOR(at::index_select(TEN(t), dim, TEN(index)))
}

MSFT_EXPORT msft_tensor msft_gather(msft_tensor t, int64_t dim, msft_tensor index) {
  MSFT_TENSOR(at::gather(TEN(t), dim, TEN(index)))
}

// Out-of-place scatter: a copy of t with src written at index along dim (add = accumulate instead of overwrite).
MSFT_EXPORT msft_tensor msft_scatter(msft_tensor t, int64_t dim, msft_tensor index, msft_tensor src, bool add) {
  MSFT_TENSOR(add ? at::scatter_add(TEN(t), dim, TEN(index), TEN(src)) : at::scatter(TEN(t), dim, TEN(index), TEN(src)))
}

MSFT_EXPORT msft_tensor msft_where(msft_tensor condition, msft_tensor a, msft_tensor b) {
  MSFT_TENSOR(at::where(TEN(condition), TEN(a), TEN(b)))
}

MSFT_EXPORT msft_tensor msft_masked_fill(msft_tensor t, msft_tensor mask, double real, int64_t integer, bool is_int) {
  MSFT_TENSOR(at::masked_fill(TEN(t), TEN(mask), msft::scalar(real, integer, is_int)))
}

MSFT_EXPORT msft_tensor msft_masked_select(msft_tensor t, msft_tensor mask) {
  MSFT_TENSOR(at::masked_select(TEN(t), TEN(mask)))
}

MSFT_EXPORT msft_tensor msft_tril(msft_tensor t, int64_t diagonal) { MSFT_TENSOR(at::tril(TEN(t), diagonal)) }

MSFT_EXPORT msft_tensor msft_triu(msft_tensor t, int64_t diagonal) { MSFT_TENSOR(at::triu(TEN(t), diagonal)) }

// Indices of the non-zero elements as a (count, ndim) int64 tensor.
MSFT_EXPORT msft_tensor msft_nonzero(msft_tensor t) { MSFT_TENSOR(at::nonzero(TEN(t))) }
