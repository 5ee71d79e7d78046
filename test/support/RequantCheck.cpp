#include "support/RequantCheck.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

namespace quantlab::test {
namespace {

using quantlib::deploy::IntegerNode;
using quantlib::deploy::OpKind;

// A per-channel (C) or per-tensor (1) parameter as float64 broadcast along dim 1.
torch::Tensor along_channels(const torch::Tensor& values, int64_t dims) {
  std::vector<int64_t> shape(static_cast<size_t>(dims), 1);
  if (values.numel() > 1) shape.at(1) = values.numel();
  return values.to(torch::kDouble).reshape(shape);
}

// The sum of the absolute values of the terms that make up each element of a
// node's output, and how many terms there are: what bounds the float32 error
// of a reference computing the same sum.
struct AbsoluteSum {
  torch::Tensor sum;
  int64_t terms = 1;
};

AbsoluteSum absolute_sum(const IntegerNode& producer, const torch::Tensor& output, const std::vector<torch::Tensor>& values) {
  if (producer.op != OpKind::Linear && producer.op != OpKind::Conv2d && producer.op != OpKind::SumPool2d)
    return {output.to(torch::kDouble).abs(), 1};
  const torch::Tensor in = values.at(static_cast<size_t>(producer.inputs.at(0))).to(torch::kDouble).abs();
  if (producer.op == OpKind::SumPool2d) {
    const int64_t area = producer.kernel[0] * producer.kernel[1];
    const torch::Tensor mean = torch::avg_pool2d(in, {producer.kernel[0], producer.kernel[1]},
                                                 {producer.stride[0], producer.stride[1]},
                                                 {producer.padding[0], producer.padding[1]}, producer.ceil_mode, true);
    return {mean.mul(static_cast<double>(area)), area};
  }
  const torch::Tensor weight = producer.weight.to(torch::kDouble).abs();
  const int64_t terms = weight[0].numel();
  if (producer.op == OpKind::Linear) return {in.matmul(weight.t()), terms};
  return {torch::conv2d(in, weight, {}, {producer.stride[0], producer.stride[1]},
                        {producer.padding[0], producer.padding[1]}, {producer.dilation[0], producer.dilation[1]},
                        producer.groups),
          terms};
}

// One Requant node against the reference, given the values the nodes before
// it fed forward.
RequantComparison compare_requant(const quantlib::deploy::IntegerNetwork& network, std::size_t id,
                                  const std::vector<torch::Tensor>& values, const torch::Tensor& reference_levels,
                                  const torch::Tensor& levels) {
  const IntegerNode& node = network.nodes.at(id);
  TORCH_CHECK(node.op == OpKind::Requant, "compare_requant: '", node.name, "' is not a Requant");
  const int64_t dims = levels.dim();
  const double unit = std::ldexp(1.0, -static_cast<int>(node.shift));
  // t / 2^shift, exact up to float64 rounding (far below the float32 bound):
  // in levels for the multiply-shift form, in threshold units for the other.
  torch::Tensor exact = along_channels(node.offset, dims).mul(unit).expand(levels.sizes()).clone();
  torch::Tensor magnitude = exact.abs();
  int64_t terms = 1;
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    const auto input = static_cast<size_t>(node.inputs[k]);
    const torch::Tensor multiplier = along_channels(node.multipliers[k], dims).mul(unit);
    exact.add_(values.at(input).to(torch::kDouble).mul(multiplier));
    const AbsoluteSum sum = absolute_sum(network.nodes.at(input), values.at(input), values);
    magnitude.add_(sum.sum.mul(multiplier.abs()));
    terms = std::max(terms, sum.terms);
  }
  const torch::Tensor reference = reference_levels.to(torch::kDouble);
  const torch::Tensor ours = levels.to(torch::kDouble);
  // How far the exact value is from the boundary the two sides of which the
  // reference and the executor are on, and the scale of the values around it
  // (the quantizer's whole range, a floor for batch norm's cancelling mean
  // and bias, which the integer network has folded away).
  torch::Tensor distance;
  double range = 0;
  int64_t one_step = 1;
  if (node.thresholds.defined()) {
    std::vector<int64_t> shape(static_cast<size_t>(dims) + 1, 1);
    shape[1] = node.thresholds.size(0);
    shape.back() = node.thresholds.size(1);
    const torch::Tensor thresholds = node.thresholds.to(torch::kDouble).mul(unit).reshape(shape);
    distance = exact.unsqueeze(-1).sub(thresholds).abs().amin(-1);
    range = thresholds.abs().max().item<double>();
    one_step = node.threshold_gain;
  } else {
    const double above_lower = node.rounding == quantlib::deploy::Rounding::Nearest ? 0.5 : 1.0;
    distance = exact.sub(torch::minimum(reference, ours).add(above_lower)).abs();
    range = static_cast<double>(node.hi - node.lo);
  }
  // Higham's bound for a float32 sum of n terms in any order, n * u * sum|terms|,
  // with slack for the reference's other float32 operations on each value
  // (weight and input scaling, batch norm, the division by the step).
  const double u = std::ldexp(1.0, -24);
  const torch::Tensor bound = magnitude.add(exact.abs()).add(range).mul(static_cast<double>(terms + 32) * u);

  RequantComparison comparison;
  const torch::Tensor differs = reference.ne(ours);
  comparison.elements = levels.numel();
  comparison.differing = differs.sum().item<int64_t>();
  comparison.sample_differs = differs.flatten(1).any(1);
  const torch::Tensor explained =
      reference.sub(ours).abs().eq(static_cast<double>(one_step)).logical_and(distance.le(bound));
  comparison.unexplained = differs.logical_and(explained.logical_not()).sum().item<int64_t>();
  return comparison;
}

}  // namespace

RequantJudge::RequantJudge(const quantlib::deploy::IntegerNetwork& network, std::int64_t samples) : network_(network) {
  total_.sample_differs = torch::zeros({samples}, torch::kBool);
}

torch::Tensor RequantJudge::pass(const torch::Tensor& output) {
  fed_.push_back(output);
  return output;
}

torch::Tensor RequantJudge::judge(std::size_t node, const torch::Tensor& output, const torch::Tensor& reference) {
  TORCH_CHECK(node == fed_.size(), "RequantJudge: nodes must come in order");
  const torch::Tensor levels =
      reference.to(torch::kDouble).div(network_.nodes.at(node).scale.item<double>()).round().to(torch::kInt);
  const RequantComparison judged = compare_requant(network_, node, fed_, levels, output);
  total_.elements += judged.elements;
  total_.differing += judged.differing;
  total_.unexplained += judged.unexplained;
  total_.sample_differs = total_.sample_differs.logical_or(judged.sample_differs);
  return pass(levels);
}

}  // namespace quantlab::test
