#pragma once
// Inference speed of several forwards measured side by side (qlhost bench,
// bench/): every forward warmed up first, then rounds that time each of them
// once in turn, so that drift of the machine weighs on all alike; medians
// over the rounds.
#include <functional>
#include <string>
#include <vector>

#include <torch/types.h>

namespace quantlab {

struct TimedForward {
  std::string name;
  std::function<torch::Tensor(const torch::Tensor&)> forward;
};

struct InferenceSpeed {
  double images_per_s = 0;  // over one forward of each batch in `batches`
  double latency_ms = 0;    // one forward of one sample; 0 when not measured
};

struct TimingOptions {
  int rounds = 5;
  // Forwards of a single sample per round for the latency (their median
  // over all rounds); 0 skips the latency.
  int latency_repeats = 20;
};

// One InferenceSpeed per forward, in order. `batches`: the batches one pass
// runs (each timed pass runs all of them); `single`: one sample, [1, ...].
std::vector<InferenceSpeed> time_inference(const std::vector<TimedForward>& forwards,
                                           const std::vector<torch::Tensor>& batches, const torch::Tensor& single,
                                           const TimingOptions& options = {});

// The median of `values` (0 when empty); the benches report medians of rounds.
double median(std::vector<double> values);

}  // namespace quantlab
