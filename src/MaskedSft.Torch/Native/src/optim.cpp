// Optimizers: libtorch's own AdamW and SGD behind opaque handles, with parameter groups, learning-rate access and
// per-parameter state (step and moments for AdamW, momentum buffer for SGD) that can be read and restored.
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <cmath>
#include <sstream>
#include <type_traits>

#include "msft.h"

typedef torch::optim::Optimizer* msft_optimizer;

namespace {
torch::optim::Optimizer& opt_ref(msft_optimizer o) {
  if (o == nullptr) throw std::invalid_argument("null optimizer handle");
  return *o;
}

// The state map key of a parameter: libtorch 1.13 keys by the printed TensorImpl address, 2.x by the address itself.
template <class Map>
typename Map::key_type key_of(const Map& /*map*/, const at::Tensor& p) {
  using Key = typename Map::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream ss;
    ss << static_cast<const void*>(p.unsafeGetTensorImpl());
    return ss.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

// The index-th parameter over all groups, in group order.
const at::Tensor& param_at(torch::optim::Optimizer& o, int64_t index) {
  int64_t i = index;
  for (auto& group : o.param_groups()) {
    const int64_t n = static_cast<int64_t>(group.params().size());
    if (i >= 0 && i < n) return group.params()[static_cast<size_t>(i)];
    i -= n;
  }
  throw std::out_of_range("parameter index " + std::to_string(index) + " is out of range");
}

template <class State>
State* find_state(torch::optim::Optimizer& o, const at::Tensor& p) {
  auto& map = o.state();
  auto it = map.find(key_of(map, p));
  if (it == map.end()) return nullptr;
  auto* s = dynamic_cast<State*>(it->second.get());
  if (s == nullptr) throw std::invalid_argument("the optimizer state has an unexpected type for this optimizer");
  return s;
}

template <class Options>
Options& typed_options(torch::optim::Optimizer& o, int64_t group) {
  auto& groups = o.param_groups();
  if (group < 0 || group >= static_cast<int64_t>(groups.size())) {
    throw std::out_of_range("parameter group " + std::to_string(group) + " is out of range");
  }
  auto* options = dynamic_cast<Options*>(&groups[static_cast<size_t>(group)].options());
  if (options == nullptr) throw std::invalid_argument("the optimizer is not of the expected type");
  return *options;
}

// A detached copy that the optimizer owns, checked against the parameter's shape.
at::Tensor state_copy(const at::Tensor& value, const at::Tensor& p, const char* name) {
  if (!value.sizes().equals(p.sizes())) {
    throw std::invalid_argument(std::string(name) + " has shape " + c10::str(value.sizes()) +
                                " but the parameter has shape " + c10::str(p.sizes()));
  }
  return value.detach().to(p.device(), p.scalar_type(), /*non_blocking=*/false, /*copy=*/true);
}
}  // namespace

// AdamW (decoupled weight decay) over one group of parameters.
MSFT_EXPORT msft_optimizer msft_adamw_create(const msft_tensor* params, int64_t count, double lr, double beta1,
                                             double beta2, double eps, double weight_decay, bool amsgrad) {
  MSFT_GUARD(nullptr, {
    torch::optim::AdamWOptions options(lr);
    options.betas(std::make_tuple(beta1, beta2)).eps(eps).weight_decay(weight_decay).amsgrad(amsgrad);
    return static_cast<msft_optimizer>(new torch::optim::AdamW(msft::tensors(params, count), options));
  })
}

// SGD with momentum over one group of parameters.
MSFT_EXPORT msft_optimizer msft_sgd_create(const msft_tensor* params, int64_t count, double lr, double momentum,
                                           double dampening, double weight_decay, bool nesterov) {
  MSFT_GUARD(nullptr, {
    torch::optim::SGDOptions options(lr);
    options.momentum(momentum).dampening(dampening).weight_decay(weight_decay).nesterov(nesterov);
    return static_cast<msft_optimizer>(new torch::optim::SGD(msft::tensors(params, count), options));
  })
}

// Adds a parameter group with its own learning rate and weight decay (negative = the defaults').
MSFT_EXPORT int32_t msft_optim_add_group(msft_optimizer o, const msft_tensor* params, int64_t count, double lr,
                                         double weight_decay) {
  MSFT_STATUS({
    auto& opt = opt_ref(o);
    auto options = opt.defaults().clone();
    if (lr >= 0) options->set_lr(lr);
    if (weight_decay >= 0) {
      if (auto* a = dynamic_cast<torch::optim::AdamWOptions*>(options.get())) {
        a->weight_decay(weight_decay);
      } else if (auto* s = dynamic_cast<torch::optim::SGDOptions*>(options.get())) {
        s->weight_decay(weight_decay);
      }
    }
    opt.add_param_group(torch::optim::OptimizerParamGroup(msft::tensors(params, count), std::move(options)));
  })
}

MSFT_EXPORT void msft_optim_free(msft_optimizer o) {
  try {
    delete o;
  } catch (...) {
  }
}

// One optimization step over the parameters that have gradients.
MSFT_EXPORT int32_t msft_optim_step(msft_optimizer o) {
  MSFT_STATUS({
    at::NoGradGuard no_grad;
    opt_ref(o).step();
  })
}

namespace {
// The parameters of one AdamW group that have a gradient, with their (lazily created) state, split by device and dtype
// so every list of a multi-tensor kernel is homogeneous.
struct AdamWBucket {
  std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs;
  std::vector<int64_t> steps;  // after this step's increment
};

std::vector<AdamWBucket> adamw_buckets(torch::optim::Optimizer& opt, torch::optim::OptimizerParamGroup& group) {
  std::vector<AdamWBucket> buckets;
  std::vector<std::pair<at::Device, at::ScalarType>> keys;
  auto& map = opt.state();
  for (auto& p : group.params()) {
    const auto& grad = p.grad();
    if (!grad.defined()) continue;
    if (grad.is_sparse()) throw std::invalid_argument("AdamW does not support sparse gradients");
    auto key = key_of(map, p);
    auto it = map.find(key);
    if (it == map.end()) {
      auto fresh = std::make_unique<torch::optim::AdamWParamState>();
      fresh->step(0);
      fresh->exp_avg(at::zeros_like(p, at::MemoryFormat::Preserve));
      fresh->exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
      it = map.emplace(key, std::move(fresh)).first;
    }
    auto* state = dynamic_cast<torch::optim::AdamWParamState*>(it->second.get());
    if (state == nullptr) throw std::invalid_argument("the optimizer state has an unexpected type for AdamW");
    state->step(state->step() + 1);
    const std::pair<at::Device, at::ScalarType> k{p.device(), p.scalar_type()};
    size_t b = 0;
    while (b < keys.size() && keys[b] != k) ++b;
    if (b == keys.size()) {
      keys.push_back(k);
      buckets.emplace_back();
    }
    auto& bucket = buckets[b];
    bucket.params.push_back(p);
    bucket.grads.push_back(grad);
    bucket.exp_avgs.push_back(state->exp_avg());
    bucket.exp_avg_sqs.push_back(state->exp_avg_sq());
    bucket.steps.push_back(static_cast<int64_t>(state->step()));
  }
  return buckets;
}

// One AdamW update of a bucket with multi-tensor (_foreach_) kernels: the arithmetic of torch::optim::AdamW::step
// (decoupled decay, moments, bias-corrected step), a handful of kernel launches for the whole bucket.
void adamw_foreach(AdamWBucket& b, const torch::optim::AdamWOptions& o) {
  const double lr = o.lr(), beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
  if (o.weight_decay() != 0) at::_foreach_mul_(b.params, 1 - lr * o.weight_decay());
  at::_foreach_mul_(b.exp_avgs, beta1);
  at::_foreach_add_(b.exp_avgs, b.grads, 1 - beta1);
  at::_foreach_mul_(b.exp_avg_sqs, beta2);
  at::_foreach_addcmul_(b.exp_avg_sqs, b.grads, b.grads, 1 - beta2);
  std::vector<at::Scalar> correction2, step_size;
  for (const auto s : b.steps) {
    correction2.emplace_back(std::sqrt(1 - std::pow(beta2, static_cast<double>(s))));
    step_size.emplace_back(-lr / (1 - std::pow(beta1, static_cast<double>(s))));
  }
  auto denom = at::_foreach_sqrt(b.exp_avg_sqs);
  at::_foreach_div_(denom, correction2);
  at::_foreach_add_(denom, o.eps());
  at::_foreach_addcdiv_(b.params, b.exp_avgs, denom, step_size);
}

#if (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1) || TORCH_VERSION_MAJOR > 2
// One AdamW update of a CUDA bucket with PyTorch's fused kernel (one launch per chunk of tensors); the step counts go
// in as float32 device scalars, one per distinct count (they are host integers in the libtorch state).
void adamw_fused(AdamWBucket& b, const torch::optim::AdamWOptions& o) {
  std::vector<at::Tensor> steps;
  std::vector<std::pair<int64_t, at::Tensor>> made;
  for (const auto s : b.steps) {
    at::Tensor t;
    for (const auto& m : made) {
      if (m.first == s) t = m.second;
    }
    if (!t.defined()) {
      t = at::full({}, static_cast<double>(s), at::TensorOptions().dtype(at::kFloat).device(b.params.front().device()));
      made.emplace_back(s, t);
    }
    steps.push_back(t);
  }
  at::_fused_adamw_(b.params, b.grads, b.exp_avgs, b.exp_avg_sqs, {}, steps, o.lr(), std::get<0>(o.betas()),
                    std::get<1>(o.betas()), o.weight_decay(), o.eps(), /*amsgrad=*/false, /*maximize=*/false);
}
#endif
}  // namespace

// One AdamW step with multi-tensor kernels over the same state as msft_optim_step (so GetState, LoadState and
// checkpoints are unchanged). mode 1: _foreach_ kernels (any libtorch, any device); mode 2: PyTorch's fused CUDA kernel
// (libtorch >= 2.1) for CUDA floating-point buckets, _foreach_ elsewhere; amsgrad falls back to libtorch's own step.
// Returns the mode used for the last bucket (0 = libtorch's per-tensor step), or -1 on error.
MSFT_EXPORT int32_t msft_adamw_step_multi(msft_optimizer o, int32_t mode) {
  MSFT_GUARD(-1, {
    auto& opt = opt_ref(o);
    if (mode != 1 && mode != 2) throw std::invalid_argument("mode must be 1 (multi-tensor) or 2 (fused), got " + std::to_string(mode));
    if (dynamic_cast<torch::optim::AdamW*>(&opt) == nullptr) throw std::invalid_argument("the optimizer is not AdamW");
    at::NoGradGuard no_grad;
    for (auto& group : opt.param_groups()) {
      if (dynamic_cast<torch::optim::AdamWOptions&>(group.options()).amsgrad()) {
        opt.step();
        return 0;
      }
    }
    int32_t used = 1;
    for (auto& group : opt.param_groups()) {
      const auto& options = dynamic_cast<torch::optim::AdamWOptions&>(group.options());
      for (auto& bucket : adamw_buckets(opt, group)) {
        used = 1;
#if (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1) || TORCH_VERSION_MAJOR > 2
        const auto& first = bucket.params.front();
        if (mode == 2 && first.is_cuda() && at::isFloatingType(first.scalar_type())) {
          adamw_fused(bucket, options);
          used = 2;
          continue;
        }
#endif
        adamw_foreach(bucket, options);
      }
    }
    return used;
  })
}

// Clears every parameter's gradient: drops it when set_to_none, else zeroes it.
MSFT_EXPORT int32_t msft_optim_zero_grad(msft_optimizer o, bool set_to_none) {
  MSFT_STATUS({
    for (auto& group : opt_ref(o).param_groups()) {
      for (auto& p : group.params()) {
        auto& g = p.mutable_grad();
        if (!g.defined()) continue;
        if (set_to_none) {
          g.reset();
        } else {
          g = g.detach();
          g.zero_();
        }
      }
    }
  })
}

MSFT_EXPORT int64_t msft_optim_group_count(msft_optimizer o) {
  MSFT_GUARD(-1, return static_cast<int64_t>(opt_ref(o).param_groups().size()))
}

// Total number of parameters over all groups.
MSFT_EXPORT int64_t msft_optim_param_count(msft_optimizer o) {
  MSFT_GUARD(-1, {
    int64_t n = 0;
    for (auto& group : opt_ref(o).param_groups()) n += static_cast<int64_t>(group.params().size());
    return n;
  })
}

// The learning rate of a group.
MSFT_EXPORT int32_t msft_optim_get_lr(msft_optimizer o, int64_t group, double* lr) {
  MSFT_STATUS({
    auto& groups = opt_ref(o).param_groups();
    if (group < 0 || group >= static_cast<int64_t>(groups.size())) {
      throw std::out_of_range("parameter group " + std::to_string(group) + " is out of range");
    }
    *lr = groups[static_cast<size_t>(group)].options().get_lr();
  })
}

// Sets the learning rate of one group, or of every group when group is -1.
MSFT_EXPORT int32_t msft_optim_set_lr(msft_optimizer o, int64_t group, double lr) {
  MSFT_STATUS({
    if (lr < 0) throw std::invalid_argument("learning rate must be non-negative, got " + std::to_string(lr));
    auto& groups = opt_ref(o).param_groups();
    if (group < -1 || group >= static_cast<int64_t>(groups.size())) {
      throw std::out_of_range("parameter group " + std::to_string(group) + " is out of range");
    }
    for (size_t i = 0; i < groups.size(); ++i) {
      if (group == -1 || static_cast<int64_t>(i) == group) groups[i].options().set_lr(lr);
    }
  })
}

// Reads the AdamW state of the index-th parameter: returns 1 and new handles (max_exp_avg_sq null without amsgrad),
// 0 when the parameter has no state yet, -1 on error.
MSFT_EXPORT int32_t msft_adamw_get_state(msft_optimizer o, int64_t index, int64_t* step, msft_tensor* exp_avg,
                                         msft_tensor* exp_avg_sq, msft_tensor* max_exp_avg_sq) {
  MSFT_GUARD(-1, {
    auto& opt = opt_ref(o);
    auto* s = find_state<torch::optim::AdamWParamState>(opt, param_at(opt, index));
    if (s == nullptr) return 0;
    *step = static_cast<int64_t>(s->step());
    *exp_avg = msft::wrap(s->exp_avg());
    *exp_avg_sq = msft::wrap(s->exp_avg_sq());
    *max_exp_avg_sq = s->max_exp_avg_sq().defined() ? msft::wrap(s->max_exp_avg_sq()) : nullptr;
    return 1;
  })
}

// Replaces the AdamW state of the index-th parameter with copies of the given tensors.
MSFT_EXPORT int32_t msft_adamw_set_state(msft_optimizer o, int64_t index, int64_t step, msft_tensor exp_avg,
                                         msft_tensor exp_avg_sq, msft_tensor max_exp_avg_sq) {
  MSFT_STATUS({
    auto& opt = opt_ref(o);
    const auto& p = param_at(opt, index);
    if (step < 0) throw std::invalid_argument("step must be non-negative, got " + std::to_string(step));
    auto state = std::make_unique<torch::optim::AdamWParamState>();
    state->step(step);
    state->exp_avg(state_copy(TEN(exp_avg), p, "exp_avg"));
    state->exp_avg_sq(state_copy(TEN(exp_avg_sq), p, "exp_avg_sq"));
    if (max_exp_avg_sq != nullptr) state->max_exp_avg_sq(state_copy(*max_exp_avg_sq, p, "max_exp_avg_sq"));
    auto& map = opt.state();
    map[key_of(map, p)] = std::move(state);
  })
}

// Reads the SGD momentum buffer of the index-th parameter: 1 with a new handle, 0 when it has none, -1 on error.
MSFT_EXPORT int32_t msft_sgd_get_state(msft_optimizer o, int64_t index, msft_tensor* momentum_buffer) {
  MSFT_GUARD(-1, {
    auto& opt = opt_ref(o);
    auto* s = find_state<torch::optim::SGDParamState>(opt, param_at(opt, index));
    if (s == nullptr || !s->momentum_buffer().defined()) return 0;
    *momentum_buffer = msft::wrap(s->momentum_buffer());
    return 1;
  })
}

// Replaces the SGD momentum buffer of the index-th parameter with a copy of the given tensor.
MSFT_EXPORT int32_t msft_sgd_set_state(msft_optimizer o, int64_t index, msft_tensor momentum_buffer) {
  MSFT_STATUS({
    auto& opt = opt_ref(o);
    const auto& p = param_at(opt, index);
    auto state = std::make_unique<torch::optim::SGDParamState>();
    state->momentum_buffer(state_copy(TEN(momentum_buffer), p, "momentum_buffer"));
    auto& map = opt.state();
    map[key_of(map, p)] = std::move(state);
  })
}

// 0 for AdamW, 1 for SGD, -1 on error.
MSFT_EXPORT int32_t msft_optim_kind(msft_optimizer o) {
  MSFT_GUARD(-1, {
    auto& opt = opt_ref(o);
    if (dynamic_cast<torch::optim::AdamW*>(&opt) != nullptr) return 0;
    if (dynamic_cast<torch::optim::SGD*>(&opt) != nullptr) return 1;
    return 2;
  })
}
