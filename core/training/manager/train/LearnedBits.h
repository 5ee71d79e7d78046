#pragma once
// Learned bit-widths in training (the rules recipe's `bits: learned`, see
// quantlib/algorithms/lsq/LearnedBitsQuantizer.h): every such quantizer's
// bits, logged each epoch, and the penalty training.bit_penalty adds to the
// training loss:
//   training.bit_penalty: {cost: weights | bops, target: AMOUNT, strength: S}
//   penalty = S * max(0, cost / target - 1)
// cost the differentiable weight memory (bytes) or BOPs per sample of the
// fractional bits (quantlib::LearnedBitsCost); target bytes (a number, or
// "408KiB", "0.4MiB", "400kB") or BOPs (a number, or "1.2G", "300M", "50k").
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "manager/config/ExperimentConfig.h"
#include "quantlab/Network.h"
#include "quantlib/algorithms/lsq/LearnedBitsCost.h"

namespace quantlab {

struct BitPenalty {
  quantlib::BitCostKind cost = quantlib::BitCostKind::WeightMemory;
  double target = 0;  // bytes or BOPs, > 0
  double strength = 1;

  // training.bit_penalty, none when absent; ConfigError naming the key.
  static std::optional<BitPenalty> parse(const Params& section);
};

class LearnedBits {
 public:
  // None when the network learns no bit-width and the config has no
  // training.bit_penalty; ConfigError when it has one but nothing to apply it to.
  static std::optional<LearnedBits> make(const ExperimentConfig& config, torch::nn::Module& network);

  // Measures the cost model on `sample` (one pre-processed input batch);
  // needed before penalty() and cost().
  void measure(Network& network, const torch::Tensor& sample);

  bool has_penalty() const { return penalty_.has_value(); }
  // S * max(0, cost / target - 1), a float32 scalar with gradients to the bits.
  torch::Tensor penalty() const;
  // The penalized cost at the current bits (bytes or BOPs).
  double cost() const;
  // Each learned quantizer's name and current (fractional, or frozen) bits.
  std::vector<std::pair<std::string, double>> bits() const;
  // e.g. "conv1.weight_quantizer 7.91, fc1.weight_quantizer 4.02 | weight memory 410.3 KiB (target 407.8 KiB)".
  std::string describe() const;

 private:
  std::vector<std::pair<std::string, std::shared_ptr<quantlib::nn::LearnedBitsQuantizer>>> quantizers_;
  std::optional<BitPenalty> penalty_;
  std::optional<quantlib::LearnedBitsCost> cost_;
};

}  // namespace quantlab
