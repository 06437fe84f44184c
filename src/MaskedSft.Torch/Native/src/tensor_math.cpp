// Elementwise arithmetic (tensor-tensor, tensor-scalar, scalar-tensor), unary math, comparisons, logic and matmul.
#include "msft.h"

#include <ATen/ScalarOps.h>

namespace {
// A Python-style scalar operand: a 0-d "wrapped number" tensor that does not drive type promotion.
// It lives on the CPU, which every device accepts for 0-d operands.
at::Tensor wrapped(const at::Scalar& s, const at::Tensor& /*like*/) { return at::native::wrapped_scalar_tensor(s); }
}  // namespace

#define MSFT_SCALAR msft::scalar(real, integer, is_int)

// Binary op in three forms: msft_<name>(a, b), msft_<name>_scalar(a, s), msft_r<name>_scalar(a, s) = s <op> a.
#define MSFT_BINARY(name, fn)                                                                             \
  MSFT_EXPORT msft_tensor msft_##name(msft_tensor a, msft_tensor b) { MSFT_TENSOR(fn(TEN(a), TEN(b))) }  \
  MSFT_EXPORT msft_tensor msft_##name##_scalar(msft_tensor a, double real, int64_t integer, bool is_int) { \
    MSFT_TENSOR(fn(TEN(a), wrapped(MSFT_SCALAR, TEN(a))))                                                 \
  }                                                                                                       \
  MSFT_EXPORT msft_tensor msft_r##name##_scalar(msft_tensor a, double real, int64_t integer, bool is_int) { \
    MSFT_TENSOR(fn(wrapped(MSFT_SCALAR, TEN(a)), TEN(a)))                                                 \
  }

MSFT_BINARY(add, at::add)
MSFT_BINARY(sub, at::sub)
MSFT_BINARY(mul, at::mul)
MSFT_BINARY(div, at::div)
MSFT_BINARY(pow, at::pow)
MSFT_BINARY(remainder, at::remainder)
MSFT_BINARY(maximum, at::maximum)
MSFT_BINARY(minimum, at::minimum)
MSFT_BINARY(eq, at::eq)
MSFT_BINARY(ne, at::ne)
MSFT_BINARY(lt, at::lt)
MSFT_BINARY(le, at::le)
MSFT_BINARY(gt, at::gt)
MSFT_BINARY(ge, at::ge)

// a + alpha * b in one kernel.
MSFT_EXPORT msft_tensor msft_add_scaled(msft_tensor a, msft_tensor b, double alpha) {
  MSFT_TENSOR(at::add(TEN(a), TEN(b), alpha))
}

// Integer division rounding toward negative infinity ("floor") or zero ("trunc").
MSFT_EXPORT msft_tensor msft_div_rounding(msft_tensor a, msft_tensor b, const char* mode) {
  MSFT_TENSOR(at::div(TEN(a), TEN(b), std::string(mode)))
}

#define MSFT_UNARY(name, fn) \
  MSFT_EXPORT msft_tensor msft_##name(msft_tensor t) { MSFT_TENSOR(fn(TEN(t))) }

MSFT_UNARY(neg, at::neg)
MSFT_UNARY(abs, at::abs)
MSFT_UNARY(exp, at::exp)
MSFT_UNARY(log, at::log)
MSFT_UNARY(log1p, at::log1p)
MSFT_UNARY(sqrt, at::sqrt)
MSFT_UNARY(rsqrt, at::rsqrt)
MSFT_UNARY(sin, at::sin)
MSFT_UNARY(cos, at::cos)
MSFT_UNARY(tanh, at::tanh)
MSFT_UNARY(sigmoid, at::sigmoid)
MSFT_UNARY(reciprocal, at::reciprocal)
MSFT_UNARY(square, at::square)
MSFT_UNARY(sign, at::sign)
MSFT_UNARY(floor, at::floor)
MSFT_UNARY(ceil, at::ceil)
MSFT_UNARY(round, at::round)
MSFT_UNARY(isfinite, at::isfinite)
MSFT_UNARY(isnan, at::isnan)
MSFT_UNARY(isinf, at::isinf)
MSFT_UNARY(logical_not, at::logical_not)

MSFT_EXPORT msft_tensor msft_logical_and(msft_tensor a, msft_tensor b) { MSFT_TENSOR(at::logical_and(TEN(a), TEN(b))) }
MSFT_EXPORT msft_tensor msft_logical_or(msft_tensor a, msft_tensor b) { MSFT_TENSOR(at::logical_or(TEN(a), TEN(b))) }
MSFT_EXPORT msft_tensor msft_logical_xor(msft_tensor a, msft_tensor b) { MSFT_TENSOR(at::logical_xor(TEN(a), TEN(b))) }

// Clamps into [min, max]; a bound is ignored when its has_* flag is false.
MSFT_EXPORT msft_tensor msft_clamp(msft_tensor t, bool has_min, double min, bool has_max, double max) {
  MSFT_GUARD(nullptr, {
    if (!has_min && !has_max) throw std::invalid_argument("clamp needs at least one of min and max");
    msft::optional<at::Scalar> lo, hi;
    if (has_min) lo = at::Scalar(min);
    if (has_max) hi = at::Scalar(max);
    return msft::wrap(at::clamp(TEN(t), lo, hi));
  })
}

// Matrix product with NumPy broadcasting semantics.
MSFT_EXPORT msft_tensor msft_matmul(msft_tensor a, msft_tensor b) { MSFT_TENSOR(at::matmul(TEN(a), TEN(b))) }

// Batched matrix product of (B, N, M) and (B, M, P).
MSFT_EXPORT msft_tensor msft_bmm(msft_tensor a, msft_tensor b) { MSFT_TENSOR(at::bmm(TEN(a), TEN(b))) }

// Matrix product of (N, M) and (M, P).
MSFT_EXPORT msft_tensor msft_mm(msft_tensor a, msft_tensor b) { MSFT_TENSOR(at::mm(TEN(a), TEN(b))) }

// In place: a += alpha * b.
MSFT_EXPORT int32_t msft_add_(msft_tensor a, msft_tensor b, double alpha) {
  MSFT_STATUS(const_cast<at::Tensor&>(TEN(a)).add_(TEN(b), alpha))
}

// In place: a *= b.
MSFT_EXPORT int32_t msft_mul_(msft_tensor a, msft_tensor b) { MSFT_STATUS(const_cast<at::Tensor&>(TEN(a)).mul_(TEN(b))) }

// In place: a *= s.
MSFT_EXPORT int32_t msft_mul_scalar_(msft_tensor a, double real, int64_t integer, bool is_int) {
  MSFT_STATUS(const_cast<at::Tensor&>(TEN(a)).mul_(MSFT_SCALAR))
}

// In place: a += s.
MSFT_EXPORT int32_t msft_add_scalar_(msft_tensor a, double real, int64_t integer, bool is_int) {
  MSFT_STATUS(const_cast<at::Tensor&>(TEN(a)).add_(MSFT_SCALAR))
}
