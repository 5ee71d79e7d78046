#include "manager/train/InferenceTiming.h"

#include <algorithm>
#include <chrono>

#include <torch/torch.h>

namespace quantlab {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_of(const std::function<void()>& work) {
  const auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::vector<InferenceSpeed> time_inference(const std::vector<TimedForward>& forwards,
                                           const std::vector<torch::Tensor>& batches, const torch::Tensor& single,
                                           const TimingOptions& options) {
  torch::NoGradGuard no_grad;
  int64_t images = 0;
  for (const auto& batch : batches) images += batch.size(0);
  const auto pass = [&](const TimedForward& timed) {
    return seconds_of([&] {
      for (const auto& batch : batches) timed.forward(batch);
    });
  };
  // Warm-up: kernels chosen and packed, the allocator's heap grown.
  for (const auto& timed : forwards) {
    pass(timed);
    if (options.latency_repeats > 0) timed.forward(single);
  }
  std::vector<std::vector<double>> rates(forwards.size()), latencies(forwards.size());
  for (int round = 0; round < options.rounds; ++round) {
    for (size_t f = 0; f < forwards.size(); ++f) {
      rates[f].push_back(static_cast<double>(images) / pass(forwards[f]));
      for (int i = 0; i < options.latency_repeats; ++i)
        latencies[f].push_back(1000.0 * seconds_of([&] { forwards[f].forward(single); }));
    }
  }
  std::vector<InferenceSpeed> speeds;
  for (size_t f = 0; f < forwards.size(); ++f) speeds.push_back({median(rates[f]), median(latencies[f])});
  return speeds;
}

}  // namespace quantlab
