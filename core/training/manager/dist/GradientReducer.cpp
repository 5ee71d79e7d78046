#include "manager/dist/GradientReducer.h"

#include <algorithm>

#include <torch/torch.h>

namespace quantlab {

GradientReducer::GradientReducer(Communicator& communicator, std::vector<torch::Tensor> parameters,
                                 ReducerOptions options)
    : communicator_(communicator), parameters_(std::move(parameters)), options_(options) {
  TORCH_CHECK(options_.bucket_bytes > 0, "GradientReducer: bucket_bytes must be positive");
  bucket_of_.resize(parameters_.size());
  slot_of_.resize(parameters_.size());
  // Reverse order: backward computes the last layers' gradients first.
  std::vector<std::vector<std::size_t>> groups;
  std::int64_t bytes = 0;
  for (std::size_t i = parameters_.size(); i-- > 0;) {
    const torch::Tensor& parameter = parameters_[i];
    if (!parameter.requires_grad()) continue;
    TORCH_CHECK(parameter.scalar_type() == torch::kFloat, "GradientReducer: float parameters only");
    const std::int64_t size = parameter.numel() * static_cast<std::int64_t>(sizeof(float));
    if (groups.empty() || (bytes > 0 && bytes + size > options_.bucket_bytes)) {
      groups.emplace_back();
      bytes = 0;
    }
    groups.back().push_back(i);
    bytes += size;
  }
  for (const auto& group : groups) {
    Bucket bucket;
    std::int64_t offset = 0;
    // A bucket lives on its parameters' device: CUDA gradients are reduced
    // there (NCCL, through a DeviceCommunicator), CPU ones on the host.
    const torch::Device device = parameters_[group.front()].device();
    for (const std::size_t parameter : group) {
      TORCH_CHECK(parameters_[parameter].device() == device,
                  "GradientReducer: parameters of one bucket on different devices (", device, ", ",
                  parameters_[parameter].device(), ")");
      bucket_of_[parameter] = buckets_.size();
      slot_of_[parameter] = bucket.slots.size();
      bucket.slots.push_back({parameter, offset});
      offset += parameters_[parameter].numel();
    }
    bucket.flat = torch::zeros({offset + static_cast<std::int64_t>(group.size())},
                               torch::TensorOptions().dtype(torch::kFloat).device(device));
    bucket.seen.assign(group.size(), 0);
    buckets_.push_back(std::move(bucket));
  }
  if (!options_.overlap) return;
  for (const auto& group : groups)
    for (const std::size_t parameter : group)
      hooks_.push_back(parameters_[parameter].register_hook(
          [this, parameter](const torch::Tensor& gradient) { gradient_ready(parameter, gradient); }));
}

GradientReducer::~GradientReducer() {
  for (auto& bucket : buckets_)
    if (bucket.pending) bucket.pending->wait();
  std::size_t hook = 0;
  for (const auto& bucket : buckets_)
    for (const auto& slot : bucket.slots)
      if (hook < hooks_.size()) parameters_[slot.parameter].remove_hook(hooks_[hook++]);
}

void GradientReducer::gradient_ready(std::size_t parameter, const torch::Tensor& gradient) {
  Bucket& bucket = buckets_[bucket_of_[parameter]];
  const std::size_t slot = slot_of_[parameter];
  const std::int64_t flags = bucket.flat.numel() - static_cast<std::int64_t>(bucket.slots.size());
  // A parameter used twice in one graph gets one hook call with the sum.
  TORCH_CHECK(bucket.seen[slot] == 0, "GradientReducer: a second gradient for one parameter in one backward");
  bucket.seen[slot] = 1;
  const std::int64_t numel = parameters_[parameter].numel();
  // On the current stream (a CUDA gradient's, in backward's device thread),
  // which the reduction waits for.
  bucket.flat.narrow(0, bucket.slots[slot].offset, numel).copy_(gradient.reshape(-1));
  if (bucket.flat.is_cpu())
    bucket.flat.data_ptr<float>()[flags + static_cast<std::int64_t>(slot)] = 1;
  else
    bucket.flat.narrow(0, flags + static_cast<std::int64_t>(slot), 1).fill_(1);
  ++bucket.ready;
  start_ready_buckets();
  // Reductions under way progress only inside MPI calls.
  for (std::size_t b = 0; b < next_to_start_; ++b)
    if (buckets_[b].pending) buckets_[b].pending->test();
}

void GradientReducer::start_ready_buckets() {
  while (next_to_start_ < buckets_.size() &&
         buckets_[next_to_start_].ready == buckets_[next_to_start_].slots.size())
    start(buckets_[next_to_start_++]);
}

void GradientReducer::start(Bucket& bucket) { bucket.pending = communicator_.allreduce_sum_async(bucket.flat); }

void GradientReducer::finish() {
  if (!options_.overlap) {
    // Gradients are in place after backward; pack them now.
    for (auto& bucket : buckets_) {
      const std::int64_t flags = bucket.flat.numel() - static_cast<std::int64_t>(bucket.slots.size());
      for (std::size_t s = 0; s < bucket.slots.size(); ++s) {
        const torch::Tensor& parameter = parameters_[bucket.slots[s].parameter];
        const torch::Tensor& gradient = parameter.grad();
        if (!gradient.defined()) continue;
        bucket.flat.narrow(0, bucket.slots[s].offset, parameter.numel()).copy_(gradient.reshape(-1));
        bucket.flat[flags + static_cast<std::int64_t>(s)] = 1;
      }
      bucket.ready = bucket.slots.size();
    }
  }
  // Buckets with a parameter that got no gradient start now, in order.
  while (next_to_start_ < buckets_.size()) start(buckets_[next_to_start_++]);

  // CPU buckets: blocks until reduced. CUDA ones: the current stream waits
  // for the reductions, the host does not.
  const auto start_wait = std::chrono::steady_clock::now();
  for (auto& bucket : buckets_) bucket.pending->wait();
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_wait).count();

  torch::NoGradGuard no_grad;
  // Which parameters some rank had a gradient for, on the host; CUDA buckets'
  // flags in one copy (the host's one wait for the reductions).
  std::vector<torch::Tensor> flag_views;
  bool one_device = true;
  for (auto& bucket : buckets_) {
    const auto count = static_cast<std::int64_t>(bucket.slots.size());
    flag_views.push_back(bucket.flat.narrow(0, bucket.flat.numel() - count, count));
    one_device = one_device && flag_views.back().device() == flag_views.front().device();
  }
  std::vector<torch::Tensor> host_flags;  // by bucket
  if (one_device && !flag_views.empty() && !flag_views.front().is_cpu()) {
    const torch::Tensor all = torch::cat(flag_views).to(torch::kCPU);
    std::int64_t offset = 0;
    for (const auto& view : flag_views) {
      host_flags.push_back(all.narrow(0, offset, view.numel()));
      offset += view.numel();
    }
  } else {
    for (const auto& view : flag_views) host_flags.push_back(view.to(torch::kCPU));
  }

  const float ranks = static_cast<float>(communicator_.size());
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    Bucket& bucket = buckets_[b];
    const torch::Tensor flags = host_flags[b].contiguous();
    const float* const had_gradient = flags.data_ptr<float>();
    for (std::size_t s = 0; s < bucket.slots.size(); ++s) {
      torch::Tensor& parameter = parameters_[bucket.slots[s].parameter];
      if (had_gradient[s] == 0) continue;  // no rank computed one
      const torch::Tensor averaged =
          bucket.flat.narrow(0, bucket.slots[s].offset, parameter.numel()).view(parameter.sizes()) / ranks;
      if (parameter.grad().defined())
        parameter.mutable_grad().copy_(averaged);
      else
        parameter.mutable_grad() = averaged.clone();
    }
    bucket.flat.zero_();
    std::fill(bucket.seen.begin(), bucket.seen.end(), 0);
    bucket.ready = 0;
    bucket.pending.reset();
  }
  next_to_start_ = 0;
}

}  // namespace quantlab
