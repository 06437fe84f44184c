// Devices and threads: CUDA availability, device count, intra-op thread count, libtorch version.
#include "msft.h"

#include <ATen/Parallel.h>

#define MSFT_DEVICE_ALLOCATOR_API ((TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 9) || TORCH_VERSION_MAJOR > 2)
#if MSFT_DEVICE_ALLOCATOR_API
#include <c10/core/CachingDeviceAllocator.h>
#endif

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

// The CUDA caching allocator's statistics of a device (torch.cuda.memory_allocated, max_memory_allocated and
// memory_reserved): bytes held by tensors now, their peak since the last reset, and bytes the allocator reserved.
// Needs libtorch >= 2.9 (its device-generic allocator interface); an error before that or without CUDA.
MSFT_EXPORT int32_t msft_cuda_memory_stats(int32_t index, int64_t* allocated, int64_t* peak_allocated, int64_t* reserved) {
  MSFT_STATUS({
#if MSFT_DEVICE_ALLOCATOR_API
    const auto dev = msft::device(1, index);
    const auto stats = c10::getDeviceAllocator(at::kCUDA)->getDeviceStats(dev.index());
    const auto all = static_cast<size_t>(c10::CachingDeviceAllocator::StatType::AGGREGATE);
    *allocated = stats.allocated_bytes[all].current;
    *peak_allocated = stats.allocated_bytes[all].peak;
    *reserved = stats.reserved_bytes[all].current;
#else
    throw std::runtime_error("CUDA memory statistics need libtorch 2.9 or newer (this is " MSFT_STR(TORCH_VERSION_MAJOR) "." MSFT_STR(TORCH_VERSION_MINOR) ")");
#endif
  })
}

// Resets the peak of msft_cuda_memory_stats to the current allocation (torch.cuda.reset_peak_memory_stats).
MSFT_EXPORT int32_t msft_cuda_reset_peak_memory(int32_t index) {
  MSFT_STATUS({
#if MSFT_DEVICE_ALLOCATOR_API
    const auto dev = msft::device(1, index);
    c10::getDeviceAllocator(at::kCUDA)->resetPeakStats(dev.index());
#else
    throw std::runtime_error("CUDA memory statistics need libtorch 2.9 or newer");
#endif
  })
}
