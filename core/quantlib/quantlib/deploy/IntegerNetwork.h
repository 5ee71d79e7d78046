#pragma once
// An integerized network: what integerize (Integerize.h) makes of a trained
// fake-quantized network, and the executor that runs it with integer tensors.
// Exporters (ONNX) read this header only, so every field says exactly what it
// holds. Changes after the first version are additive and listed here:
//   Changed: forward/run take ProductKernels (default: exact float kernels);
//            run takes an optional NodeOutputHook.
//   Added:   run_node (one node, as run computes it).
//
// Conventions
// - A network is an ordered list of nodes; node i reads only nodes with ids < i
//   (topological order). Node 0 is the Input node; the last node is the output,
//   a Dequant node.
// - Every node except Input and Dequant produces an INTEGER tensor `v`, held as
//   int32 (kInt), NCHW for images ([N, C, H, W]) or [N, F] after Flatten /
//   Linear. Its real value is  real = scale[c] * v  with c the index along
//   dim 1 (the channel / feature axis); `scale` has 1 element (per tensor) or
//   C elements (per channel). There are no zero points: every value range is
//   symmetric or starts at zero, and the input's offset is handled by Input
//   (below). `lo` / `hi` bound v (inclusive) for every node.
// - Products and sums of accumulators are exact int32 (integerize checks the
//   bound max|v| <= 2^31 - 1 from the weights and input ranges); requantization
//   runs in int64 with a wide fixed-point multiplier (see Requant).
// - Rounding "Nearest" is round half to even (like torch::round and the
//   fake-quantizers); "Floor" rounds towards minus infinity.
//
// Node kinds and their fields (fields not listed for a kind are unset/empty):
//
//   Input     float32 x [N, ...] -> v = clamp(round_half_even(x / input_step), lo, hi)
//             (x / input_step computed in float64). For a network whose input
//             is an affine image of b-bit data (Fashion-MNIST: x = (p/255 - mean)/std,
//             p in 0..255) input_step is the data's step (1/(255 std)) and
//             [lo, hi] = [-z, 2^b - 1 - z], z = round(-min x / input_step) the
//             data's zero point rounded to an integer: the integer network sees
//             x' = input_step * v, within input_step/2 of x (for Fashion-MNIST
//             every pixel moves by the same 0.07/255). Compare with a float
//             network fed x' (IntegerNetwork::quantize_input), not x.
//             scale = {input_step}.
//   Conv2d    inputs {a}: acc = conv2d(v_a, weight) with zero padding, no bias;
//             weight: int8 (kChar) when every value fits, else int32,
//             [Cout, Cin / groups, kh, kw]; weight_scale: float64, 1 or Cout
//             elements (the trained weight is weight_scale[c] * weight[c]);
//             stride, padding, dilation: {h, w}; groups. Output int32
//             accumulator, scale[c] = scale_a * weight_scale[c] (float64, Cout
//             elements or 1). Bias and batch-norm are NOT here: they are in the
//             consuming Requant / Dequant's offset.
//   Linear    inputs {a}: acc = v_a @ weight^T, v_a [N, Fin]; weight int8/int32
//             [Fout, Fin]; weight_scale as for Conv2d; no bias. Output [N, Fout].
//   Requant   inputs {a_0 .. a_{K-1}} of one shape (a residual addition has K = 2):
//               t = sum_k int64(v_{a_k}) * multipliers[k][c] + offset[c]      (int64)
//               v = clamp(R(t / 2^shift), lo, hi)
//             multipliers[k], offset: int64 tensors, 1 or C elements, broadcast
//             along dim 1; shift in [0, 62]; R = rounding. Integerize picks shift
//             so that |t| < 2^62 for every input in range, and the multiplier
//             is round(real_scale_k[c] / out_step * 2^shift), so R(t / 2^shift)
//             equals the fake-quantizer's round(x / out_step) up to a relative
//             error below 2^-(shift - log2 max|t / 2^shift|).
//             Threshold form (ternary/binary activations), when `thresholds` is
//             defined (int64 [C or 1, T], sorted ascending along dim 1):
//               v = lo + threshold_gain * #{ j : t >= thresholds[c][j] }
//             (then rounding, and clamp, are unused). scale = {out_step}.
//   MaxPool2d inputs {a}: max over windows; kernel, stride, padding, dilation:
//             {h, w}; ceil_mode. Padded positions never win (as torch). Output
//             keeps a's scale, lo, hi.
//   SumPool2d inputs {a}: sum over kernel x kernel windows with stride, zero
//             padding (count_include_pad semantics): an average pool's numerator.
//             The divisor is in scale: scale = scale_a / (kh * kw). An
//             AdaptiveAvgPool2d whose input side is a multiple of the output
//             side becomes a SumPool2d with kernel = stride = in / out.
//   Relu      inputs {a}: v = max(v_a, 0); keeps scale; lo = max(lo_a, 0).
//   Flatten   inputs {a}: v = v_a.flatten(start_dim, end_dim) (dims of the
//             NCHW tensor, end_dim -1 = last). Only per-tensor-scaled inputs.
//   Dequant   inputs {a_0 .. a_{K-1}}: float32 output
//               y = sum_k dequant_scales[k][c] * float64(v_{a_k}) + dequant_offset[c]
//             then max(y, 0) when dequant_relu; computed in float64, returned
//             as float32. dequant_scales[k], dequant_offset: float64, 1 or C
//             elements along dim 1. The network's float output (the logits).
//
// `name` is the dotted name of the trained layer the node comes from
// ("features.conv1", "fc2"), for Requant the layer whose quantizer it
// implements ("relu1"), for Add-derived Requant/Dequant "<block>.add" style
// names; `origin` says in words what it implements ("QuantConv2d + BatchNorm2d
// 'bn1' folded", "PactQuantizer 8 bit unsigned", ...).
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::deploy {

enum class OpKind { Input, Conv2d, Linear, Requant, MaxPool2d, SumPool2d, Relu, Flatten, Dequant };
// The quantizers' rounding: nearest (half to even) or floor.
using Rounding = ops::Rounding;

const char* op_name(OpKind op);

struct IntegerNode {
  std::string name;
  std::string origin;
  OpKind op = OpKind::Input;
  std::vector<int> inputs;

  // Integer output range and real scale (all kinds but Dequant).
  int64_t lo = 0;
  int64_t hi = 0;
  torch::Tensor scale;  // float64, 1 or C elements
  // The bit width and signedness of the quantizer that defines this value
  // (Input, Requant); 32 and signed for accumulators.
  int64_t bits = 32;
  bool is_signed = true;

  // Input
  double input_step = 0;

  // Conv2d / Linear
  torch::Tensor weight;        // int8 or int32
  torch::Tensor weight_scale;  // float64
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;

  // MaxPool2d / SumPool2d (stride, padding, dilation above are shared)
  std::array<int64_t, 2> kernel{1, 1};
  bool ceil_mode = false;

  // Requant
  std::vector<torch::Tensor> multipliers;  // int64, one per input
  torch::Tensor offset;                    // int64
  int64_t shift = 0;
  Rounding rounding = Rounding::Nearest;
  torch::Tensor thresholds;  // int64 [C or 1, T]; undefined unless threshold form
  int64_t threshold_gain = 1;

  // Flatten
  int64_t start_dim = 1;
  int64_t end_dim = -1;

  // Dequant
  std::vector<torch::Tensor> dequant_scales;  // float64, one per input
  torch::Tensor dequant_offset;               // float64
  bool dequant_relu = false;
};

// How the executor computes Conv2d / Linear accumulators; both give the same
// int32 values bit for bit.
enum class ProductKernels {
  // LibTorch's float32 (else float64) conv/matmul kernels on the integer
  // values, where exact: when the layer's [lo, hi], which bounds every
  // partial sum (max_c sum_k |weight[c][k]| * max(|lo_a|, |hi_a|) as
  // integerize sets it), is within 2^24 (2^53),
  // every partial sum is an integer the format holds exactly, in any order of
  // summation. Max pooling likewise runs on float32 where |v| < 2^24.
  // LibTorch 1.13's CPU kernels for integer tensors are plain loops, ten
  // times slower than the float ones.
  fastest_exact,
  // int32 tensors throughout (im2col + integer matrix product, max over
  // unfolded windows).
  integer,
};

class IntegerNetwork {
 public:
  std::vector<IntegerNode> nodes;

  // The float logits for float input (what the trained network's forward
  // takes, e.g. normalized images): Input, then integer tensors only, then
  // Dequant.
  torch::Tensor forward(const torch::Tensor& float_input,
                        ProductKernels kernels = ProductKernels::fastest_exact) const;
  // Every node's output, in node order (Input's and the others' int32
  // tensors, Dequant's float32), for checks and debugging.
  // `replace`, when given, is called with each node's output and returns
  // what the later nodes read instead (tests feed a float reference's values
  // forward, to check each node on its own in a deep network).
  using NodeOutputHook = std::function<torch::Tensor(std::size_t node, const torch::Tensor& output)>;
  std::vector<torch::Tensor> run(const torch::Tensor& float_input,
                                 ProductKernels kernels = ProductKernels::fastest_exact,
                                 const NodeOutputHook& replace = nullptr) const;
  // input_step * Input(x): the float input the integer network really sees,
  // to feed a float reference.
  torch::Tensor quantize_input(const torch::Tensor& float_input) const;
};

// One node's output from its inputs' outputs (`float_input` for the Input
// node), as IntegerNetwork::run computes it: the fast executor
// (FastIntegerNetwork.h) runs the layers it leaves to the exact one through it.
torch::Tensor run_node(const IntegerNode& node, const std::vector<torch::Tensor>& inputs,
                       const torch::Tensor& float_input, ProductKernels kernels = ProductKernels::fastest_exact);

}  // namespace quantlib::deploy
