// Random numbers: seeded generators (CPU, CUDA) with savable state, the global seed, rand/randn/randint/randperm,
// bernoulli and multinomial.
#include "msft.h"

#include <ATen/CPUGeneratorImpl.h>
#include <mutex>

typedef at::Generator* msft_generator;

namespace {
const at::Generator& gen_ref(msft_generator g) {
  if (g == nullptr) throw std::invalid_argument("null generator handle");
  return *g;
}

// Optional generator from a possibly-null handle.
msft::optional<at::Generator> opt_gen(msft_generator g) {
  if (g == nullptr) return {};
  return *g;
}

at::TensorOptions options(int32_t dtype, int32_t dev_type, int32_t dev_index) {
  return at::TensorOptions().dtype(msft::dtype(dtype)).device(msft::device(dev_type, dev_index));
}
}  // namespace

// A new generator on the device (0 CPU, 1 CUDA) seeded with seed.
MSFT_EXPORT msft_generator msft_generator_create(int32_t dev_type, int32_t dev_index, uint64_t seed) {
  MSFT_GUARD(nullptr, {
    const auto dev = msft::device(dev_type, dev_index);
    at::Generator gen = dev.is_cpu() ? at::detail::createCPUGenerator(seed)
                                     : at::globalContext().defaultGenerator(dev).clone();
    {
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seed);
    }
    return new at::Generator(std::move(gen));
  })
}

// A handle to the process-wide default generator of the device (shares its state).
MSFT_EXPORT msft_generator msft_generator_default(int32_t dev_type, int32_t dev_index) {
  MSFT_GUARD(nullptr, {
    const auto dev = msft::device(dev_type, dev_index);
    return new at::Generator(at::globalContext().defaultGenerator(dev));
  })
}

// Releases a generator handle (nullptr is ignored).
MSFT_EXPORT void msft_generator_free(msft_generator g) {
  try {
    delete g;
  } catch (...) {
  }
}

// Reseeds the generator.
MSFT_EXPORT int32_t msft_generator_seed(msft_generator g, uint64_t seed) {
  MSFT_STATUS(auto gen = gen_ref(g); std::lock_guard<std::mutex> lock(gen.mutex()); gen.set_current_seed(seed))
}

// The generator's initial seed.
MSFT_EXPORT int32_t msft_generator_initial_seed(msft_generator g, uint64_t* seed) {
  MSFT_STATUS(auto gen = gen_ref(g); std::lock_guard<std::mutex> lock(gen.mutex()); *seed = gen.current_seed())
}

// The generator's full state as a uint8 tensor.
MSFT_EXPORT msft_tensor msft_generator_get_state(msft_generator g) {
  MSFT_GUARD(nullptr, {
    auto gen = gen_ref(g);
    std::lock_guard<std::mutex> lock(gen.mutex());
    return msft::wrap(gen.get_state());
  })
}

// Restores a state returned by msft_generator_get_state.
MSFT_EXPORT int32_t msft_generator_set_state(msft_generator g, msft_tensor state) {
  MSFT_STATUS({
    auto gen = gen_ref(g);
    const auto& s = TEN(state);
    if (s.scalar_type() != at::kByte || s.dim() != 1) {
      throw std::invalid_argument("a generator state must be a 1-d uint8 tensor, got " + c10::str(s.sizes()) + " " +
                                  std::string(c10::toString(s.scalar_type())));
    }
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(s.device().is_cpu() ? s.contiguous() : s.to(at::kCPU).contiguous());
  })
}

// Seeds the default generators of every device (as torch.manual_seed).
MSFT_EXPORT int32_t msft_manual_seed(uint64_t seed) { MSFT_STATUS(at::manual_seed(seed)) }

// Uniform values in [0, 1).
MSFT_EXPORT msft_tensor msft_rand(const int64_t* shape, int64_t ndim, msft_generator g, int32_t dtype,
                                  int32_t dev_type, int32_t dev_index) {
  MSFT_TENSOR(at::rand(msft::ints(shape, ndim), opt_gen(g), options(dtype, dev_type, dev_index)))
}

// Standard normal values.
MSFT_EXPORT msft_tensor msft_randn(const int64_t* shape, int64_t ndim, msft_generator g, int32_t dtype,
                                   int32_t dev_type, int32_t dev_index) {
  MSFT_TENSOR(at::randn(msft::ints(shape, ndim), opt_gen(g), options(dtype, dev_type, dev_index)))
}

// Integers uniform in [low, high).
MSFT_EXPORT msft_tensor msft_randint(int64_t low, int64_t high, const int64_t* shape, int64_t ndim, msft_generator g,
                                     int32_t dtype, int32_t dev_type, int32_t dev_index) {
  MSFT_TENSOR(at::randint(low, high, msft::ints(shape, ndim), opt_gen(g), options(dtype, dev_type, dev_index)))
}

// A random permutation of 0..n-1.
MSFT_EXPORT msft_tensor msft_randperm(int64_t n, msft_generator g, int32_t dtype, int32_t dev_type,
                                      int32_t dev_index) {
  MSFT_TENSOR(at::randperm(n, opt_gen(g), options(dtype, dev_type, dev_index)))
}

// 0/1 draws with the probabilities in p.
MSFT_EXPORT msft_tensor msft_bernoulli(msft_tensor p, msft_generator g) {
  MSFT_TENSOR(at::bernoulli(TEN(p), opt_gen(g)))
}

// Samples num_samples category indices per row of non-negative weights.
MSFT_EXPORT msft_tensor msft_multinomial(msft_tensor probs, int64_t num_samples, bool replacement, msft_generator g) {
  MSFT_TENSOR(at::multinomial(TEN(probs), num_samples, replacement, opt_gen(g)))
}
