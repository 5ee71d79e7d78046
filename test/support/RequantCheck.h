#pragma once
// Judges a Requant node of an integer network against a float32 reference
// (the fake-quantized network) without a tolerance on how many values may
// differ: a requantized value may differ from the reference's only where the
// exact value lies so close to a rounding boundary that float32 sums (in any
// order, on any CPU) may have put the reference on the other side.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "quantlib/deploy/IntegerNetwork.h"

namespace quantlab::test {

struct RequantComparison {
  std::int64_t elements = 0;
  std::int64_t differing = 0;
  // Differing values not explained by float32 rounding: more than one level
  // apart, or an exact value farther from the boundary between the two levels
  // than the float32 error bound.
  std::int64_t unexplained = 0;
  // Per sample (dim 0): whether any value differs.
  torch::Tensor sample_differs;
};

// Judges every Requant it is given a reference for, from inside
// IntegerNetwork::run's hook: each node's output goes through `pass` or
// `judge`, in node order, and what they return is what the later nodes read
// (the reference's integers, where judged).
class RequantJudge {
 public:
  RequantJudge(const quantlib::deploy::IntegerNetwork& network, std::int64_t samples);
  torch::Tensor pass(const torch::Tensor& output);
  // `reference`: the fake-quantized network's value of this Requant (a
  // per-tensor step), the shape of `output`.
  torch::Tensor judge(std::size_t node, const torch::Tensor& output, const torch::Tensor& reference);
  // Sums over the judged nodes; sample_differs OR-ed over them.
  const RequantComparison& total() const { return total_; }

 private:
  const quantlib::deploy::IntegerNetwork& network_;
  std::vector<torch::Tensor> fed_;
  RequantComparison total_;
};

}  // namespace quantlab::test
