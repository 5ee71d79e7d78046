#pragma once
// ONNX export of an integerized network (IntegerNetwork.h) in one of four
// forms (OnnxExportOptions::form, `qlhost export --onnx-form`). Every form is
// a standard ONNX model (IR version 8, default-domain opset 13, no other
// domain) with one float32 input "input" [N, ...] (N symbolic: the
// topology's pre-processed input, the tensor the trained network takes) and
// one float32 output "logits".
//
// Opset 13 for every form: it is the first with per-channel (axis)
// QuantizeLinear/DequantizeLinear, which the int8 weights need, and ONNX
// Runtime's QDQ fusions (DQ -> Conv/Gemm -> Q into QLinearConv / QGemm, Q/DQ
// dropped around MaxPool, Reshape, Flatten) all match at 13; later opsets add
// nothing these graphs use (int4/int16 Q/DQ, blocked scales).
//
// Output step: logit c of a network whose Dequant reads inputs a_0..a_{K-1}
// moves by dequant_scales[0][c] when v_{a_0} moves by one: that is "one
// output step" below and in the tests. qdq and qop are tested against
// IntegerNetwork::forward with that bound (OnnxExportTest).
//
// qdq (the default): the network as ONNX Runtime quantizes networks itself.
//   Every 8-bit value (Input, Requant with at most 256 levels) is uint8 q = v +
//   z from QuantizeLinear (scale = the node's step, z = -min(lo, 0)), and
//   DequantizeLinear before the float op reading it; a clamp narrower than
//   uint8 (b < 8 bits, or [0, hi] below 255) is a uint8 Clip after Q, so the
//   Q stays next to its Conv. Weights are int8 initializers with per-channel
//   DequantizeLinear (axis 0). A Conv2d / Linear read only by a Requant is
//   folded into it: its weight scale is chosen so the Conv/Gemm output is
//   already the Requant's term (x_scale * w_scale[c] = step * m[c] / 2^shift),
//   its bias is the Requant's offset in accumulator units, int32 (rounded:
//   offset / m[c]) behind DequantizeLinear where ONNX Runtime fuses the
//   product (a lone 8-bit Requant or a residual term, below), float32
//   elsewhere. Residual sums (an 8-bit Requant of several inputs): each folded
//   product with an 8-bit input is a residual term, quantized onto its own
//   8-bit grid before the sum (uint8, zero point 128, scale = the sum's output
//   step: the term clamped to [-128, 127] steps), so that ONNX Runtime runs
//   it on int8 kernels (QLinearConv); each 8-bit input that is no product is
//   a DequantizeLinear whose scale is its term factor (m_k step / 2^shift);
//   the terms are Add-ed and quantized: DQ + DQ -> Add -> Q, which ONNX
//   Runtime fuses into QLinearAdd. Other residual sums are Conv + Mul/Add on
//   float then Q. MaxPool, Flatten and
//   Reshape work on the uint8 tensor; Relu is Max(q, z) (or nothing when
//   lo >= 0); SumPool2d is AveragePool (count_include_pad) on floats; Dequant
//   folds into the last Gemm (float bias = its offset, kept exact). Requant
//   floor rounding: floor(t / 2^s) = nearest((t - 2^(s-1) + 1/2) / 2^s) for
//   integer t, so floor rides on Q's nearest through the bias. Wider values
//   (more than 256 levels) are float arithmetic (Div, Round/Floor, Clip, Mul).
//   Where qdq differs from the integer network: the int32 bias is rounded to
//   the accumulator grid (a shift below half an accumulator unit before the
//   requantizer's rounding) and ONNX Runtime requantizes with a float32
//   multiplier (x_scale * w_scale / y_scale) instead of m / 2^shift; both move
//   a pre-rounding value by far less than one output step, so an 8-bit
//   activation differs by one level where that value lies that close to a
//   rounding boundary (rare; the tests count it and hold the logits to the
//   bound on networks where it cannot happen). A residual term's own
//   rounding is not rare: it moves the sum by up to half an output step
//   before the sum's rounding, so the sum's 8-bit value differs by one level
//   for about a quarter of its elements (uniform fractions), and by more
//   where a term leaves [-128, 127] steps while the sum does not saturate.
//   Measured 2026-12-06: the tests' trained residual-avgpool network 56% of
//   the logits within one step (92-95% before), argmax 63 of 64; the plugin
//   networks (untrained, 8 random samples) ImageNet ResNet-18 argmax 8 of 8,
//   CIFAR ResNet-20 W8A8 5-6 of 8 (8 of 8 before). Refuses: threshold Requants
//   (binary/ternary activations: no QuantizeLinear form).
// qop: the same graph with each fusable DQ -> Conv/Gemm -> Q written as
//   QLinearConv (a Linear as a 1x1 QLinearConv on [N, F, 1, 1]), everything
//   in the default domain (QLinearAdd and QGemm are com.microsoft only; the
//   residual sums' Add stays as in qdq; their product terms are QLinearConv
//   onto the term grid). Same numbers as qdq, same refusals.
// integer: integer ops, bit-identical to IntegerNetwork::forward (below).
// float: the fp32 reference of the same network, for speed comparisons: no
//   Q/DQ and no rounding; weights dequantized to float32 (folded as in qdq),
//   biases from the requant offsets, each Requant a Clip to its real range
//   [lo * step, hi * step] (ReLU/PACT clipping), the input taken as it is.
//   Not within one output step of the integer network (it skips every
//   rounding), only close. Refuses threshold Requants.
//
// The integer form: integer ops, not QDQ. Every node's integer tensor is an
// int32 value in the graph, named "<id>.<layer name>".
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "quantlib/deploy/IntegerNetwork.h"

namespace quantlib::deploy {

enum class OnnxForm { qdq, qop, integer, float32 };

// "qdq", "qop", "integer", "float".
const char* onnx_form_name(OnnxForm form);
// The form named `text`; quantlab::ConfigError "<flag> <text>: expected qdq, qop, integer or float".
OnnxForm parse_onnx_form(const std::string& text, const std::string& flag = "--onnx-form");

struct OnnxExportOptions {
  // One sample's shape, without the batch dimension (e.g. {1, 28, 28}).
  std::vector<int64_t> input_shape;
  // Added to the model's metadata_props, in this order.
  std::vector<std::pair<std::string, std::string>> metadata;
  OnnxForm form = OnnxForm::qdq;
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
