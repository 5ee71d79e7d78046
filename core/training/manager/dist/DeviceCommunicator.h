#pragma once
// The communicator training uses once it knows its device: collectives over
// CUDA tensors go through NCCL (when there is an NCCL communicator), all else
// through the host communicator (MPI, or the local one): CPU tensors,
// strings, barriers. Rank, size and abort are the host's (abort ends NCCL
// first).
//
// make_device_communicator decides whether there is NCCL, for a CUDA device:
//   QUANTLAB_NCCL=1   always, even for one rank (how NCCL is tested on one GPU);
//   QUANTLAB_NCCL=0   never: CUDA tensors are copied to the host, reduced
//                     there through MPI and copied back (slow; a fallback);
//   unset             when there is more than one rank.
// On one rank without NCCL every collective is nothing to do.
//
// Creating NCCL is collective: every rank calls make_device_communicator at
// the same point, all with a CPU or all with a CUDA device (else the ranks
// disagree on whether NCCL exists and wait for each other forever). NCCL
// wants one GPU per rank: more ranks than GPUs on a machine (tests with
// --oversubscribe) need QUANTLAB_NCCL=0.
#include <memory>
#include <string>

#include <torch/types.h>

#include "manager/dist/Communicator.h"

namespace quantlab {

class DeviceCommunicator : public Communicator {
 public:
  // `host` must outlive it; `device_side` (NCCL, or none) takes CUDA tensors.
  DeviceCommunicator(Communicator& host, std::unique_ptr<Communicator> device_side);
  ~DeviceCommunicator() override;

  int rank() const override { return host_.rank(); }
  int size() const override { return host_.size(); }
  int local_size() const override { return host_.local_size(); }
  void broadcast(torch::Tensor& tensor, int root = 0) override;
  void broadcast(std::string& text, int root = 0) override { host_.broadcast(text, root); }
  void allreduce_sum(torch::Tensor& tensor) override;
  std::unique_ptr<PendingReduction> allreduce_sum_async(torch::Tensor& tensor) override;
  void barrier() override;
  [[noreturn]] void abort(int status) override;

  // The communicator `tensor`'s collectives go through (the host one for a
  // CUDA tensor without NCCL, staged through host memory).
  Communicator& route(const torch::Tensor& tensor);
  Communicator& host() const { return host_; }
  // NCCL when there is one, else null.
  Communicator* device_side() const { return device_side_.get(); }

 private:
  Communicator& host_;
  std::unique_ptr<Communicator> device_side_;
};

enum class NcclUse { automatic, always, never };

// automatic: QUANTLAB_NCCL decides, as above. A CPU device has no NCCL; a
// CUDA device needs a build with CUDA (NCCL's construction throws otherwise).
std::unique_ptr<DeviceCommunicator> make_device_communicator(Communicator& host, torch::Device device,
                                                             NcclUse use = NcclUse::automatic);

}  // namespace quantlab
