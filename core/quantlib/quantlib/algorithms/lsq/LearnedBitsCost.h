#pragma once
// What a network whose bit-widths are partly learned (LearnedBitsQuantizer)
// costs, as a differentiable function of their fractional bits b, counted as
// `qlhost summary` counts it (graph::NetworkSummary):
//   weight memory (bytes) = (fixed + sum over learned weight quantizers l of
//                            numel(W_l) * b_l) / 8
//     fixed: every other tensor at its bits, as the summary counts it;
//   BOPs (per sample) = sum over conv/linear layers of MACs * b_w * b_a
//     b_w, b_a: the fractional bits of the layer's weight quantizer and of the
//     quantizer that made its input when they learn their bits, else their
//     integer bits (32 without a quantizer).
// The layers' MACs and the fixed part are measured once, from a summary of
// the network; the value follows the quantizers' bits from then on.
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "quantlib/algorithms/lsq/LearnedBitsQuantizer.h"
#include "quantlib/graph/NetworkSummary.h"

namespace quantlib {

enum class BitCostKind { WeightMemory, Bops };

class LearnedBitsCost {
 public:
  // `summary` is NetworkSummary::of(network, ...), of this network as it is.
  LearnedBitsCost(torch::nn::Module& network, const graph::NetworkSummary& summary, BitCostKind kind);

  // Bytes (weight memory) or BOPs, a float64 scalar with gradients to the bits.
  torch::Tensor value() const;
  BitCostKind kind() const { return kind_; }

 private:
  // A product of bits: learned factors times a constant.
  struct Term {
    double constant = 1;
    std::vector<std::shared_ptr<nn::LearnedBitsQuantizer>> learned;
  };

  BitCostKind kind_;
  double fixed_ = 0;  // in the cost's unit
  std::vector<Term> terms_;
};

}  // namespace quantlib
