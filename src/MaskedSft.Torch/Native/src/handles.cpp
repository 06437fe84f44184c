// Tensor handles: creation and release with a live/peak counter, and the argument converters shared by all exports.
#include "msft.h"

#include <atomic>

namespace {
std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_peak{0};
std::atomic<int64_t> g_host_reads{0};

void count_new() {
  const int64_t now = g_live.fetch_add(1, std::memory_order_relaxed) + 1;
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}
}  // namespace

namespace msft {

void count_host_read() { g_host_reads.fetch_add(1, std::memory_order_relaxed); }

msft_tensor wrap(at::Tensor tensor) {
  if (!tensor.defined()) throw std::runtime_error("the operation returned an undefined tensor");
  auto* handle = new at::Tensor(std::move(tensor));
  count_new();
  return handle;
}

at::ScalarType dtype(int32_t code) {
  switch (code) {
    case static_cast<int32_t>(at::kByte):
    case static_cast<int32_t>(at::kChar):
    case static_cast<int32_t>(at::kShort):
    case static_cast<int32_t>(at::kInt):
    case static_cast<int32_t>(at::kLong):
    case static_cast<int32_t>(at::kHalf):
    case static_cast<int32_t>(at::kFloat):
    case static_cast<int32_t>(at::kDouble):
    case static_cast<int32_t>(at::kBool):
    case static_cast<int32_t>(at::kBFloat16):
      return static_cast<at::ScalarType>(code);
    default:
      throw std::invalid_argument("unsupported dtype code " + std::to_string(code));
  }
}

at::Device device(int32_t type, int32_t index) {
  if (type == 0) return at::Device(at::kCPU);
  if (type == 1) {
    if (!at::hasCUDA()) {
      throw std::runtime_error("CUDA device cuda:" + std::to_string(index) +
                               " was requested but CUDA is not available (this libtorch has no CUDA support or no GPU "
                               "is visible); use Device.Cpu or Device.Auto");
    }
    const int64_t count = static_cast<int64_t>(at::getNumGPUs());
    if (index < 0 || index >= count) {
      throw std::runtime_error("CUDA device cuda:" + std::to_string(index) + " does not exist (" +
                               std::to_string(count) + " visible)");
    }
    return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw std::invalid_argument("unsupported device type code " + std::to_string(type));
}

std::vector<at::Tensor> tensors(const msft_tensor* handles, int64_t count) {
  if (count < 0) throw std::invalid_argument("negative tensor count");
  if (count > 0 && handles == nullptr) throw std::invalid_argument("null tensor array with non-zero count");
  std::vector<at::Tensor> result;
  result.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    if (handles[i] == nullptr) throw std::invalid_argument("null tensor handle at position " + std::to_string(i));
    result.push_back(*handles[i]);
  }
  return result;
}

}  // namespace msft

// Releases a tensor handle (nullptr is ignored). Never fails.
MSFT_EXPORT void msft_tensor_free(msft_tensor handle) {
  if (handle == nullptr) return;
  try {
    delete handle;
  } catch (...) {
  }
  g_live.fetch_sub(1, std::memory_order_relaxed);
}

// A new handle sharing the same tensor (same storage and autograd identity).
MSFT_EXPORT msft_tensor msft_tensor_alias(msft_tensor t) { MSFT_TENSOR(TEN(t)) }

// Number of live tensor handles.
MSFT_EXPORT int64_t msft_tensor_live_count() { return g_live.load(std::memory_order_relaxed); }

// Highest number of live tensor handles seen since load or the last reset.
MSFT_EXPORT int64_t msft_tensor_peak_count() { return g_peak.load(std::memory_order_relaxed); }

// Sets the peak to the current live count.
MSFT_EXPORT void msft_tensor_reset_peak() { g_peak.store(g_live.load(std::memory_order_relaxed)); }

// Device-to-host reads of tensor data since the library loaded (copies into host buffers, item(), to(CPU) of a device
// tensor): each one waits for the device's queued work, so a training step should make at most one.
MSFT_EXPORT int64_t msft_host_read_count() { return g_host_reads.load(std::memory_order_relaxed); }
