#pragma once
// Collectives over CUDA tensors through NCCL, one GPU per rank. Strings,
// barriers, rank and size go through the host communicator (MPI, or the local
// one on a single process), which also carries rank 0's NCCL id to the others.
//
// Every NCCL call runs on one communication stream of the rank's GPU: it
// first waits (on the GPU) for what the calling thread's current stream has
// queued, so the tensor holds its values; the current stream then waits for
// the call's completion event, so what follows sees the result. Nothing blocks
// the host. allreduce_sum_async returns at once; its wait() makes the current
// stream wait, test() asks whether the reduction has completed.
//
// Failure: a watchdog thread polls NCCL's asynchronous error (a peer gone, a
// network error) and the age of the oldest unfinished call; on an error, or a
// call older than `timeout_s`, it aborts the NCCL communicator (its kernels
// end) and runs `on_failure`, which by default prints one line and ends the
// process, so that mpirun ends the job instead of leaving it hanging. A
// communicator destroyed while an exception unwinds is aborted, not
// destroyed: its peers may never come to a matching call.
//
// Built only when QUANTLAB_CUDA is ON (linked against the NCCL of LibTorch's
// wheel); elsewhere nccl_available() is false and the constructor throws.
#include <functional>
#include <memory>
#include <string>

#include <torch/types.h>

#include "manager/dist/Communicator.h"

namespace quantlab {

struct NcclOptions {
  // A call unfinished after this long ends the job (a peer in another
  // collective, or one that never comes). QUANTLAB_NCCL_TIMEOUT (seconds)
  // overrides it when set.
  double timeout_s = 600;
  // Called once, on the watchdog's thread, after the NCCL communicator was
  // aborted for the reason given. Empty: print it and end the process.
  std::function<void(const std::string&)> on_failure;
};

// Whether this build has NCCL.
bool nccl_available();

class NcclCommunicator : public Communicator {
 public:
  // A collective call over every rank of `host`: each rank passes its own GPU.
  NcclCommunicator(Communicator& host, torch::Device device, NcclOptions options = {});
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return host_.rank(); }
  int size() const override { return host_.size(); }
  int local_size() const override { return host_.local_size(); }
  // CUDA tensors on this communicator's device, contiguous.
  void broadcast(torch::Tensor& tensor, int root = 0) override;
  void allreduce_sum(torch::Tensor& tensor) override;
  std::unique_ptr<PendingReduction> allreduce_sum_async(torch::Tensor& tensor) override;
  // Through the host communicator.
  void broadcast(std::string& text, int root = 0) override { host_.broadcast(text, root); }
  void barrier() override;
  // Aborts the NCCL communicator, then the host's job.
  [[noreturn]] void abort(int status) override;

  // Aborts the NCCL communicator (its kernels end, unfinished calls are
  // dropped) without ending the process; every later call throws. Idempotent.
  void abort_nccl(const std::string& reason);
  bool aborted() const;
  torch::Device device() const { return device_; }
  // Blocks the host until every call queued so far has completed.
  void synchronize();

  struct State;

 private:
  Communicator& host_;
  torch::Device device_;
  std::shared_ptr<State> state_;
};

}  // namespace quantlab
