#pragma once
// Data-parallel gradient averaging: gradients are packed into fused buckets
// (one flat buffer each) and all-reduced over the ranks. With overlap on, a
// bucket's reduction starts from the parameters' autograd hooks as soon as
// its last gradient is ready, while backward goes on computing the rest (as
// PyTorch's DDP does, and Horovod's tensor fusion did for the original).
// Buckets fill in reverse parameter order, the order backward produces
// gradients in, and start strictly in bucket order so that every rank issues
// the same collectives in the same order.
//
// CUDA parameters get CUDA buckets: with a DeviceCommunicator holding NCCL,
// each bucket's reduction runs on NCCL's stream once the stream that copied
// its gradients in has got there, while backward goes on; finish() makes the
// current stream wait for them and copies the flags to the host once.
//
// A parameter no rank computed a gradient for (a quantizer not yet switched
// on) keeps an undefined gradient, so the optimizer skips it as it would on
// one rank; each bucket carries one flag per parameter to tell.
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <torch/types.h>

#include "manager/dist/Communicator.h"

namespace quantlab {

struct ReducerOptions {
  std::int64_t bucket_bytes = 4 << 20;
  bool overlap = true;
};

class GradientReducer {
 public:
  // Registers a hook on each parameter (when overlapping); the reducer must
  // outlive every backward through them, and removes its hooks when destroyed.
  GradientReducer(Communicator& communicator, std::vector<torch::Tensor> parameters, ReducerOptions options);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // After backward: starts what has not started, waits for every bucket and
  // leaves each parameter's gradient averaged over the ranks.
  void finish();

  std::size_t bucket_count() const { return buckets_.size(); }
  // Seconds spent blocked on reductions (in finish), since the last reset
  // (for CUDA buckets, only queueing the waits: the host does not block).
  double wait_seconds() const { return wait_seconds_; }
  void reset_wait_seconds() { wait_seconds_ = 0; }

 private:
  struct Slot {
    std::size_t parameter;
    std::int64_t offset;
  };
  struct Bucket {
    std::vector<Slot> slots;
    torch::Tensor flat;  // gradients, then one "had a gradient" flag per slot
    std::vector<std::uint8_t> seen;  // by slot: this rank's gradient arrived (host side)
    std::size_t ready = 0;
    std::unique_ptr<PendingReduction> pending;
  };

  void gradient_ready(std::size_t parameter, const torch::Tensor& gradient);
  void start_ready_buckets();
  void start(Bucket& bucket);

  Communicator& communicator_;
  std::vector<torch::Tensor> parameters_;
  ReducerOptions options_;
  std::vector<Bucket> buckets_;
  std::vector<std::size_t> bucket_of_;  // by parameter
  std::vector<std::size_t> slot_of_;    // by parameter: index in its bucket
  std::vector<unsigned> hooks_;
  std::size_t next_to_start_ = 0;
  double wait_seconds_ = 0;
};

}  // namespace quantlab
