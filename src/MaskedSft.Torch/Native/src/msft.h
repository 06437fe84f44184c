// Common header of the native shim: export macro, exception guard, handle helpers and argument converters.
#pragma once

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>  // at::NoGradGuard and c10::GradMode: not included by ATen.h in libtorch 2.x
#include <torch/version.h>

#include <cstdint>
#include <string>
#include <vector>

#define MSFT_EXPORT extern "C" __attribute__((visibility("default")))

// An opaque tensor handle: a heap-allocated at::Tensor owned by the managed side.
typedef at::Tensor* msft_tensor;

namespace msft {

#if TORCH_VERSION_MAJOR >= 2
template <class T>
using optional = std::optional<T>;
#else
template <class T>
using optional = c10::optional<T>;
#endif

// Stores the message of the exception being handled in the thread-local error slot.
void set_error(const char* message);

// The autocast settings of this thread (CUDA and CPU), so a recomputation in backward (gradient checkpointing) runs
// under the autocast its forward ran under, as torch.utils.checkpoint does.
struct AutocastState {
  bool cuda = false;
  at::ScalarType cuda_dtype = at::kBFloat16;
  bool cpu = false;
  at::ScalarType cpu_dtype = at::kBFloat16;
};
AutocastState autocast_state();
// Applies a state (entering a nesting level when it enables autocast) and returns the one it replaced.
AutocastState set_autocast_state(const AutocastState& state);
// Restores a state returned by set_autocast_state, leaving the nesting level (the outermost exit clears the cast cache).
void restore_autocast_state(const AutocastState& applied, const AutocastState& previous);

// Counts one read of tensor data by the host (msft_host_read_count): every export that copies device data to host
// memory, or a device tensor to the CPU, calls it once.
void count_host_read();

// Moves a defined tensor into a new handle and counts it as live.
msft_tensor wrap(at::Tensor tensor);

// Dereferences a handle, throwing a clear error on a null one.
inline const at::Tensor& deref(msft_tensor handle, const char* what = "tensor") {
  if (handle == nullptr) {
    throw std::invalid_argument(std::string("null ") + what + " handle");
  }
  return *handle;
}

// A possibly-null handle as an optional tensor (null means "not given").
inline optional<at::Tensor> opt(msft_tensor handle) {
  if (handle == nullptr) return {};
  return *handle;
}

// Converts the managed dtype code (c10::ScalarType's numeric value) after validating it.
at::ScalarType dtype(int32_t code);

// Converts a managed device (type 0 = CPU, 1 = CUDA; index) and checks that CUDA is usable when asked for.
at::Device device(int32_t type, int32_t index);

// A scalar from the managed side: an integer when is_int, else a double.
inline at::Scalar scalar(double real, int64_t integer, bool is_int) {
  return is_int ? at::Scalar(integer) : at::Scalar(real);
}

// An int64 array from the managed side as an ArrayRef (empty when length is 0).
inline at::IntArrayRef ints(const int64_t* data, int64_t length) {
  if (length < 0) throw std::invalid_argument("negative array length");
  if (length > 0 && data == nullptr) throw std::invalid_argument("null array with non-zero length");
  return at::IntArrayRef(data, static_cast<size_t>(length));
}

// An array of tensor handles as a vector of tensors.
std::vector<at::Tensor> tensors(const msft_tensor* handles, int64_t count);

}  // namespace msft

// Guards an export body: every C++ exception becomes the thread-local error message and the sentinel is returned,
// so no exception ever crosses the C ABI.
#define MSFT_GUARD(sentinel, ...)                           \
  try {                                                     \
    __VA_ARGS__;                                            \
  } catch (const c10::Error& e) {                           \
    msft::set_error(e.what_without_backtrace());            \
  } catch (const std::exception& e) {                       \
    msft::set_error(e.what());                              \
  } catch (...) {                                           \
    msft::set_error("unknown native exception");            \
  }                                                         \
  return sentinel;

// Body of an export that returns a new tensor handle (nullptr on error).
#define MSFT_TENSOR(expr) MSFT_GUARD(nullptr, return msft::wrap(expr))

// Body of an export that returns a status (0 ok, -1 on error).
#define MSFT_STATUS(...) MSFT_GUARD(-1, __VA_ARGS__; return 0)

// Shorthand for dereferencing a tensor handle argument.
#define TEN(h) msft::deref(h, #h)
