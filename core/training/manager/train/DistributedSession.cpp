#include "manager/train/DistributedSession.h"

#include <algorithm>
#include <cstring>

#include <torch/torch.h>

#include "manager/dist/SyncBatchNorm.h"

namespace quantlab {

DistributedSession::DistributedSession(Communicator& communicator, const ExperimentConfig::Distributed& options)
    : communicator_(communicator), options_(options) {}

void DistributedSession::broadcast_network(Network& network) {
  if (size() == 1) return;
  torch::NoGradGuard no_grad;
  for (auto& parameter : network.parameters()) communicator_.broadcast(parameter);
  broadcast_buffers(network);
}

void DistributedSession::broadcast_buffers(Network& network) {
  if (size() == 1) return;
  torch::NoGradGuard no_grad;
  for (auto& buffer : network.buffers()) communicator_.broadcast(buffer);
}

int DistributedSession::ranks_differing(Network& network) {
  if (size() == 1) return 0;
  torch::NoGradGuard no_grad;
  // Summed where the tensors are (a CUDA network's on its GPU), then on the host.
  torch::Tensor on_device;
  for (const auto& tensors : {network.parameters(), network.buffers()})
    for (const auto& tensor : tensors) {
      const torch::Tensor values = tensor.to(torch::kDouble);
      const torch::Tensor part = torch::stack({values.sum(), values.square().sum()});
      on_device = on_device.defined() ? on_device + part.to(on_device.device()) : part;
    }
  torch::Tensor fingerprint =
      on_device.defined() ? on_device.to(torch::kCPU).contiguous() : torch::zeros({2}, torch::kDouble);
  torch::Tensor root = fingerprint.clone();
  communicator_.broadcast(root);
  // Bitwise: a buffer may hold NaN on purpose (INQ marks weights not yet frozen so).
  const bool same = std::memcmp(root.data_ptr<double>(), fingerprint.data_ptr<double>(), 2 * sizeof(double)) == 0;
  torch::Tensor differing = torch::tensor({same ? 0.0 : 1.0}, torch::kDouble);
  communicator_.allreduce_sum(differing);
  return static_cast<int>(differing.item<double>());
}

std::optional<int> DistributedSession::synchronize_batch_norms(Network& network) {
  if (!options_.sync_batch_norm || size() == 1) return std::nullopt;
  return quantlab::synchronize_batch_norms(network, communicator_);
}

std::unique_ptr<GradientReducer> DistributedSession::make_reducer(Network& network) {
  if (size() == 1) return nullptr;
  ReducerOptions options;
  options.bucket_bytes =
      std::max<std::int64_t>(1, static_cast<std::int64_t>(options_.bucket_mb * 1024 * 1024));
  options.overlap = options_.overlap;
  return std::make_unique<GradientReducer>(communicator_, network.parameters(), options);
}

double DistributedSession::learning_rate(const StagedLrSchedule& schedule, int epoch, double progress) const {
  const double lr = schedule.learning_rate(epoch, progress);
  return options_.scale_lr ? lr * size() : lr;
}

PassResult DistributedSession::reduce(const Meter& meter, double loss_sum, std::int64_t samples,
                                      PassClock::time_point start,
                                      const std::map<std::string, double>& loss_term_sums) {
  std::vector<double> sums{loss_sum, static_cast<double>(samples)};
  for (const auto& [name, sum] : loss_term_sums) sums.push_back(sum);
  torch::Tensor totals = torch::tensor(sums, torch::kDouble);
  torch::Tensor statistics = meter.statistics().to(torch::kDouble).contiguous();
  communicator_.allreduce_sum(totals);
  communicator_.allreduce_sum(statistics);
  PassResult result;
  result.samples = static_cast<std::int64_t>(totals[1].item<double>());
  result.loss = result.samples > 0 ? totals[0].item<double>() / result.samples : 0.0;
  std::int64_t term = 2;
  for (const auto& [name, sum] : loss_term_sums)
    result.loss_terms[name] = result.samples > 0 ? totals[term++].item<double>() / result.samples : 0.0;
  result.metrics = meter.metrics(statistics);
  result.seconds = seconds_since(start);
  return result;
}

std::int64_t DistributedSession::sum(std::int64_t count) {
  torch::Tensor total = torch::tensor({static_cast<double>(count)}, torch::kDouble);
  communicator_.allreduce_sum(total);
  return static_cast<std::int64_t>(total.item<double>());
}

}  // namespace quantlab
