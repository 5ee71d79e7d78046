#include "manager/dist/GradientReducer.h"

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
    for (const std::size_t parameter : group) {
      bucket_of_[parameter] = buckets_.size();
      slot_of_[parameter] = bucket.slots.size();
      bucket.slots.push_back({parameter, offset});
      offset += parameters_[parameter].numel();
    }
    bucket.flat = torch::zeros({offset + static_cast<std::int64_t>(group.size())}, torch::kFloat);
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
  float* const flag = bucket.flat.data_ptr<float>() + flags + static_cast<std::int64_t>(slot);
  // A parameter used twice in one graph gets one hook call with the sum.
  TORCH_CHECK(*flag == 0, "GradientReducer: a second gradient for one parameter in one backward");
  const std::int64_t numel = parameters_[parameter].numel();
  bucket.flat.narrow(0, bucket.slots[slot].offset, numel).copy_(gradient.reshape(-1));
  *flag = 1;
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

  const auto start_wait = std::chrono::steady_clock::now();
  for (auto& bucket : buckets_) bucket.pending->wait();
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_wait).count();

  const float ranks = static_cast<float>(communicator_.size());
  torch::NoGradGuard no_grad;
  for (auto& bucket : buckets_) {
    const std::int64_t flags = bucket.flat.numel() - static_cast<std::int64_t>(bucket.slots.size());
    const float* const had_gradient = bucket.flat.data_ptr<float>() + flags;
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
    bucket.ready = 0;
    bucket.pending.reset();
  }
  next_to_start_ = 0;
}

}  // namespace quantlab
