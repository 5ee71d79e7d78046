#include "quantlib/deploy/OnnxExport.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#include <torch/torch.h>

#include "quantlab/Errors.h"
#include "quantlib/deploy/OnnxGraphBuilder.h"
#include "quantlib/deploy/OnnxLoweringSupport.h"
#include "quantlib/deploy/OnnxQuantizedLowering.h"

namespace quantlib::deploy {
namespace {

using onnx::TensorProto;
using torch::Tensor;
using namespace onnx_lowering;

// Float32 holds every integer below 2^24 exactly, so sums of integers stay
// exact below that bound whatever the order of accumulation.
constexpr double kExactFloatBound = 16777216.0;

struct Value {
  std::string name;  // int32 tensor
  int64_t rank = 0;
};

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

// Fewest signed bits holding every value of an integer tensor.
int64_t signed_bits(const Tensor& values) {
  if (!values.numel()) return 1;
  const int64_t lo = values.min().item<int64_t>();
  const int64_t hi = values.max().item<int64_t>();
  int64_t bits = 1;
  while (bits < 64 && (lo < -(int64_t{1} << (bits - 1)) || hi > (int64_t{1} << (bits - 1)) - 1)) ++bits;
  return bits;
}

// The shortest text that reads back as the same double.
std::string number_text(double value) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  return std::string(text, end);
}

class Lowering {
 public:
  Lowering(const IntegerNetwork& network, const OnnxExportOptions& options, onnx::GraphProto& graph)
      : network_(network), options_(options), graph_(graph), builder_(graph) {}

  std::vector<std::string> inexact_layers;

  void run() {
    // One dry run on zeros gives every node's shape (pool padding, Flatten).
    shapes_ = node_shapes(network_, options_.input_shape);
    add_graph_value(*graph_.add_input(), "input", TensorProto::FLOAT, shapes_.front());
    for (size_t id = 0; id < network_.nodes.size(); ++id) lower(id);
    add_graph_value(*graph_.add_output(), values_.back().name, TensorProto::FLOAT, shapes_.back());
  }

 private:
  const IntegerNetwork& network_;
  const OnnxExportOptions& options_;
  onnx::GraphProto& graph_;
  OnnxGraphBuilder builder_;
  std::vector<std::vector<int64_t>> shapes_;
  std::vector<Value> values_;

  const Value& input_value(const IntegerNode& node, size_t k) const {
    TORCH_CHECK(k < node.inputs.size(), "ONNX export: node '", node.name, "' lacks input ", k);
    const int id = node.inputs[k];
    TORCH_CHECK(id >= 0 && static_cast<size_t>(id) < values_.size(), "ONNX export: node '", node.name,
                "' reads node ", id, " which is not before it");
    return values_[static_cast<size_t>(id)];
  }
  const IntegerNode& input_node(const IntegerNode& node, size_t k) const {
    return network_.nodes[static_cast<size_t>(node.inputs.at(k))];
  }

  void lower(size_t id) {
    const IntegerNode& node = network_.nodes[id];
    const std::string base = std::to_string(id) + "." + node.name;
    const int64_t rank = static_cast<int64_t>(shapes_[id].size());
    std::string name;
    switch (node.op) {
      case OpKind::Input: name = lower_input(node, base); break;
      case OpKind::Conv2d: name = lower_conv(node, base, node.weight, node.padding, node.padding); break;
      case OpKind::Linear: name = lower_linear(node, base); break;
      case OpKind::Requant: name = lower_requant(node, base, rank); break;
      case OpKind::MaxPool2d: name = lower_max_pool(node, base); break;
      case OpKind::SumPool2d: name = lower_sum_pool(node, base); break;
      case OpKind::Relu:
        name = builder_.node("Max", {input_value(node, 0).name, builder_.int32_constant(0, base + ".zero")}, base);
        break;
      case OpKind::Flatten: name = lower_flatten(node, base, id); break;
      case OpKind::Dequant: name = lower_dequant(node, rank); break;
    }
    values_.push_back({name, rank});
  }

  std::string lower_input(const IntegerNode& node, const std::string& base) {
    if (!(node.input_step > 0)) unsupported(node, "input_step must be positive");
    const std::string x = builder_.cast("input", TensorProto::DOUBLE, base + ".double");
    const std::string scaled = builder_.node("Div", {x, builder_.double_constant(node.input_step, base + ".step")},
                                             base + ".scaled");
    const std::string rounded = builder_.node("Round", {scaled}, base + ".rounded");
    const std::string clipped =
        builder_.node("Clip",
                      {rounded, builder_.double_constant(static_cast<double>(node.lo), base + ".lo"),
                       builder_.double_constant(static_cast<double>(node.hi), base + ".hi")},
                      base + ".clipped");
    return builder_.cast(clipped, TensorProto::INT32, base);
  }

  // v - offset as uint8, and its zero point.
  std::pair<std::string, std::string> as_uint8(const std::string& value, int64_t offset, const std::string& base) {
    std::string shifted = value;
    if (offset != 0) shifted = builder_.node("Sub", {value, builder_.int32_constant(static_cast<int32_t>(offset),
                                                                                    base + ".offset")},
                                             base + ".shifted");
    const std::string bytes = builder_.cast(shifted, TensorProto::UINT8, base + ".uint8");
    const std::string zero_point = builder_.constant(torch::tensor(static_cast<uint8_t>(-offset), torch::kByte),
                                                     base + ".zero_point");
    return {bytes, zero_point};
  }

  std::pair<std::string, std::string> weight_as_uint8(const Tensor& weight, const std::string& base) {
    return {builder_.constant(weight.to(torch::kInt).add(128).to(torch::kByte), base + ".weight"),
            builder_.constant(torch::tensor(static_cast<uint8_t>(128), torch::kByte), base + ".weight_zero_point")};
  }

  // Conv2d, and SumPool2d as a depthwise conv with ones; pads may be asymmetric.
  std::string lower_conv(const IntegerNode& node, const std::string& base, const Tensor& weight,
                         std::array<int64_t, 2> pad_begin, std::array<int64_t, 2> pad_end) {
    if (!weight.defined() || weight.dim() != 4) unsupported(node, "expected a 4-d integer weight");
    const IntegerNode& source = input_node(node, 0);
    const std::string& x = input_value(node, 0).name;
    std::vector<onnx::AttributeProto> attributes =
        window_attributes(node, {weight.size(2), weight.size(3)}, pad_begin, pad_end);
    attributes.push_back(OnnxGraphBuilder::int_attribute("group", node.groups));
    const auto offset = uint8_offset(source.lo, source.hi);
    if (offset && fits_int8(weight)) {
      const auto [x_bytes, x_zero_point] = as_uint8(x, *offset, base + ".x");
      const auto [w_bytes, w_zero_point] = weight_as_uint8(weight, base);
      return builder_.node("ConvInteger", {x_bytes, w_bytes, x_zero_point, w_zero_point}, base, attributes);
    }
    note_float_bound(node, source, weight);
    const std::string x_float = builder_.cast(x, TensorProto::FLOAT, base + ".float");
    const std::string w_float = builder_.constant(weight.to(torch::kFloat), base + ".weight");
    const std::string sum = builder_.node("Conv", {x_float, w_float}, base + ".sum", attributes);
    return builder_.cast(builder_.node("Round", {sum}, base + ".rounded"), TensorProto::INT32, base);
  }

  void note_float_bound(const IntegerNode& node, const IntegerNode& source, const Tensor& weight) {
    const double max_input = static_cast<double>(std::max(std::abs(source.lo), std::abs(source.hi)));
    const double max_weight_sum = weight.to(torch::kDouble).abs().flatten(1).sum(1).max().item<double>();
    if (max_input * max_weight_sum >= kExactFloatBound) inexact_layers.push_back(node.name);
  }

  std::string lower_linear(const IntegerNode& node, const std::string& base) {
    if (!node.weight.defined() || node.weight.dim() != 2) unsupported(node, "expected a 2-d integer weight");
    if (input_value(node, 0).rank != 2) unsupported(node, "expected a 2-d input [N, features]");
    const IntegerNode& source = input_node(node, 0);
    const std::string& x = input_value(node, 0).name;
    const auto offset = uint8_offset(source.lo, source.hi);
    if (offset && fits_int8(node.weight)) {
      const auto [x_bytes, x_zero_point] = as_uint8(x, *offset, base + ".x");
      const auto [w_bytes, w_zero_point] = weight_as_uint8(node.weight.t(), base);
      return builder_.node("MatMulInteger", {x_bytes, w_bytes, x_zero_point, w_zero_point}, base);
    }
    // int32 products and sums are exact (integerize bounds the accumulator).
    return builder_.node("MatMul", {x, builder_.constant(node.weight.to(torch::kInt).t(), base + ".weight")}, base);
  }

  std::string lower_requant(const IntegerNode& node, const std::string& base, int64_t rank) {
    if (node.inputs.empty() || node.multipliers.size() != node.inputs.size())
      unsupported(node, "expected one multiplier per input");
    if (node.shift < 0 || node.shift > 62) unsupported(node, "shift must lie in [0, 62]");
    std::string t = builder_.constant(along_channels(node.offset.to(torch::kLong), rank), base + ".offset");
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const std::string wide = builder_.cast(input_value(node, k).name, TensorProto::INT64, base + ".int64");
      const std::string term = builder_.node(
          "Mul", {wide, builder_.constant(along_channels(node.multipliers[k].to(torch::kLong), rank),
                                          base + ".multiplier")},
          base + ".term");
      t = builder_.node("Add", {term, t}, base + ".t");
    }
    if (node.thresholds.defined()) {
      std::vector<int64_t> shape(static_cast<size_t>(rank) + 1, 1);
      shape[1] = node.thresholds.size(0);
      shape.back() = node.thresholds.size(1);
      const std::string last = builder_.int64_list({-1}, base + ".last_axis");
      const std::string reached = builder_.node(
          "GreaterOrEqual",
          {builder_.node("Unsqueeze", {t, last}, base + ".t_unsqueezed"),
           builder_.constant(node.thresholds.to(torch::kLong).reshape(shape), base + ".thresholds")},
          base + ".reached");
      const std::string count = builder_.node(
          "ReduceSum", {builder_.cast(reached, TensorProto::INT64, base + ".reached_int64"), last}, base + ".count",
          {OnnxGraphBuilder::int_attribute("keepdims", 0)});
      const std::string level = builder_.node(
          "Add",
          {builder_.node("Mul", {count, builder_.int64_constant(node.threshold_gain, base + ".gain")},
                         base + ".scaled"),
           builder_.int64_constant(node.lo, base + ".lo")},
          base + ".level");
      return builder_.cast(level, TensorProto::INT32, base);
    }
    std::string q = t;
    if (node.shift > 0) {
      const std::string divisor = builder_.int64_constant(int64_t{1} << node.shift, base + ".divisor");
      // Mod of int64 with fmod = 0 takes the divisor's sign: r in [0, 2^shift).
      const std::string remainder = builder_.node("Mod", {t, divisor}, base + ".remainder");
      q = builder_.node("Div", {builder_.node("Sub", {t, remainder}, base + ".floor_multiple"), divisor},
                        base + ".floor");
      if (node.rounding == Rounding::Nearest) {
        const std::string half = builder_.int64_constant(int64_t{1} << (node.shift - 1), base + ".half");
        const std::string odd = builder_.node(
            "Equal",
            {builder_.node("Mod", {q, builder_.int64_constant(2, base + ".two")}, base + ".parity"),
             builder_.int64_constant(1, base + ".one")},
            base + ".odd");
        const std::string tie = builder_.node(
            "And", {builder_.node("Equal", {remainder, half}, base + ".is_half"), odd}, base + ".tie_to_even");
        const std::string up =
            builder_.node("Or", {builder_.node("Greater", {remainder, half}, base + ".above_half"), tie},
                          base + ".round_up");
        q = builder_.node("Add", {q, builder_.cast(up, TensorProto::INT64, base + ".round_up_int64")},
                          base + ".nearest");
      }
    }
    const std::string clipped = builder_.node(
        "Clip", {q, builder_.int64_constant(node.lo, base + ".lo"), builder_.int64_constant(node.hi, base + ".hi")},
        base + ".clipped");
    return builder_.cast(clipped, TensorProto::INT32, base);
  }

  std::string lower_max_pool(const IntegerNode& node, const std::string& base) {
    const auto& in_shape = shapes_[static_cast<size_t>(node.inputs.at(0))];
    if (in_shape.size() != 4) unsupported(node, "expected a 4-d input");
    const auto extra = ceil_mode_extra(node, in_shape, node.kernel);
    // double holds every int32; padded positions are -inf in ONNX and never win, as in torch.
    const std::string x = builder_.cast(input_value(node, 0).name, TensorProto::DOUBLE, base + ".double");
    const std::string pooled = builder_.node(
        "MaxPool", {x}, base + ".pooled",
        window_attributes(node, node.kernel, node.padding, {node.padding[0] + extra[0], node.padding[1] + extra[1]}));
    return builder_.cast(pooled, TensorProto::INT32, base);
  }

  std::string lower_sum_pool(const IntegerNode& node, const std::string& base) {
    const auto& in_shape = shapes_[static_cast<size_t>(node.inputs.at(0))];
    if (in_shape.size() != 4) unsupported(node, "expected a 4-d input");
    const auto extra = ceil_mode_extra(node, in_shape, node.kernel);
    const int64_t channels = in_shape[1];
    const Tensor ones = torch::ones({channels, 1, node.kernel[0], node.kernel[1]}, torch::kChar);
    IntegerNode depthwise = node;
    depthwise.groups = channels;
    return lower_conv(depthwise, base, ones, node.padding,
                      {node.padding[0] + extra[0], node.padding[1] + extra[1]});
  }

  std::string lower_flatten(const IntegerNode& node, const std::string& base, size_t id) {
    const int64_t rank = input_value(node, 0).rank;
    const int64_t start = node.start_dim < 0 ? node.start_dim + rank : node.start_dim;
    const int64_t end = node.end_dim < 0 ? node.end_dim + rank : node.end_dim;
    if (start < 1 || start > end || end >= rank)
      unsupported(node, "flatten(" + std::to_string(node.start_dim) + ", " + std::to_string(node.end_dim) +
                            ") must keep the batch dimension");
    const std::string& x = input_value(node, 0).name;
    if (start == 1 && end == rank - 1)
      return builder_.node("Flatten", {x}, base, {OnnxGraphBuilder::int_attribute("axis", 1)});
    std::vector<int64_t> shape = shapes_[id];
    shape[0] = 0;  // Reshape copies the batch size from the input
    return builder_.node("Reshape", {x, builder_.int64_list(shape, base + ".shape")}, base);
  }

  std::string lower_dequant(const IntegerNode& node, int64_t rank) {
    if (node.inputs.empty() || node.dequant_scales.size() != node.inputs.size())
      unsupported(node, "expected one dequant scale per input");
    const std::string base = "logits";
    std::string y = builder_.constant(along_channels(node.dequant_offset.to(torch::kDouble), rank), base + ".offset");
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const std::string wide = builder_.cast(input_value(node, k).name, TensorProto::DOUBLE, base + ".double");
      const std::string term = builder_.node(
          "Mul", {wide, builder_.constant(along_channels(node.dequant_scales[k].to(torch::kDouble), rank),
                                          base + ".scale")},
          base + ".term");
      y = builder_.node("Add", {term, y}, base + ".sum");
    }
    if (node.dequant_relu) y = builder_.node("Relu", {y}, base + ".relu");
    return builder_.cast(y, TensorProto::FLOAT, base);
  }
};

void add_metadata(onnx::ModelProto& model, const std::string& key, const std::string& value) {
  auto* entry = model.add_metadata_props();
  entry->set_key(key);
  entry->set_value(value);
}

std::string bits_text(int64_t bits, bool is_signed) { return std::to_string(bits) + (is_signed ? "s" : "u"); }

void add_network_metadata(onnx::ModelProto& model, const IntegerNetwork& network) {
  const IntegerNode& input = network.nodes.front();
  add_metadata(model, "input.step", number_text(input.input_step));
  add_metadata(model, "input.zero_point", std::to_string(-input.lo));
  add_metadata(model, "input.range", "[" + std::to_string(input.lo) + ", " + std::to_string(input.hi) + "]");
  add_metadata(model, "input.bits", std::to_string(input.bits));
  add_metadata(model, "input.normalization",
               "input = " + number_text(input.input_step) + " * (p - " + std::to_string(-input.lo) + "), p the " +
                   std::to_string(input.bits) + "-bit raw data in [" + std::to_string(0) + ", " +
                   std::to_string(input.hi - input.lo) + "]; the model rounds its input to that grid");
  std::vector<std::string> activations;
  std::vector<std::string> weights;
  for (const IntegerNode& node : network.nodes) {
    if (node.op == OpKind::Requant) activations.push_back(node.name + ": " + bits_text(node.bits, node.is_signed));
    if ((node.op == OpKind::Conv2d || node.op == OpKind::Linear) && node.weight.defined())
      weights.push_back(node.name + ": " + std::to_string(signed_bits(node.weight)) + "s");
  }
  add_metadata(model, "bits.input", bits_text(input.bits, input.is_signed));
  add_metadata(model, "bits.activations", joined(activations));
  add_metadata(model, "bits.weights", joined(weights));
}

// The checker, then strict shape and type inference (onnx.checker's
// full_check): an exporter bug is caught here, not in a runtime.
void check_model(const onnx::ModelProto& model, const std::string& what) {
  try {
    onnx::checker::check_model(model);
    onnx::ModelProto inferred = model;
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& error) {
    throw quantlab::DataError(what + ": not a valid ONNX model: " + error.what());
  }
}

}  // namespace

const char* onnx_form_name(OnnxForm form) {
  switch (form) {
    case OnnxForm::qdq: return "qdq";
    case OnnxForm::qop: return "qop";
    case OnnxForm::integer: return "integer";
    case OnnxForm::float32: return "float";
  }
  return "?";
}

OnnxForm parse_onnx_form(const std::string& text, const std::string& flag) {
  for (const OnnxForm form : {OnnxForm::qdq, OnnxForm::qop, OnnxForm::integer, OnnxForm::float32})
    if (text == onnx_form_name(form)) return form;
  throw quantlab::ConfigError(flag + " " + text + ": expected qdq, qop, integer or float");
}

namespace {

const char* form_description(OnnxForm form) {
  switch (form) {
    case OnnxForm::qdq:
      return "QDQ: uint8 activations (QuantizeLinear/DequantizeLinear), int8 per-channel weights, int32 biases, "
             "float32 ops between them, float32 input and logits";
    case OnnxForm::qop:
      return "QOperator: QLinearConv on uint8 activations and int8 per-channel weights, QuantizeLinear/"
             "DequantizeLinear around the rest, float32 input and logits";
    case OnnxForm::integer:
      return "integer network: ConvInteger/MatMulInteger accumulators, int64 requantization, int32 values "
             "between layers, float32 input and logits";
    case OnnxForm::float32:
      return "float32 reference: dequantized weights, requant offsets as biases, clipping for activation "
             "quantizers, no rounding";
  }
  return "?";
}

}  // namespace

std::string onnx_model_bytes(const IntegerNetwork& network, const OnnxExportOptions& options) {
  onnx::ModelProto model;
  model.set_ir_version(kOnnxIrVersion);
  model.set_producer_name("quantlab");
  model.set_producer_version(QUANTLAB_VERSION);
  model.set_doc_string(options.form == OnnxForm::integer
                           ? "QuantLab integerized network: integer ops, int32 values between layers"
                           : std::string("QuantLab integerized network, ONNX form ") + onnx_form_name(options.form));
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name("integer_network");

  std::vector<std::string> notes;
  if (options.form == OnnxForm::integer) {
    Lowering lowering(network, options, graph);
    lowering.run();
    notes = lowering.inexact_layers;
  } else {
    graph.set_name(std::string(onnx_form_name(options.form)) + "_network");
    notes = onnx_lowering::lower_quantized(network, options, graph);
  }

  add_metadata(model, "quantlab.version", QUANTLAB_VERSION);
  add_metadata(model, "quantlab.format", form_description(options.form));
  if (options.form != OnnxForm::integer) add_metadata(model, "quantlab.onnx_form", onnx_form_name(options.form));
  for (const auto& [key, value] : options.metadata) add_metadata(model, key, value);
  add_network_metadata(model, network);
  if (options.form == OnnxForm::integer) add_metadata(model, "quantlab.inexact_layers", joined(notes));
  else if (options.form != OnnxForm::float32) add_metadata(model, "quantlab.float_layers", joined(notes));

  // A failure here is the exporter's bug, not the user's.
  try {
    check_model(model, "exported model");
  } catch (const quantlab::DataError& error) {
    TORCH_CHECK(false, "ONNX export produced an invalid model: ", error.what());
  }
  std::string bytes;
  TORCH_CHECK(model.SerializeToString(&bytes), "ONNX export: cannot serialize the model");
  return bytes;
}

OnnxModelInfo check_onnx_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw quantlab::DataError(file.string() + ": cannot read the ONNX model");
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&in))
    throw quantlab::DataError(file.string() + ": not an ONNX model (protobuf parse failed)");
  check_model(model, file.string());
  OnnxModelInfo info;
  info.ir_version = model.ir_version();
  for (const auto& opset : model.opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx") info.opset = opset.version();
  info.producer = model.producer_name() + " " + model.producer_version();
  for (const auto& node : model.graph().node()) info.op_types.push_back(node.op_type());
  for (const auto& entry : model.metadata_props()) info.metadata[entry.key()] = entry.value();
  for (const auto& input : model.graph().input()) info.input_names.push_back(input.name());
  for (const auto& output : model.graph().output()) info.output_names.push_back(output.name());
  for (const auto& initializer : model.graph().initializer())
    info.initializer_types.push_back(
        TensorProto::DataType_Name(static_cast<TensorProto::DataType>(initializer.data_type())));
  return info;
}

}  // namespace quantlib::deploy
