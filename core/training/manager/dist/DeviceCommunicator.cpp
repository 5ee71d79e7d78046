#include "manager/dist/DeviceCommunicator.h"

#include <cstdlib>
#include <stdexcept>

#include <torch/torch.h>

#include "manager/dist/NcclCommunicator.h"

namespace quantlab {

namespace {

class FinishedReduction : public PendingReduction {
 public:
  bool test() override { return true; }
  void wait() override {}
};

NcclUse nccl_use_from_environment() {
  const char* text = std::getenv("QUANTLAB_NCCL");
  if (text == nullptr || *text == '\0') return NcclUse::automatic;
  const std::string value(text);
  if (value == "1") return NcclUse::always;
  if (value == "0") return NcclUse::never;
  throw std::runtime_error("QUANTLAB_NCCL=" + value + ": expected 1 (NCCL even for one rank) or 0 (no NCCL)");
}

}  // namespace

DeviceCommunicator::DeviceCommunicator(Communicator& host, std::unique_ptr<Communicator> device_side)
    : host_(host), device_side_(std::move(device_side)) {}

DeviceCommunicator::~DeviceCommunicator() = default;

Communicator& DeviceCommunicator::route(const torch::Tensor& tensor) {
  return tensor.is_cuda() && device_side_ ? *device_side_ : host_;
}

void DeviceCommunicator::broadcast(torch::Tensor& tensor, int root) {
  Communicator& to = route(tensor);
  if (&to == device_side_.get() || tensor.is_cpu()) return to.broadcast(tensor, root);
  // A device tensor without NCCL: through host memory.
  if (size() == 1) return;
  torch::NoGradGuard no_grad;
  torch::Tensor staged = tensor.to(torch::kCPU).contiguous();
  host_.broadcast(staged, root);
  tensor.copy_(staged);
}

void DeviceCommunicator::allreduce_sum(torch::Tensor& tensor) {
  Communicator& to = route(tensor);
  if (&to == device_side_.get() || tensor.is_cpu()) return to.allreduce_sum(tensor);
  if (size() == 1) return;
  torch::NoGradGuard no_grad;
  torch::Tensor staged = tensor.to(torch::kCPU).contiguous();
  host_.allreduce_sum(staged);
  tensor.copy_(staged);
}

std::unique_ptr<PendingReduction> DeviceCommunicator::allreduce_sum_async(torch::Tensor& tensor) {
  Communicator& to = route(tensor);
  if (&to == device_side_.get() || tensor.is_cpu()) return to.allreduce_sum_async(tensor);
  allreduce_sum(tensor);  // staged: done before it returns
  return std::make_unique<FinishedReduction>();
}

void DeviceCommunicator::barrier() {
  if (device_side_)
    device_side_->barrier();  // what it queued is done, then the host's barrier
  else
    host_.barrier();
}

void DeviceCommunicator::abort(int status) {
  if (device_side_) device_side_->abort(status);  // NCCL first, then the host's job
  host_.abort(status);
  std::exit(status);  // a host's abort does not return
}

std::unique_ptr<DeviceCommunicator> make_device_communicator(Communicator& host, torch::Device device, NcclUse use) {
  std::unique_ptr<Communicator> nccl;
  if (device.is_cuda()) {
    if (use == NcclUse::automatic) use = nccl_use_from_environment();
    const bool wanted = use == NcclUse::always || (use == NcclUse::automatic && host.size() > 1);
    if (wanted) nccl = std::make_unique<NcclCommunicator>(host, device);
  }
  return std::make_unique<DeviceCommunicator>(host, std::move(nccl));
}

}  // namespace quantlab
