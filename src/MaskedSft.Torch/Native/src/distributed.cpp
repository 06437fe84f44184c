// Distributed collectives over libtorch's own c10d: TCPStore rendezvous, ProcessGroupGloo (CPU) and ProcessGroupNCCL
// (CUDA, only where libtorch and nccl.h have it), barrier, all_reduce (bucketed), broadcast (bucketed), all_gather of
// tensors and of variable-length byte payloads.
//
// Compiles against libtorch 1.13 (Debian) and 2.x (PyTorch). What differs, guarded with TORCH_VERSION_MAJOR/MINOR:
//   - 1.13: ProcessGroupGloo/NCCL derive from c10d::ProcessGroup; 2.x: from c10d::Backend (the collectives we call
//     have the same signatures on both bases).
//   - 2.2+: ProcessGroupNCCL::shutdown() exists and should be called before destruction (2.x warns otherwise).
//   - 2.x renamed NCCL_BLOCKING_WAIT to TORCH_NCCL_BLOCKING_WAIT (both are set, never overriding the user's choice).
//   - TCPStoreOptions::numWorkers is c10::optional in 1.13, std::optional in 2.x (assigned, never named).
//   - ProcessGroupGloo::Options::threads defaults to 2 in 1.13 but is left unset by newer 2.x: always set here.
// CMakeLists.txt defines MSFT_C10D_GLOO / MSFT_C10D_NCCL (with c10d's own USE_C10D_GLOO / USE_C10D_NCCL, which the
// headers test) only when it found the gloo / NCCL headers: libtorch's CMake targets may define USE_C10D_* by
// themselves (Debian's does for Gloo) whether or not those headers are installed.
#include "msft.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif
#include <torch/csrc/distributed/c10d/Types.hpp>

#ifdef MSFT_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef MSFT_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

#if TORCH_VERSION_MAJOR >= 2
using CollectiveBackend = c10d::Backend;
#else
using CollectiveBackend = c10d::ProcessGroup;
#endif

constexpr int32_t kGloo = 0;
constexpr int32_t kNccl = 1;

constexpr int32_t kSum = 0;
constexpr int32_t kAvg = 1;
constexpr int32_t kMax = 2;
constexpr int32_t kMin = 3;

const char* backend_name(int32_t backend) { return backend == kNccl ? "nccl" : "gloo"; }

}  // namespace

// One process's membership of a group: its rank, the store, the backend (null for a local world of one) and the
// device its collectives run on (CPU for Gloo, the process's CUDA device for NCCL).
struct msft_dist_group {
  int32_t backend = kGloo;
  int rank = 0;
  int size = 1;
  at::Device device{at::kCPU};
  std::chrono::milliseconds timeout{0};
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<CollectiveBackend> pg;
};
typedef msft_dist_group* msft_process_group;

namespace {

msft_dist_group& group_ref(msft_process_group g) {
  if (g == nullptr) throw std::invalid_argument("null process group handle");
  return *g;
}

#ifdef MSFT_C10D_NCCL
// Sets an environment variable for native readers (NCCL, c10d) unless the user already set it. .NET's
// Environment.SetEnvironmentVariable does not reach getenv() on Linux, so this has to happen here.
void default_env(const char* name, const char* value) { setenv(name, value, /*overwrite=*/0); }
#endif

#ifdef MSFT_C10D_GLOO
bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname != '\0') {
    std::string first(ifname);
    first = first.substr(0, first.find(','));
    return c10d::ProcessGroupGloo::createDeviceForInterface(first);
  }
  // Every rank on this machine (the master is loopback): stay on loopback, never on an outside interface.
  if (is_loopback(master)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

void check_tensor_device(const msft_dist_group& g, const at::Tensor& t, size_t position, const char* op) {
  if (g.pg.get() == nullptr) return;  // a local world of one takes tensors on any device
  if (g.backend == kNccl) {
    if (!t.is_cuda() || t.device() != g.device) {
      throw std::invalid_argument(std::string(op) + ": the nccl backend takes tensors on " + g.device.str() +
                                  " (this rank's device); tensor " + std::to_string(position) + " is on " +
                                  t.device().str() + ". Hint: move the model and its gradients to the rank's device.");
    }
  } else if (!t.is_cpu()) {
    throw std::invalid_argument(std::string(op) + ": the gloo backend takes CPU tensors; tensor " +
                                std::to_string(position) + " is on " + t.device().str() +
                                ". Hint: use the nccl backend for CUDA tensors.");
  }
}

void wait(const c10::intrusive_ptr<c10d::Work>& work) { work->wait(); }

// Consecutive tensors of one dtype and device share a flat bucket of at most bucket_bytes (a larger tensor gets its
// own); bucket_bytes == 0 gives every tensor its own. A bucket of one contiguous tensor is reduced in place.
struct Bucket {
  std::vector<at::Tensor> members;
  int64_t bytes = 0;
  at::Tensor flat;
  bool direct = false;
};

std::vector<Bucket> make_buckets(const std::vector<at::Tensor>& tensors, int64_t bucket_bytes) {
  std::vector<Bucket> buckets;
  for (const auto& t : tensors) {
    const int64_t bytes = static_cast<int64_t>(t.numel()) * static_cast<int64_t>(t.element_size());
    const bool joins = !buckets.empty() && bucket_bytes > 0 &&
                       buckets.back().members.front().scalar_type() == t.scalar_type() &&
                       buckets.back().members.front().device() == t.device() &&
                       buckets.back().bytes + bytes <= bucket_bytes;
    if (!joins) buckets.emplace_back();
    buckets.back().members.push_back(t);
    buckets.back().bytes += bytes;
  }
  for (auto& b : buckets) {
    if (b.members.size() == 1 && b.members.front().is_contiguous()) {
      b.direct = true;
      b.flat = b.members.front();
    } else {
      std::vector<at::Tensor> parts;
      parts.reserve(b.members.size());
      for (const auto& m : b.members) parts.push_back(m.reshape({-1}));
      b.flat = at::cat(parts);
    }
  }
  return buckets;
}

void scatter_back(const Bucket& b) {
  if (b.direct) return;
  int64_t offset = 0;
  for (const auto& m : b.members) {
    const int64_t n = m.numel();
    m.copy_(b.flat.narrow(0, offset, n).view(m.sizes()));
    offset += n;
  }
}

std::vector<at::Tensor> checked_tensors(const msft_dist_group& g, const msft_tensor* handles, int64_t count,
                                        const char* op) {
  auto list = msft::tensors(handles, count);
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].defined()) throw std::invalid_argument(std::string(op) + ": tensor " + std::to_string(i) + " is undefined");
    check_tensor_device(g, list[i], i, op);
  }
  return list;
}

// all_gather of same-shaped tensors, one output per rank.
std::vector<at::Tensor> gather(msft_dist_group& g, const at::Tensor& input) {
  std::vector<at::Tensor> inputs{input.contiguous()};
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < g.size; ++r) outputs[0].push_back(at::empty_like(inputs[0]));
  wait(g.pg->allgather(outputs, inputs, c10d::AllgatherOptions()));
  return outputs[0];
}

// Every rank's dtype and shape, compared, so that mismatched all_gather inputs fail with a clear message rather than
// inside the transport.
void check_same_shape(msft_dist_group& g, const at::Tensor& input) {
  constexpr int64_t kMaxDims = 8;
  if (input.dim() > kMaxDims) {
    throw std::invalid_argument("all_gather: tensors of more than 8 dimensions are not supported (got " +
                                std::to_string(input.dim()) + ")");
  }
  auto meta = at::full({kMaxDims + 2}, -1, at::TensorOptions().dtype(at::kLong));
  auto* m = meta.data_ptr<int64_t>();
  m[0] = static_cast<int64_t>(input.scalar_type());
  m[1] = input.dim();
  for (int64_t d = 0; d < input.dim(); ++d) m[2 + d] = input.size(d);
  auto metas = gather(g, meta.to(g.device));
  for (int r = 0; r < g.size; ++r) {
    auto other = metas[r].to(at::kCPU);
    if (!at::equal(other, meta)) {
      const auto* o = other.data_ptr<int64_t>();
      std::vector<int64_t> dims(o + 2, o + 2 + o[1]);
      throw std::invalid_argument("all_gather: every rank must pass the same dtype and shape; rank " +
                                  std::to_string(r) + " passed " + c10::str(at::IntArrayRef(dims)) + " " +
                                  c10::toString(static_cast<at::ScalarType>(o[0])) + ", this rank (" +
                                  std::to_string(g.rank) + ") " + c10::str(input.sizes()) + " " +
                                  c10::toString(input.scalar_type()));
    }
  }
}

}  // namespace

// 1 when the backend (0 gloo, 1 nccl) is compiled into this native library, else 0. Never fails.
MSFT_EXPORT int32_t msft_dist_backend_available(int32_t backend) {
#ifdef MSFT_C10D_GLOO
  if (backend == kGloo) return 1;
#endif
#ifdef MSFT_C10D_NCCL
  if (backend == kNccl) return 1;
#endif
  return 0;
}

// Joins a process group. backend: 0 gloo, 1 nccl. master_addr null: a local world of one (world_size must be 1; no
// store, no sockets; collectives are identities). Otherwise rank 0 hosts a TCPStore on master_addr:master_port and
// every rank connects to it, waiting at most timeout_ms for the others; the same timeout bounds every collective.
// device_index: the CUDA device of this rank (nccl; ignored by gloo).
MSFT_EXPORT msft_process_group msft_dist_create(int32_t backend, const char* master_addr, int32_t master_port,
                                                int32_t rank, int32_t world_size, int32_t device_index,
                                                int64_t timeout_ms) {
  MSFT_GUARD(nullptr, {
    if (backend != kGloo && backend != kNccl) throw std::invalid_argument("unknown backend code " + std::to_string(backend));
    if (world_size < 1) throw std::invalid_argument("world size must be at least 1, got " + std::to_string(world_size));
    if (rank < 0 || rank >= world_size) {
      throw std::invalid_argument("rank " + std::to_string(rank) + " is outside [0, " + std::to_string(world_size) + ")");
    }
    if (timeout_ms <= 0) throw std::invalid_argument("timeout must be positive, got " + std::to_string(timeout_ms) + " ms");
    auto group = std::make_unique<msft_dist_group>();
    group->backend = backend;
    group->rank = rank;
    group->size = world_size;
    group->timeout = std::chrono::milliseconds(timeout_ms);
    group->device = backend == kNccl ? msft::device(1, device_index) : at::Device(at::kCPU);
    if (master_addr == nullptr) {
      if (world_size != 1) {
        throw std::invalid_argument("a master address is required for a world of " + std::to_string(world_size) +
                                    " processes");
      }
      return group.release();  // a world of one needs no store and no backend: its collectives are identities
    }
    if (msft_dist_backend_available(backend) == 0) {
      throw std::runtime_error(std::string("the ") + backend_name(backend) +
                               " backend is not compiled into this native library (libtorch " +
                               std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) +
                               (backend == kNccl ? "; NCCL needs a CUDA libtorch and nccl.h at build time)"
                                                 : "; Gloo needs the gloo headers at build time: libgloo-dev)"));
    }
    if (master_port < 1 || master_port > 65535) {
      throw std::invalid_argument("master port must be in [1, 65535], got " + std::to_string(master_port));
    }
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(master_port);
    options.isServer = rank == 0;
    options.numWorkers = static_cast<std::size_t>(world_size);
    options.waitWorkers = true;
    options.timeout = group->timeout;
    group->store = c10::make_intrusive<c10d::TCPStore>(std::string(master_addr), options);
    group->store->setTimeout(group->timeout);
#ifdef MSFT_C10D_GLOO
    if (backend == kGloo) {
      auto gloo = c10d::ProcessGroupGloo::Options::create(group->timeout);
      gloo->devices.push_back(gloo_device(master_addr));
      gloo->threads = 2;  // what torch.distributed passes (2 per device); newer 2.x no longer defaults it in Options
      group->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(group->store, rank, world_size, gloo);
    }
#endif
#ifdef MSFT_C10D_NCCL
    if (backend == kNccl) {
      // Blocking waits turn a stuck or failed collective into an exception from wait() within the timeout (instead of
      // the watchdog tearing the process down); NVLink multicast stays off (see issue 16).
      default_env("TORCH_NCCL_BLOCKING_WAIT", "1");
      default_env("NCCL_BLOCKING_WAIT", "1");
      default_env("NCCL_NVLS_ENABLE", "0");
      default_env("TORCH_SYMM_MEM_DISABLE_MULTICAST", "1");
      default_env("NVSHMEM_DISABLE_NVLS", "1");
      auto nccl = c10d::ProcessGroupNCCL::Options::create();
      nccl->timeout = group->timeout;
      group->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(group->store, rank, world_size, nccl);
    }
#endif
    return group.release();
  })
}

// Leaves the group and frees the handle (nullptr is ignored). Never fails.
MSFT_EXPORT void msft_dist_free(msft_process_group g) {
  if (g == nullptr) return;
  try {
#if defined(MSFT_C10D_NCCL) && (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 2))
    if (g->backend == kNccl && g->pg.get() != nullptr) {
      static_cast<c10d::ProcessGroupNCCL*>(g->pg.get())->shutdown();
    }
#endif
    g->pg.reset();
    g->store.reset();
    delete g;
  } catch (...) {
  }
}

// This rank's index (-1 on a null handle).
MSFT_EXPORT int32_t msft_dist_rank(msft_process_group g) { MSFT_GUARD(-1, return group_ref(g).rank) }

// The number of ranks (-1 on a null handle).
MSFT_EXPORT int32_t msft_dist_world_size(msft_process_group g) { MSFT_GUARD(-1, return group_ref(g).size) }

// Waits until every rank has reached the barrier.
MSFT_EXPORT int32_t msft_dist_barrier(msft_process_group g) {
  MSFT_STATUS(auto& group = group_ref(g); if (group.pg.get() != nullptr) {
    c10d::BarrierOptions options;
    if (group.backend == kNccl) options.device_ids = {static_cast<int64_t>(group.device.index())};
    wait(group.pg->barrier(options));
  })
}

// Reduces the tensors in place across ranks. op: 0 sum, 1 average (sum then divide; floating types only), 2 max,
// 3 min. Tensors are flattened into buckets of at most bucket_bytes (0: one collective per tensor); all buckets are
// started before the first is waited for.
MSFT_EXPORT int32_t msft_dist_all_reduce(msft_process_group g, const msft_tensor* tensors, int64_t count, int32_t op,
                                         int64_t bucket_bytes) {
  MSFT_STATUS({
    auto& group = group_ref(g);
    if (op < kSum || op > kMin) throw std::invalid_argument("unknown reduce op code " + std::to_string(op));
    if (bucket_bytes < 0) throw std::invalid_argument("bucket size must not be negative");
    auto list = checked_tensors(group, tensors, count, "all_reduce");
    if (op == kAvg) {
      for (size_t i = 0; i < list.size(); ++i) {
        if (!at::isFloatingType(list[i].scalar_type())) {
          throw std::invalid_argument("all_reduce: average needs floating-point tensors; tensor " + std::to_string(i) +
                                      " is " + c10::toString(list[i].scalar_type()));
        }
      }
    }
    if (group.pg.get() == nullptr || list.empty()) return 0;  // a world of one: every reduction is the identity
    at::NoGradGuard no_grad;
    auto buckets = make_buckets(list, bucket_bytes);
    c10d::AllreduceOptions options;
    options.reduceOp = op == kMax ? c10d::ReduceOp(c10d::ReduceOp::MAX)
                     : op == kMin ? c10d::ReduceOp(c10d::ReduceOp::MIN)
                                  : c10d::ReduceOp(c10d::ReduceOp::SUM);
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    works.reserve(buckets.size());
    for (auto& b : buckets) {
      std::vector<at::Tensor> one{b.flat};
      works.push_back(group.pg->allreduce(one, options));
    }
    for (size_t i = 0; i < buckets.size(); ++i) {
      wait(works[i]);
      if (op == kAvg) buckets[i].flat.div_(group.size);
      scatter_back(buckets[i]);
    }
  })
}

// Overwrites the tensors of every rank with those of root, in place (bucketed like all_reduce).
MSFT_EXPORT int32_t msft_dist_broadcast(msft_process_group g, const msft_tensor* tensors, int64_t count, int32_t root,
                                        int64_t bucket_bytes) {
  MSFT_STATUS({
    auto& group = group_ref(g);
    if (root < 0 || root >= group.size) {
      throw std::invalid_argument("broadcast: root rank " + std::to_string(root) + " is outside [0, " +
                                  std::to_string(group.size) + ")");
    }
    if (bucket_bytes < 0) throw std::invalid_argument("bucket size must not be negative");
    auto list = checked_tensors(group, tensors, count, "broadcast");
    if (group.pg.get() == nullptr || list.empty()) return 0;
    at::NoGradGuard no_grad;
    auto buckets = make_buckets(list, bucket_bytes);
    c10d::BroadcastOptions options;
    options.rootRank = root;
    options.rootTensor = 0;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    works.reserve(buckets.size());
    for (auto& b : buckets) {
      std::vector<at::Tensor> one{b.flat};
      works.push_back(group.pg->broadcast(one, options));
    }
    for (size_t i = 0; i < buckets.size(); ++i) {
      wait(works[i]);
      scatter_back(buckets[i]);
    }
  })
}

// Gathers every rank's tensor (same dtype and shape on all ranks, checked first): outputs receives world_size new
// handles, outputs[r] holding rank r's tensor.
MSFT_EXPORT int32_t msft_dist_all_gather(msft_process_group g, msft_tensor input, msft_tensor* outputs) {
  MSFT_STATUS({
    auto& group = group_ref(g);
    if (outputs == nullptr) throw std::invalid_argument("null output array");
    const auto& in = TEN(input);
    check_tensor_device(group, in, 0, "all_gather");
    std::vector<at::Tensor> gathered;
    if (group.pg.get() == nullptr) {
      gathered.push_back(in.detach().clone());
    } else {
      at::NoGradGuard no_grad;
      check_same_shape(group, in);
      gathered = gather(group, in.detach());
    }
    for (size_t r = 0; r < gathered.size(); ++r) outputs[r] = msft::wrap(gathered[r]);
  })
}

// Gathers every rank's byte payload (lengths may differ: the lengths are gathered first, then the payloads padded to
// the longest). lengths receives world_size lengths; returns a CPU uint8 tensor of the payloads back to back in rank
// order (nullptr on error).
MSFT_EXPORT msft_tensor msft_dist_all_gather_bytes(msft_process_group g, const void* data, int64_t length,
                                                   int64_t* lengths) {
  MSFT_GUARD(nullptr, {
    auto& group = group_ref(g);
    if (length < 0) throw std::invalid_argument("negative payload length");
    if (length > 0 && data == nullptr) throw std::invalid_argument("null payload with non-zero length");
    if (lengths == nullptr) throw std::invalid_argument("null lengths array");
    const auto bytes = at::TensorOptions().dtype(at::kByte);
    auto mine = at::empty({length}, bytes);
    if (length > 0) std::memcpy(mine.data_ptr<uint8_t>(), data, static_cast<size_t>(length));
    if (group.pg.get() == nullptr) {
      lengths[0] = length;
      return msft::wrap(mine);
    }
    at::NoGradGuard no_grad;
    auto own_length = at::full({1}, length, at::TensorOptions().dtype(at::kLong)).to(group.device);
    auto all_lengths = gather(group, own_length);
    int64_t longest = 0;
    for (int r = 0; r < group.size; ++r) {
      lengths[r] = all_lengths[r].to(at::kCPU).item<int64_t>();
      longest = std::max(longest, lengths[r]);
    }
    if (longest == 0) return msft::wrap(at::empty({0}, bytes));
    auto padded = at::zeros({longest}, bytes);
    if (length > 0) padded.narrow(0, 0, length).copy_(mine);
    auto payloads = gather(group, padded.to(group.device));
    std::vector<at::Tensor> parts;
    for (int r = 0; r < group.size; ++r) parts.push_back(payloads[r].to(at::kCPU).narrow(0, 0, lengths[r]));
    return msft::wrap(at::cat(parts));
  })
}
