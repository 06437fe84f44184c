// Devices and threads: CUDA availability, device count, intra-op thread count, libtorch version.
#include "msft.h"

#include <ATen/Parallel.h>

// 1 when CUDA is usable by this libtorch, else 0 (never fails).
MSFT_EXPORT int32_t msft_cuda_is_available() {
  try {
    return at::hasCUDA() && at::getNumGPUs() > 0 ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

// Number of visible CUDA devices (0 without CUDA; never fails).
MSFT_EXPORT int32_t msft_cuda_device_count() {
  try {
    return at::hasCUDA() ? static_cast<int32_t>(at::getNumGPUs()) : 0;
  } catch (...) {
    return 0;
  }
}

// Sets the intra-op thread count of libtorch.
MSFT_EXPORT int32_t msft_set_num_threads(int32_t count) {
  MSFT_STATUS(if (count <= 0) throw std::invalid_argument("thread count must be positive, got " +
                                                          std::to_string(count));
              at::set_num_threads(count))
}

// The intra-op thread count of libtorch (-1 on error).
MSFT_EXPORT int32_t msft_get_num_threads() { MSFT_GUARD(-1, return at::get_num_threads()) }

#define MSFT_STR2(x) #x
#define MSFT_STR(x) MSFT_STR2(x)

// The libtorch version as "major.minor.patch" (static string).
MSFT_EXPORT const char* msft_torch_version() {
  return MSFT_STR(TORCH_VERSION_MAJOR) "." MSFT_STR(TORCH_VERSION_MINOR) "." MSFT_STR(TORCH_VERSION_PATCH);
}

// Waits for all work queued on the CUDA device to finish (no-op without CUDA); used for timing.
MSFT_EXPORT int32_t msft_cuda_synchronize(int32_t index) {
  MSFT_STATUS(if (at::hasCUDA()) {
    // A one-element device-to-host copy waits for the device's current stream.
    auto probe = at::zeros({1}, at::TensorOptions().device(msft::device(1, index)));
    (void)probe.to(at::kCPU);
  })
}
