// Shape operations: view, reshape, transpose, permute, (un)squeeze, flatten, expand, repeat, cat, stack, split, chunk.
#include "msft.h"

namespace {
// Writes the parts into out (up to capacity handles) and returns their number.
int64_t write_parts(const std::vector<at::Tensor>& parts, msft_tensor* out, int64_t capacity) {
  const int64_t n = static_cast<int64_t>(parts.size());
  if (n > capacity) {
    throw std::invalid_argument("the operation produced " + std::to_string(n) + " tensors but room was given for " +
                                std::to_string(capacity));
  }
  for (int64_t i = 0; i < n; ++i) out[i] = msft::wrap(parts[static_cast<size_t>(i)]);
  return n;
}
}  // namespace

MSFT_EXPORT msft_tensor msft_view(msft_tensor t, const int64_t* shape, int64_t ndim) {
  MSFT_TENSOR(TEN(t).view(msft::ints(shape, ndim)))
}

MSFT_EXPORT msft_tensor msft_reshape(msft_tensor t, const int64_t* shape, int64_t ndim) {
  MSFT_TENSOR(TEN(t).reshape(msft::ints(shape, ndim)))
}

MSFT_EXPORT msft_tensor msft_transpose(msft_tensor t, int64_t dim0, int64_t dim1) {
  MSFT_TENSOR(TEN(t).transpose(dim0, dim1))
}

MSFT_EXPORT msft_tensor msft_permute(msft_tensor t, const int64_t* dims, int64_t ndim) {
  MSFT_TENSOR(TEN(t).permute(msft::ints(dims, ndim)))
}

MSFT_EXPORT msft_tensor msft_unsqueeze(msft_tensor t, int64_t dim) { MSFT_TENSOR(TEN(t).unsqueeze(dim)) }

// Removes dimension dim when it has size 1; all size-1 dimensions when has_dim is false.
MSFT_EXPORT msft_tensor msft_squeeze(msft_tensor t, bool has_dim, int64_t dim) {
  MSFT_TENSOR(has_dim ? TEN(t).squeeze(dim) : TEN(t).squeeze())
}

MSFT_EXPORT msft_tensor msft_flatten(msft_tensor t, int64_t start_dim, int64_t end_dim) {
  MSFT_TENSOR(TEN(t).flatten(start_dim, end_dim))
}

MSFT_EXPORT msft_tensor msft_expand(msft_tensor t, const int64_t* shape, int64_t ndim) {
  MSFT_TENSOR(TEN(t).expand(msft::ints(shape, ndim)))
}

MSFT_EXPORT msft_tensor msft_repeat(msft_tensor t, const int64_t* repeats, int64_t ndim) {
  MSFT_TENSOR(TEN(t).repeat(msft::ints(repeats, ndim)))
}

MSFT_EXPORT msft_tensor msft_cat(const msft_tensor* handles, int64_t count, int64_t dim) {
  MSFT_TENSOR(at::cat(msft::tensors(handles, count), dim))
}

MSFT_EXPORT msft_tensor msft_stack(const msft_tensor* handles, int64_t count, int64_t dim) {
  MSFT_TENSOR(at::stack(msft::tensors(handles, count), dim))
}

// Splits into pieces of the given sizes along dim; returns the number of pieces (-1 on error).
MSFT_EXPORT int64_t msft_split_with_sizes(msft_tensor t, const int64_t* sizes, int64_t count, int64_t dim,
                                          msft_tensor* out, int64_t capacity) {
  MSFT_GUARD(-1, return write_parts(TEN(t).split_with_sizes(msft::ints(sizes, count), dim), out, capacity))
}

// Splits into `chunks` nearly equal pieces along dim; returns the number of pieces (-1 on error).
MSFT_EXPORT int64_t msft_chunk(msft_tensor t, int64_t chunks, int64_t dim, msft_tensor* out, int64_t capacity) {
  MSFT_GUARD(-1, return write_parts(TEN(t).chunk(chunks, dim), out, capacity))
}
