#pragma once
// ONNX export of an integerized network (IntegerNetwork.h): a standard ONNX
// model (IR version 8, default-domain opset 13) that any ONNX runtime runs and
// that computes exactly what IntegerNetwork::forward computes.
//
// How the integer path is written in ONNX (integer ops, not QDQ): every node's
// integer tensor is an int32 value in the graph, named "<id>.<layer name>".
// - Input: Cast to double, Div by input_step, Round (half to even, as torch),
//   Clip to [lo, hi], Cast to int32.
// - Conv2d / Linear: ConvInteger / MatMulInteger (int32 accumulators, exact).
//   Their operands are uint8 with zero points, as ONNX Runtime implements them
//   only for uint8: the activation is shifted by an offset that maps [lo, hi]
//   into 0..255 (its zero point undoes it), the int8 weight is stored as
//   weight + 128 with zero point 128. Operands that do not fit 8 bits (int32
//   weights, activation ranges wider than 256 levels) fall back to float32
//   Conv / int32 MatMul: Linear stays exact, Conv is exact while its
//   accumulator bound stays below 2^24 and is listed otherwise in the metadata
//   key quantlab.inexact_layers.
// - Requant: int64 arithmetic, as the executor: t = sum_k int64(v_k) * m_k +
//   offset; floor(t / 2^shift) as (t - Mod(t, 2^shift)) / 2^shift, the
//   remainder deciding round-half-to-even; Clip to [lo, hi]. The threshold form
//   counts GreaterOrEqual against the thresholds (ReduceSum).
// - MaxPool2d: MaxPool on double (exact for int32). SumPool2d: a depthwise
//   convolution with a kernel of ones, lowered as Conv2d is above.
// - Relu: Max with 0. Flatten: Flatten(axis 1), else Reshape (batch dim kept).
// - Dequant: double arithmetic, then float32: the graph output "logits".
// The graph input "input" is float32 [N, ...] (N symbolic): the topology's
// pre-processed input, the tensor the trained network takes.
//
// metadata_props: quantlab.version, quantlab.format, the caller's keys
// (problem, topology, exp_id, fold, checkpoint), the input quantization
// (input.step, input.zero_point, input.bits, input.normalization: how raw
// b-bit data p maps to the input), and bit widths (bits.activations: each
// quantizer's bits and signedness; bits.weights: each layer's integer weight
// width, the fewest signed bits that hold its integer weights).
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "quantlib/deploy/IntegerNetwork.h"

namespace quantlib::deploy {

struct OnnxExportOptions {
  // One sample's shape, without the batch dimension (e.g. {1, 28, 28}).
  std::vector<int64_t> input_shape;
  // Added to the model's metadata_props, in this order.
  std::vector<std::pair<std::string, std::string>> metadata;
};

inline constexpr int64_t kOnnxOpset = 13;
inline constexpr int64_t kOnnxIrVersion = 8;

// The serialized ModelProto, after ONNX's checker accepted it (the caller
// writes it, atomically: qlhost export). A node the lowering cannot express
// throws quantlab::ConfigError naming the layer and its operator.
std::string onnx_model_bytes(const IntegerNetwork& network, const OnnxExportOptions& options);

// What a model file says, read back through ONNX's schema.
struct OnnxModelInfo {
  int64_t ir_version = 0;
  int64_t opset = 0;
  std::string producer;
  std::vector<std::string> op_types;  // node order
  std::map<std::string, std::string> metadata;
  std::vector<std::string> input_names;
  std::vector<std::string> output_names;
  std::vector<std::string> initializer_types;  // ONNX element type names, initializer order
};

// Parses `file` and runs ONNX's checker on it. quantlab::DataError naming the file when it is unreadable
// or invalid, with the checker's message.
OnnxModelInfo check_onnx_file(const std::filesystem::path& file);

}  // namespace quantlib::deploy
