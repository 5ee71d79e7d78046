#include "manager/dist/NcclCommunicator.h"

#include <stdexcept>

// QUANTLAB_NCCL (0/1), QUANTLAB_NCCL_HEADER (the wheel's nccl.h, by its full
// path: the CUDA toolkit's older nccl.h is on the include path too) and the
// version expected come from core/CMakeLists.txt, for this file alone.
#if QUANTLAB_NCCL

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include QUANTLAB_NCCL_HEADER

static_assert(NCCL_MAJOR == QUANTLAB_NCCL_MAJOR && NCCL_MINOR == QUANTLAB_NCCL_MINOR,
              "nccl.h is not the one of LibTorch's NCCL (see QUANTLAB_NCCL_HEADER in core/CMakeLists.txt)");

namespace quantlab {

namespace {

using Clock = std::chrono::steady_clock;

std::string nccl_error(ncclResult_t result, const char* what, ncclComm_t comm) {
  std::string text = std::string("NCCL ") + what + " failed: " + ncclGetErrorString(result);
  const char* detail = ncclGetLastError(comm);
  if (detail != nullptr && *detail != '\0') text += std::string(" (") + detail + ")";
  // One line: NCCL's details may hold newlines.
  for (char& c : text)
    if (c == '\n') c = ' ';
  return text;
}

void check_nccl(ncclResult_t result, const char* what, ncclComm_t comm = nullptr) {
  if (result != ncclSuccess) throw std::runtime_error(nccl_error(result, what, comm));
}

ncclDataType_t nccl_type(const torch::Tensor& tensor) {
  switch (tensor.scalar_type()) {
    case torch::kFloat: return ncclFloat32;
    case torch::kDouble: return ncclFloat64;
    case torch::kHalf: return ncclFloat16;
    case torch::kBFloat16: return ncclBfloat16;
    case torch::kLong: return ncclInt64;
    case torch::kInt: return ncclInt32;
    case torch::kChar: return ncclInt8;
    case torch::kByte:
    case torch::kBool: return ncclUint8;
    default: throw std::runtime_error(std::string("NCCL: no type for ") + c10::toString(tensor.scalar_type()));
  }
}

double timeout_from_environment(double fallback) {
  const char* text = std::getenv("QUANTLAB_NCCL_TIMEOUT");
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(seconds > 0))
    throw std::runtime_error(std::string("QUANTLAB_NCCL_TIMEOUT=") + text + ": expected a positive number of seconds");
  return seconds;
}

}  // namespace

struct NcclCommunicator::State {
  ncclComm_t comm = nullptr;
  c10::DeviceIndex device = 0;
  std::optional<c10::cuda::CUDAStream> stream;
  NcclOptions options;

  std::atomic<bool> aborted{false};
  std::mutex abort_mutex;  // one abort
  std::string abort_reason;

  // Calls queued and not known to be complete, oldest first.
  struct Call {
    std::shared_ptr<c10::cuda::CUDAEvent> done;
    Clock::time_point queued;
    const char* what;
  };
  std::mutex calls_mutex;
  std::deque<Call> calls;

  std::mutex watchdog_mutex;
  std::condition_variable watchdog_wake;
  bool stopping = false;
  std::thread watchdog;

  void ensure_usable() const {
    if (aborted.load()) throw std::runtime_error("NCCL communicator aborted: " + abort_reason);
  }

  bool abort(const std::string& reason) {
    std::lock_guard<std::mutex> lock(abort_mutex);
    if (aborted.load()) return false;
    abort_reason = reason;
    aborted.store(true);
    // Ends this rank's NCCL kernels and frees the communicator; local, so it
    // cannot wait on a peer.
    ncclCommAbort(comm);
    return true;
  }

  void fail(const std::string& reason) {
    if (!abort(reason)) return;
    if (options.on_failure) {
      options.on_failure(reason);
      return;
    }
    std::fprintf(stderr, "qlhost: NCCL: %s; ending the job\n", reason.c_str());
    std::fflush(stderr);
    // Without MPI_Finalize: mpirun ends every other rank of the job.
    std::_Exit(1);
  }

  // Polls NCCL's asynchronous error and the oldest call's age.
  void watch() {
    const auto timeout = std::chrono::duration<double>(options.timeout_s);
    std::unique_lock<std::mutex> lock(watchdog_mutex);
    while (!stopping) {
      watchdog_wake.wait_for(lock, std::chrono::milliseconds(100));
      try {
        poll(timeout);
      } catch (const std::exception& error) {  // a CUDA error querying an event
        fail(error.what());
      }
    }
  }

  // One look, with watchdog_mutex held.
  void poll(std::chrono::duration<double> timeout) {
    std::optional<std::string> error;
    {
      // Not while another thread aborts (and frees) the communicator.
      std::lock_guard<std::mutex> abort_lock(abort_mutex);
      if (stopping || aborted.load()) return;
      ncclResult_t async = ncclSuccess;
      const ncclResult_t result = ncclCommGetAsyncError(comm, &async);
      if (result != ncclSuccess)
        error = nccl_error(result, "ncclCommGetAsyncError", comm);
      else if (async != ncclSuccess && async != ncclInProgress)
        error = nccl_error(async, "communication", comm);
    }
    if (!error) {
      std::lock_guard<std::mutex> calls_lock(calls_mutex);
      while (!calls.empty() && calls.front().done->query()) calls.pop_front();
      if (!calls.empty() && Clock::now() - calls.front().queued > timeout) {
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%g", options.timeout_s);
        error = std::string(calls.front().what) + " unfinished after " + seconds +
                " s (a peer in another collective, or gone; QUANTLAB_NCCL_TIMEOUT sets the limit)";
      }
    }
    if (error) fail(*error);
  }

  // Queues `call` on the communication stream after the current stream's
  // work; returns the event that completes with it.
  template <typename Call_>
  std::shared_ptr<c10::cuda::CUDAEvent> run(const char* what, const torch::Tensor& tensor, Call_ call) {
    ensure_usable();
    if (!tensor.is_cuda() || tensor.device().index() != device)
      throw std::runtime_error(std::string("NCCL ") + what + ": expected a tensor on cuda:" + std::to_string(device) +
                               ", got one on " + tensor.device().str());
    if (!tensor.is_contiguous()) throw std::runtime_error(std::string("NCCL ") + what + ": expected a contiguous tensor");
    c10::cuda::CUDAGuard guard(device);
    const c10::cuda::CUDAStream current = c10::cuda::getCurrentCUDAStream(device);
    c10::cuda::CUDAEvent ready;
    ready.record(current);
    ready.block(*stream);
    // The caller may free the tensor before the call is done: its memory is
    // not reused until the communication stream has passed this point.
    if (tensor.numel() > 0) c10::cuda::CUDACachingAllocator::recordStream(tensor.storage().data_ptr(), *stream);
    check_nccl(call(stream->stream()), what, comm);
    auto done = std::make_shared<c10::cuda::CUDAEvent>();
    done->record(*stream);
    {
      std::lock_guard<std::mutex> lock(calls_mutex);
      calls.push_back({done, Clock::now(), what});
    }
    return done;
  }

  // The calling thread's current stream waits for `done`.
  void join_current(c10::cuda::CUDAEvent& done) const {
    c10::cuda::CUDAGuard guard(device);
    done.block(c10::cuda::getCurrentCUDAStream(device));
  }
};

namespace {

class NcclReduction : public PendingReduction {
 public:
  NcclReduction(std::shared_ptr<NcclCommunicator::State> state, std::shared_ptr<c10::cuda::CUDAEvent> done)
      : state_(std::move(state)), done_(std::move(done)) {}
  bool test() override {
    state_->ensure_usable();
    return done_->query();
  }
  void wait() override {
    state_->ensure_usable();
    state_->join_current(*done_);
  }

 private:
  std::shared_ptr<NcclCommunicator::State> state_;
  std::shared_ptr<c10::cuda::CUDAEvent> done_;
};

}  // namespace

bool nccl_available() { return true; }

NcclCommunicator::NcclCommunicator(Communicator& host, torch::Device device, NcclOptions options)
    : host_(host), device_(device), state_(std::make_shared<State>()) {
  if (!device.is_cuda()) throw std::runtime_error("NcclCommunicator: expected a CUDA device, got " + device.str());
  if (!device.has_index()) device_ = torch::Device(torch::kCUDA, c10::cuda::current_device());
  device = device_;
  int version = 0;
  check_nccl(ncclGetVersion(&version), "ncclGetVersion");
  // NCCL_VERSION_CODE of 2.9 and later: major * 10000 + minor * 100 + patch.
  if (version / 10000 != NCCL_MAJOR)
    throw std::runtime_error("NCCL: the library loaded is version " + std::to_string(version) +
                             ", but QuantLab was built against NCCL " + std::to_string(NCCL_MAJOR) + "." +
                             std::to_string(NCCL_MINOR));
  options.timeout_s = timeout_from_environment(options.timeout_s);
  state_->options = std::move(options);
  state_->device = device.index();

  // Rank 0's id, to every rank through the host communicator.
  ncclUniqueId id;
  std::memset(&id, 0, sizeof id);
  if (host_.rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  std::string bytes(reinterpret_cast<const char*>(&id), sizeof id);
  host_.broadcast(bytes, 0);
  if (bytes.size() != sizeof id) throw std::runtime_error("NCCL: rank 0's id arrived with the wrong size");
  std::memcpy(&id, bytes.data(), sizeof id);

  c10::cuda::CUDAGuard guard(device.index());
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 1;
  check_nccl(ncclCommInitRankConfig(&state_->comm, host_.size(), id, host_.rank(), &config), "ncclCommInitRank");
  state_->stream = c10::cuda::getStreamFromPool(/*isHighPriority=*/true, device.index());
  state_->watchdog = std::thread([state = state_.get()] { state->watch(); });
}

NcclCommunicator::~NcclCommunicator() {
  State& state = *state_;
  const bool unwinding = std::uncaught_exceptions() > 0;
  if (!state.aborted.load() && !unwinding) {
    // Let queued calls finish while the watchdog still watches them.
    try {
      state.stream->synchronize();
    } catch (const std::exception& error) {
      state.abort(error.what());
    }
  }
  {
    std::lock_guard<std::mutex> lock(state.watchdog_mutex);
    state.stopping = true;
  }
  state.watchdog_wake.notify_all();
  if (state.watchdog.joinable()) state.watchdog.join();
  if (state.aborted.load()) return;
  if (unwinding) {
    // Peers may never come to a matching call: nothing may wait for them.
    state.abort("an exception ended this rank");
    return;
  }
  ncclCommDestroy(state.comm);
  state.comm = nullptr;
}

void NcclCommunicator::broadcast(torch::Tensor& tensor, int root) {
  State& state = *state_;
  void* data = tensor.data_ptr();
  const auto done = state.run("broadcast", tensor, [&](cudaStream_t stream) {
    return ncclBroadcast(data, data, static_cast<size_t>(tensor.numel()), nccl_type(tensor), root, state.comm, stream);
  });
  state.join_current(*done);
}

void NcclCommunicator::allreduce_sum(torch::Tensor& tensor) { allreduce_sum_async(tensor)->wait(); }

std::unique_ptr<PendingReduction> NcclCommunicator::allreduce_sum_async(torch::Tensor& tensor) {
  State& state = *state_;
  if (tensor.scalar_type() == torch::kBool) throw std::runtime_error("NCCL allreduce: no sum of booleans");
  void* data = tensor.data_ptr();
  auto done = state.run("allreduce", tensor, [&](cudaStream_t stream) {
    return ncclAllReduce(data, data, static_cast<size_t>(tensor.numel()), nccl_type(tensor), ncclSum, state.comm,
                         stream);
  });
  return std::make_unique<NcclReduction>(state_, std::move(done));
}

void NcclCommunicator::barrier() {
  // What this rank queued is done before the ranks meet.
  synchronize();
  host_.barrier();
}

void NcclCommunicator::abort(int status) {
  state_->abort("abort(" + std::to_string(status) + ")");
  host_.abort(status);
  std::exit(status);  // a host's abort does not return
}

void NcclCommunicator::abort_nccl(const std::string& reason) { state_->abort(reason); }

bool NcclCommunicator::aborted() const { return state_->aborted.load(); }

void NcclCommunicator::synchronize() {
  state_->ensure_usable();
  state_->stream->synchronize();
  state_->ensure_usable();
}

}  // namespace quantlab

#else  // !QUANTLAB_NCCL

#include <cstdlib>

namespace quantlab {

struct NcclCommunicator::State {};

bool nccl_available() { return false; }

NcclCommunicator::NcclCommunicator(Communicator& host, torch::Device device, NcclOptions)
    : host_(host), device_(device) {
  throw std::runtime_error("NcclCommunicator: this QuantLab was built without CUDA (QUANTLAB_CUDA=OFF), so without NCCL");
}
NcclCommunicator::~NcclCommunicator() = default;
void NcclCommunicator::broadcast(torch::Tensor&, int) {}
void NcclCommunicator::allreduce_sum(torch::Tensor&) {}
std::unique_ptr<PendingReduction> NcclCommunicator::allreduce_sum_async(torch::Tensor&) { return nullptr; }
void NcclCommunicator::barrier() {}
void NcclCommunicator::abort(int status) {
  host_.abort(status);
  std::exit(status);  // a host's abort does not return
}
void NcclCommunicator::abort_nccl(const std::string&) {}
bool NcclCommunicator::aborted() const { return false; }
void NcclCommunicator::synchronize() {}

}  // namespace quantlab

#endif
