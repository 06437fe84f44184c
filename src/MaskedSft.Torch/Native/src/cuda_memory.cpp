// CUDA memory statistics of libtorch's caching allocator (torch.cuda.max_memory_allocated / reset_peak_memory_stats),
// compiled only against a CUDA libtorch; elsewhere the exports say "not available" (-1).
#include "msft.h"

#if defined(MSFT_TORCH_CUDA) && __has_include(<c10/cuda/CUDACachingAllocator.h>) && __has_include(<cuda_runtime_api.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define MSFT_CUDA_MEMORY_STATS 1
#endif

// The peak of bytes held by tensors on CUDA device index since the start or the last reset (the "allocated_bytes.all.peak"
// statistic, what torch.cuda.max_memory_allocated returns); -1 when this build has no CUDA or the call failed.
MSFT_EXPORT int64_t msft_cuda_max_memory_allocated(int32_t index) {
#ifdef MSFT_CUDA_MEMORY_STATS
  MSFT_GUARD(-1, {
    if (!at::hasCUDA() || index < 0 || index >= static_cast<int32_t>(at::getNumGPUs())) return int64_t{-1};
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(index));
    return static_cast<int64_t>(stats.allocated_bytes[0].peak);  // [0] = StatType::AGGREGATE (all pools)
  })
#else
  return -1;
#endif
}

// Resets the peak statistics of CUDA device index (torch.cuda.reset_peak_memory_stats): 0 on success, -1 when this build
// has no CUDA or the call failed.
MSFT_EXPORT int32_t msft_cuda_reset_peak_memory_stats(int32_t index) {
#ifdef MSFT_CUDA_MEMORY_STATS
  MSFT_GUARD(-1, {
    if (!at::hasCUDA() || index < 0 || index >= static_cast<int32_t>(at::getNumGPUs())) return int32_t{-1};
    c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(index));
    return int32_t{0};
  })
#else
  return -1;
#endif
}
