#pragma once
// The original's monitor: per selected layer, histograms and norms of its
// weights, of its weights' gradients and of its output activations, and every
// quantizer's learned or scheduled quantities (PACT's alpha, LSQ's step, INQ's
// frozen fraction, ANA's noise), collected once per epoch for TensorBoard.
// Opt-in from the config:
//   logging.monitor: {select: {type: [Conv2d, Linear]}, weights: true,
//                     gradients: true, activations: true, quantizers: true}
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <torch/nn/module.h>

#include "quantlab/Params.h"
#include "quantlib/graph/Rule.h"
#include "quantlib/nn/Block.h"

namespace quantlib::monitor {

struct TrackerOptions {
  graph::Rule selection = graph::Rule::type(std::vector<std::string>{"Conv2d", "Linear"});
  bool weights = true;
  bool gradients = true;
  bool activations = true;
  bool quantizers = true;

  // Reads logging.monitor; ConfigError naming the key on bad values.
  static TrackerOptions parse(const quantlab::Params& monitor);
};

// One quantity for TensorBoard: a histogram of `values`, or a scalar.
struct Statistic {
  std::string tag;  // e.g. "weights/conv1.weight", "weights/conv1.weight/norm"
  torch::Tensor values;
  bool histogram = false;
};

class StatisticsTracker : public nn::LayerObserver {
 public:
  // A selection that matches no layer is a ConfigError naming logging.monitor.select.
  StatisticsTracker(torch::nn::Module& network, TrackerOptions options, const quantlab::Params& monitor);

  // After a training batch's backward: keeps a copy of the selected layers'
  // gradients (the last batch recorded before collect() is reported).
  void record_gradients();
  // Installed with nn::ObserveLayers around one forward (the first validation
  // batch of an epoch): keeps the selected layers' outputs of the first call.
  void observe(const torch::nn::Module& layer, const torch::Tensor& input, const torch::Tensor& output) override;
  // Everything due this epoch; forgets what was recorded.
  std::vector<Statistic> collect();

  const std::vector<std::string>& tracked_layers() const { return layer_names_; }

 private:
  torch::nn::Module& network_;
  TrackerOptions options_;
  std::vector<std::string> layer_names_;
  std::vector<std::pair<std::string, std::shared_ptr<torch::nn::Module>>> layers_;
  std::unordered_map<const torch::nn::Module*, std::string> tracked_;  // selected layer -> dotted name
  std::vector<std::pair<std::string, torch::Tensor>> gradients_;
  std::vector<std::pair<std::string, torch::Tensor>> activations_;
};

}  // namespace quantlib::monitor
