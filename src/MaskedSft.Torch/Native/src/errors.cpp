// Thread-local last-error slot of the C ABI: set by the export guard, read by the managed side after a sentinel return.
#include "msft.h"

namespace {
thread_local std::string g_last_error;
thread_local bool g_has_error = false;
}  // namespace

namespace msft {
void set_error(const char* message) {
  try {
    g_last_error = message != nullptr ? message : "unknown native exception";
  } catch (...) {
    g_last_error.clear();
  }
  g_has_error = true;
}
}  // namespace msft

// The message of the last failed call on this thread, or nullptr when none failed since the last clear.
MSFT_EXPORT const char* msft_last_error() { return g_has_error ? g_last_error.c_str() : nullptr; }

// Forgets the last error of this thread.
MSFT_EXPORT void msft_clear_error() {
  g_has_error = false;
  g_last_error.clear();
}
