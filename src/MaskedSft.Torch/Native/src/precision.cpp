// Mixed precision: the autocast region (thread-local, as torch.autocast) and TF32 matrix math on CUDA.
#include "msft.h"

#include <ATen/autocast_mode.h>

#define MSFT_NEW_AUTOCAST_API ((TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4) || TORCH_VERSION_MAJOR > 2)

namespace {
at::DeviceType autocast_device(int32_t device_type) {
  if (device_type == 0) return at::kCPU;
  if (device_type == 1) return at::kCUDA;
  throw std::invalid_argument("autocast device type must be 0 (CPU) or 1 (CUDA), got " + std::to_string(device_type));
}

bool autocast_enabled(at::DeviceType type) {
#if MSFT_NEW_AUTOCAST_API
  return at::autocast::is_autocast_enabled(type);
#else
  return type == at::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

at::ScalarType autocast_dtype(at::DeviceType type) {
#if MSFT_NEW_AUTOCAST_API
  return at::autocast::get_autocast_dtype(type);
#else
  return type == at::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast(at::DeviceType type, bool enabled, at::ScalarType dtype) {
#if MSFT_NEW_AUTOCAST_API
  at::autocast::set_autocast_enabled(type, enabled);
  at::autocast::set_autocast_dtype(type, dtype);
#else
  if (type == at::kCUDA) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}
}  // namespace

namespace msft {

AutocastState autocast_state() {
  AutocastState s;
  s.cuda = autocast_enabled(at::kCUDA);
  s.cuda_dtype = autocast_dtype(at::kCUDA);
  s.cpu = autocast_enabled(at::kCPU);
  s.cpu_dtype = autocast_dtype(at::kCPU);
  return s;
}

AutocastState set_autocast_state(const AutocastState& state) {
  const auto previous = autocast_state();
  set_autocast(at::kCUDA, state.cuda, state.cuda_dtype);
  set_autocast(at::kCPU, state.cpu, state.cpu_dtype);
  if (state.cuda || state.cpu) at::autocast::increment_nesting();
  return previous;
}

void restore_autocast_state(const AutocastState& applied, const AutocastState& previous) {
  if ((applied.cuda || applied.cpu) && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast(at::kCUDA, previous.cuda, previous.cuda_dtype);
  set_autocast(at::kCPU, previous.cpu, previous.cpu_dtype);
}

}  // namespace msft

// Enters an autocast region on this thread for a device type (0 CPU, 1 CUDA) with a lower-precision dtype (e.g.
// bfloat16): matrix products and the other ops of autocast's lower-precision list run in that dtype, the rest in
// float32, and gradients flow back in each parameter's own dtype. Writes the previous state into *prev_enabled and
// *prev_dtype for msft_autocast_exit.
MSFT_EXPORT int32_t msft_autocast_enter(int32_t device_type, int32_t dtype, int32_t* prev_enabled, int32_t* prev_dtype) {
  MSFT_STATUS({
    const auto type = autocast_device(device_type);
    const auto lower = msft::dtype(dtype);
    *prev_enabled = autocast_enabled(type) ? 1 : 0;
    *prev_dtype = static_cast<int32_t>(autocast_dtype(type));
    set_autocast(type, true, lower);
    at::autocast::increment_nesting();
  })
}

// Leaves the region entered by msft_autocast_enter, restoring the previous state; the outermost exit frees the cast
// weights autocast cached for the region (as torch.autocast's __exit__).
MSFT_EXPORT int32_t msft_autocast_exit(int32_t device_type, int32_t prev_enabled, int32_t prev_dtype) {
  MSFT_STATUS({
    const auto type = autocast_device(device_type);
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_autocast(type, prev_enabled != 0, msft::dtype(prev_dtype));
  })
}

// 1 when autocast is on for the device type on this thread, 0 when not, -1 on error.
MSFT_EXPORT int32_t msft_autocast_is_enabled(int32_t device_type) {
  MSFT_GUARD(-1, return autocast_enabled(autocast_device(device_type)) ? 1 : 0)
}

// Lets float32 matrix products and convolutions on CUDA use TF32 tensor cores (torch.backends.cuda.matmul.allow_tf32
// and torch.backends.cudnn.allow_tf32); process-wide.
MSFT_EXPORT int32_t msft_set_allow_tf32(bool allow) {
  MSFT_STATUS({
    at::globalContext().setAllowTF32CuBLAS(allow);
    at::globalContext().setAllowTF32CuDNN(allow);
  })
}

// 1 when float32 CUDA matrix products may use TF32, else 0 (-1 on error).
MSFT_EXPORT int32_t msft_get_allow_tf32() { MSFT_GUARD(-1, return at::globalContext().allowTF32CuBLAS() ? 1 : 0) }
