// libtorch's Kineto profiler (what torch.profiler drives): CPU operator and CUDA kernel activities of a region of the
// program, saved as a Chrome trace JSON (chrome://tracing, Perfetto, bench/GpuTrainStep/profile_summary.py).
// libtorch 2.x only; on 1.13, and where libtorch was built without Kineto, the exports fail with a clear error.
#include "msft.h"

#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>

#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/autograd/profiler_kineto.h>
#endif

namespace {
#define MSFT_PROF_STR2(x) #x
#define MSFT_PROF_STR(x) MSFT_PROF_STR2(x)

std::mutex profiler_mutex;
bool profiler_running = false;

#if TORCH_VERSION_MAJOR < 2
[[noreturn]] void unsupported() {
  throw std::runtime_error("the Kineto profiler needs libtorch 2.x (this is " MSFT_PROF_STR(TORCH_VERSION_MAJOR) "." MSFT_PROF_STR(
      TORCH_VERSION_MINOR) ")");
}
#else
namespace prof = torch::autograd::profiler;
namespace impl = torch::profiler::impl;

std::set<impl::ActivityType> activities(bool cuda) {
  std::set<impl::ActivityType> set{impl::ActivityType::CPU};
  if (cuda) set.insert(impl::ActivityType::CUDA);
  return set;
}
#endif
}  // namespace

// Starts libtorch's Kineto profiler on this thread (and the autograd threads its work reaches): CPU operators, and
// CUDA kernels and copies when with_cuda is true; record_shapes adds the operators' input shapes. One profiling
// region at a time; end it with msft_profiler_stop.
MSFT_EXPORT int32_t msft_profiler_start(bool with_cuda, bool record_shapes) {
  MSFT_STATUS({
    std::lock_guard<std::mutex> lock(profiler_mutex);
    if (profiler_running) throw std::runtime_error("the profiler is already running (msft_profiler_stop ends it)");
#if TORCH_VERSION_MAJOR < 2
    unsupported();
#else
    const impl::ProfilerConfig config(impl::ProfilerState::KINETO, record_shapes);
    const auto set = activities(with_cuda);
    prof::prepareProfiler(config, set);
    prof::enableProfiler(config, set);
    profiler_running = true;
#endif
  })
}

// Stops the profiler started by msft_profiler_start and saves what it recorded as a Chrome trace JSON at path (null:
// discards it). Fails when no profiling region is open, and when libtorch was built without Kineto (no trace).
MSFT_EXPORT int32_t msft_profiler_stop(const char* path) {
  MSFT_STATUS({
    std::lock_guard<std::mutex> lock(profiler_mutex);
    if (!profiler_running) throw std::runtime_error("the profiler is not running (msft_profiler_start starts it)");
#if TORCH_VERSION_MAJOR < 2
    unsupported();
#else
    profiler_running = false;
    auto result = prof::disableProfiler();
    if (path != nullptr) {
      if (!result) throw std::runtime_error("the profiler returned no result");
      try {
        result->save(path);
      } catch (const c10::Error& e) {
        throw std::runtime_error(std::string("saving the profiler trace failed (is libtorch built with Kineto?): ") +
                                 e.what_without_backtrace());
      }
    }
#endif
  })
}

// 1 while a profiling region is open, 0 otherwise.
MSFT_EXPORT int32_t msft_profiler_is_running() {
  MSFT_GUARD(-1, std::lock_guard<std::mutex> lock(profiler_mutex); return profiler_running ? 1 : 0)
}
