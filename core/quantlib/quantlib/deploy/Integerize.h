#pragma once
// Integerization: turns a trained fake-quantized network (a Block whose
// forward calls named layers) into an IntegerNetwork (IntegerNetwork.h) that
// computes the same function with integer tensors.
//
// How the dataflow is captured: one eval-mode forward on an example input with
// a LayerObserver (every layer call, its input and output) and thread-local
// RecordFunction callbacks (every aten op, with its tensors). Tensors are
// matched by identity (TensorImpl); ops that run between layer calls and lead
// to a layer's input (or to the output of a nested Block, or of the network)
// are the network's own ops; the other ops ran inside a layer.
//
// Supported layers (a Block's named layers, with their Block input/output
// activation quantizers, PACT's `replace` substitution included):
//   Conv2d, QuantConv2d, Linear, QuantLinear (weights from any quantizer
//     whose integer grid (nn::Quantizer::integer_grid) is uniform per tensor
//     or per output channel, or whose values are, per output channel,
//     integers times a step: uniform, LSQ, TQT, INQ, ternary, binary);
//   BatchNorm1d/2d after a conv/linear or a residual sum (folded per channel
//     into the next requantization);
//   ReLU; ReLU6 before an activation quantizer (its clip becomes the
//     requantization's upper clamp); MaxPool2d; AvgPool2d, AdaptiveAvgPool2d
//     (input a multiple of the output); ZeroPadShortcut (CIFAR ResNet's
//     option A); Dropout, Dropout2d, Identity, Flatten; nested Blocks without
//     quantizers of their own.
// Supported activation quantizers: those whose integer grid is uniform per
//   tensor or a set of thresholds (today PACT signed/unsigned with nearest or
//   floor rounding, LSQ and TQT per tensor, STE with an odd number of levels,
//   ternary and binary activations, RSign per channel); a quantizer without one is refused with
//   the reason its grid gives.
// Supported ops between layers: aten::add / aten::add_ of two tensors (a
//   residual sum: the step sizes are aligned in the requantization that
//   follows), flatten/view/reshape that flatten trailing dims, relu,
//   contiguous/clone/detach/dropout (identity in eval).
// Anything else: IntegerizeError, one line naming the layer and the operator.
//
// The input: float input x becomes round(x / step) clamped to the input's
// integer range (InputQuantization; see the Input node in IntegerNetwork.h).
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "quantlib/deploy/IntegerNetwork.h"

namespace quantlib::deploy {

// A network integerize cannot handle (an operator, a float layer, an
// unquantized value feeding a conv/linear): one line naming the layer.
class IntegerizeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// How float input maps to integers: v = clamp(round(x / step), lo, hi).
struct InputQuantization {
  double step = 0;
  int64_t lo = 0;
  int64_t hi = 0;
  int64_t bits = 8;
};

// For input that is an affine image of `bits`-bit integers (normalized
// pixels): step = (max - min) / (2^bits - 1) over `samples`, unless the values
// sit on a finer grid (then that grid's step: the smallest gap between
// distinct values); [lo, hi] = [-z, 2^bits - 1 - z] with z = round(-min / step).
// IntegerizeError when samples is empty or constant.
InputQuantization infer_input_quantization(const torch::Tensor& samples, int64_t bits = 8);

using Forward = std::function<torch::Tensor(const torch::Tensor&)>;

// `forward` runs `network` (usually [&](x) { return net->forward(x); }).
// The network is put in eval mode while traced and its mode is restored.
IntegerNetwork integerize(torch::nn::Module& network, const Forward& forward, const torch::Tensor& example_input,
                          const InputQuantization& input);

}  // namespace quantlib::deploy
