#include "quantlib/deploy/OnnxQuantizedLowering.h"

#include <cmath>

#include <torch/torch.h>

#include "quantlib/deploy/OnnxGraphBuilder.h"
#include "quantlib/deploy/OnnxLoweringSupport.h"

namespace quantlib::deploy::onnx_lowering {
namespace {

using onnx::TensorProto;
using torch::Tensor;

// A node's value in the graph: real = scale * v along dim 1 (float32), and,
// for an 8-bit value in the qdq and qop forms, q = v + zero_point (uint8).
struct QuantizedValue {
  std::string real;  // made from q by DequantizeLinear on first use
  std::string q;
  int64_t zero_point = 0;
  Tensor scale;  // float64 holding float32 numbers (what the runtime multiplies by); 1 or C elements
  int64_t rank = 0;
  int64_t lo = 0;
  int64_t hi = 0;
};

// A Conv2d / Linear whose only consumer is a Requant or the Dequant gets the
// weight scale that makes its float output that consumer's term for it
// (output scale = target), and carries the consumer's bias.
struct Fold {
  bool folded = false;
  Tensor target;  // float64 [Cout]
  Tensor bias;    // float64 [Cout], real units of the consumer; undefined when another input carries it
};

// What a product needs in the graph, whichever op writes it.
struct ProductParts {
  Tensor weight_scale;  // float64 holding float32 numbers, [Cout]
  Tensor output_scale;  // float32 x_scale * weight_scale, as the runtime computes it, as float64 [Cout]
  Tensor int32_bias;    // the bias in output_scale units, when it fits int32
  Tensor float_bias;    // else the bias as float32 (undefined when there is none)
  bool int8_weight = false;
  // int8 weight, uint8 input and one consumer that requantizes it alone to 8 bits.
  bool fusable = false;
};

// An 8-bit grid: v = q + offset (q uint8, zero point -offset), real = step * v,
// v clamped to [lo, hi].
struct Grid {
  double step = 1;
  int64_t offset = 0;
  int64_t lo = 0;
  int64_t hi = 255;
  bool narrower() const { return lo > offset || hi < offset + 255; }
};

// The grid of a residual term (OnnxExport.h): the sum's own output step, v in
// [-128, 127] (uint8 with zero point 128, the type ONNX Runtime's QLinearConv
// writes from a uint8 input).
Grid residual_term_grid(double sum_step) { return {sum_step, -128, -128, 127}; }

Tensor float32_values(const Tensor& values) { return values.to(torch::kFloat).to(torch::kDouble); }

Tensor per_channel(const Tensor& values, int64_t channels) {
  const Tensor flat = values.to(torch::kDouble).flatten();
  return flat.numel() == 1 ? flat.expand({channels}).clone() : flat;
}

class QuantizedLowering {
 public:
  QuantizedLowering(const IntegerNetwork& network, const OnnxExportOptions& options, onnx::GraphProto& graph)
      : network_(network), options_(options), form_(options.form), graph_(graph), builder_(graph) {}

  std::vector<std::string> float_layers;

  void run() {
    shapes_ = node_shapes(network_, options_.input_shape);
    add_graph_value(*graph_.add_input(), "input", TensorProto::FLOAT, shapes_.front());
    plan_folds();
    for (size_t id = 0; id < network_.nodes.size(); ++id) lower(id);
    std::string logits = real(values_.size() - 1);
    if (logits != "logits") logits = builder_.node("Identity", {logits}, "logits");
    add_graph_value(*graph_.add_output(), logits, TensorProto::FLOAT, shapes_.back());
  }

 private:
  const IntegerNetwork& network_;
  const OnnxExportOptions& options_;
  const OnnxForm form_;
  onnx::GraphProto& graph_;
  OnnxGraphBuilder builder_;
  std::vector<std::vector<int64_t>> shapes_;
  std::vector<Fold> folds_;
  std::vector<QuantizedValue> values_;

  bool quantized_form() const { return form_ != OnnxForm::float32; }

  [[noreturn]] void refuse(const IntegerNode& node, const std::string& why) const {
    unsupported(node, why + " (--onnx-form " + onnx_form_name(form_) + "; the integer form expresses it)");
  }

  // A Requant whose output is written by QuantizeLinear (8-bit, qdq/qop).
  bool quantizes(const IntegerNode& node) const {
    return quantized_form() && uint8_offset(node.lo, node.hi).has_value();
  }

  static double two_to(int64_t shift) { return std::ldexp(1.0, static_cast<int>(shift)); }

  // The Requant's offset as QuantizeLinear's nearest rounding needs it: floor(t / 2^s)
  // = nearest((t - 2^(s-1) + 1/2) / 2^s) for every integer t (no ties remain).
  Tensor requant_offset(const IntegerNode& node) const {
    Tensor offset = node.offset.to(torch::kDouble);
    if (node.rounding == Rounding::Floor && node.shift > 0 && quantizes(node))
      offset = offset - two_to(node.shift - 1) + 0.5;
    return offset;
  }

  double output_step(const IntegerNode& node) const {
    if (!node.scale.defined() || node.scale.numel() != 1 || !(node.scale.item<double>() > 0))
      refuse(node, "expected one positive output scale");
    return static_cast<double>(static_cast<float>(node.scale.item<double>()));
  }

  void plan_folds() {
    const auto& nodes = network_.nodes;
    std::vector<int> consumers(nodes.size(), 0);
    for (const auto& node : nodes)
      for (const int input : node.inputs) {
        TORCH_CHECK(input >= 0 && static_cast<size_t>(input) < nodes.size(), "ONNX export: node '", node.name,
                    "' reads node ", input);
        ++consumers[static_cast<size_t>(input)];
      }
    folds_.assign(nodes.size(), Fold{});
    for (const auto& node : nodes) {
      const bool requant = node.op == OpKind::Requant && !node.thresholds.defined();
      if (!requant && node.op != OpKind::Dequant) continue;
      bool bias_placed = false;
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        const size_t source = static_cast<size_t>(node.inputs[k]);
        const IntegerNode& product = nodes[source];
        if ((product.op != OpKind::Conv2d && product.op != OpKind::Linear) || consumers[source] != 1 ||
            !product.weight.defined())
          continue;
        const int64_t channels = product.weight.size(0);
        Tensor target;
        Tensor bias;
        if (requant) {
          if (k >= node.multipliers.size()) continue;
          const double step = output_step(node);
          target = per_channel(node.multipliers[k], channels) * (step / two_to(node.shift));
          bias = per_channel(requant_offset(node), channels) * (step / two_to(node.shift));
        } else {
          if (k >= node.dequant_scales.size()) continue;
          target = per_channel(node.dequant_scales[k], channels);
          bias = per_channel(node.dequant_offset, channels);
        }
        if (target.numel() != channels || bias.numel() != channels || !(target.min().item<double>() > 0)) continue;
        folds_[source] = {true, target, bias_placed ? Tensor() : bias};
        bias_placed = true;
      }
    }
  }

  const QuantizedValue& input_value(const IntegerNode& node, size_t k) const {
    TORCH_CHECK(k < node.inputs.size() && static_cast<size_t>(node.inputs[k]) < values_.size(), "ONNX export: node '",
                node.name, "' lacks input ", k);
    return values_[static_cast<size_t>(node.inputs[k])];
  }
  size_t input_id(const IntegerNode& node, size_t k) const { return static_cast<size_t>(node.inputs.at(k)); }

  std::string float_constant(const Tensor& values, const std::string& base) {
    return builder_.constant(values.to(torch::kFloat), base);
  }
  std::string uint8_constant(int64_t value, const std::string& base) {
    return builder_.constant(torch::tensor(static_cast<uint8_t>(value), torch::kByte), base);
  }

  // The value's float32 tensor (DequantizeLinear of q the first time).
  std::string real(size_t id) {
    QuantizedValue& value = values_[id];
    if (value.real.empty()) {
      const std::string base = value.q + ".dequantized";
      value.real = builder_.node("DequantizeLinear",
                                 {value.q, float_constant(value.scale.reshape({}), base + ".scale"),
                                  uint8_constant(value.zero_point, base + ".zero_point")},
                                 base);
    }
    return value.real;
  }

  // q when the value has one (ops that commute with the uint8 mapping run on it), else real.
  std::string stored(size_t id) { return values_[id].q.empty() ? real(id) : values_[id].q; }

  // `value` now held by `name` in the same representation (q or real) and grid.
  static QuantizedValue replaced(QuantizedValue value, const std::string& name) {
    if (value.q.empty()) {
      value.real = name;
    } else {
      value.q = name;
      value.real.clear();
    }
    return value;
  }

  void lower(size_t id) {
    const IntegerNode& node = network_.nodes[id];
    const std::string base = std::to_string(id) + "." + node.name;
    const int64_t rank = static_cast<int64_t>(shapes_[id].size());
    QuantizedValue value;
    switch (node.op) {
      case OpKind::Input: value = lower_input(node, base); break;
      case OpKind::Conv2d:
      case OpKind::Linear: value = lower_product(id, base); break;
      case OpKind::Requant: value = lower_requant(node, base, rank); break;
      case OpKind::MaxPool2d: value = lower_max_pool(node, base); break;
      case OpKind::SumPool2d: value = lower_sum_pool(node, base); break;
      case OpKind::Relu: value = lower_relu(node, base); break;
      case OpKind::Flatten: value = lower_flatten(node, base, id); break;
      case OpKind::Dequant: value = lower_dequant(node, rank); break;
    }
    value.rank = rank;
    values_.push_back(std::move(value));
  }

  // clamp(R(real / step), lo, hi): QuantizeLinear (+ a uint8 Clip when [lo, hi]
  // is narrower than the uint8 range) for 8-bit values, else float arithmetic;
  // the float form only clips to the real range.
  QuantizedValue quantize(const std::string& x, double step, const IntegerNode& node, Rounding rounding,
                          const std::string& base) {
    QuantizedValue value;
    value.scale = torch::tensor({step}, torch::kDouble);
    value.lo = node.lo;
    value.hi = node.hi;
    if (!quantized_form()) {
      value.real = builder_.node("Clip",
                                 {x, float_constant(torch::tensor(static_cast<double>(node.lo) * step), base + ".lo"),
                                  float_constant(torch::tensor(static_cast<double>(node.hi) * step), base + ".hi")},
                                 base);
      return value;
    }
    if (const auto offset = uint8_offset(node.lo, node.hi)) return quantize_to(x, {step, *offset, node.lo, node.hi}, base);
    const std::string scaled = builder_.node("Div", {x, float_constant(torch::tensor(step), base + ".step")},
                                             base + ".scaled");
    const std::string rounded =
        builder_.node(rounding == Rounding::Floor ? "Floor" : "Round", {scaled}, base + ".rounded");
    const std::string clipped = builder_.node(
        "Clip",
        {rounded, float_constant(torch::tensor(static_cast<double>(node.lo)), base + ".lo"),
         float_constant(torch::tensor(static_cast<double>(node.hi)), base + ".hi")},
        base + ".clipped");
    value.real = builder_.node("Mul", {clipped, float_constant(torch::tensor(step), base + ".step")}, base);
    return value;
  }

  // QuantizeLinear onto `grid` (+ a uint8 Clip when its [lo, hi] is narrower than uint8).
  QuantizedValue quantize_to(const std::string& x, const Grid& grid, const std::string& base) {
    QuantizedValue value = on_grid(grid);
    value.q = builder_.node("QuantizeLinear",
                            {x, float_constant(torch::tensor(grid.step), base + ".scale"),
                             uint8_constant(value.zero_point, base + ".zero_point")},
                            base + (grid.narrower() ? ".saturated" : ""));
    return clipped(value, grid, base);
  }

  static QuantizedValue on_grid(const Grid& grid) {
    QuantizedValue value;
    value.scale = torch::tensor({grid.step}, torch::kDouble);
    value.zero_point = -grid.offset;
    value.lo = grid.lo;
    value.hi = grid.hi;
    return value;
  }

  // `value` (its q just written, named base + ".saturated" when the grid is narrower) clipped to the grid.
  QuantizedValue clipped(QuantizedValue value, const Grid& grid, const std::string& base) {
    if (grid.narrower())
      value.q = builder_.node("Clip",
                              {value.q, uint8_constant(grid.lo - grid.offset, base + ".lo"),
                               uint8_constant(grid.hi - grid.offset, base + ".hi")},
                              base);
    return value;
  }

  Grid requant_grid(const IntegerNode& requant) const {
    return {output_step(requant), *uint8_offset(requant.lo, requant.hi), requant.lo, requant.hi};
  }

  QuantizedValue lower_input(const IntegerNode& node, const std::string& base) {
    if (!(node.input_step > 0)) refuse(node, "input_step must be positive");
    const double step = static_cast<double>(static_cast<float>(node.input_step));
    if (!quantized_form()) {
      // The fp32 reference takes its input as it is.
      QuantizedValue value;
      value.real = "input";
      value.scale = torch::tensor({step}, torch::kDouble);
      value.lo = node.lo;
      value.hi = node.hi;
      return value;
    }
    return quantize("input", step, node, Rounding::Nearest, base);
  }

  ProductParts product_parts(size_t id) const {
    const IntegerNode& node = network_.nodes[id];
    const QuantizedValue& x = input_value(node, 0);
    if (x.scale.numel() != 1) refuse(node, "expected a per-tensor-scaled input");
    const int64_t channels = node.weight.size(0);
    const Fold& fold = folds_[id];
    ProductParts parts;
    Tensor weight_scale = fold.folded ? fold.target / x.scale.item<double>()
                                      : (node.weight_scale.defined() ? per_channel(node.weight_scale, channels)
                                                                     : torch::ones({channels}, torch::kDouble));
    if (!(weight_scale.min().item<double>() > 0)) weight_scale = torch::ones({channels}, torch::kDouble);
    parts.weight_scale = float32_values(weight_scale);
    parts.output_scale = (parts.weight_scale.to(torch::kFloat) * x.scale.to(torch::kFloat)).to(torch::kDouble);
    parts.int8_weight = quantized_form() && fits_int8(node.weight);
    parts.fusable = parts.int8_weight && !x.q.empty() && (requantizes_alone(id) || residual_term(id));
    if (fold.bias.defined()) {
      // int32 only where the runtime fuses the product; a float bias elsewhere keeps every digit.
      const Tensor units = torch::round(fold.bias / parts.output_scale);
      if (parts.fusable && units.abs().max().item<double>() < 2147483647.0) parts.int32_bias = units.to(torch::kInt);
      else parts.float_bias = fold.bias.to(torch::kFloat);
    }
    return parts;
  }

  // The weight: int8 with per-channel DequantizeLinear, or float32 (float
  // form, or weights wider than 8 bits).
  std::string weight_input(const IntegerNode& node, const ProductParts& parts, const std::string& base) {
    if (!parts.int8_weight) {
      std::vector<int64_t> shape(static_cast<size_t>(node.weight.dim()), 1);
      shape[0] = -1;  // output channels
      return float_constant(node.weight.to(torch::kDouble) * parts.weight_scale.reshape(shape), base + ".weight");
    }
    const int64_t channels = node.weight.size(0);
    return builder_.node("DequantizeLinear",
                         {builder_.constant(node.weight.to(torch::kChar), base + ".weight"),
                          float_constant(parts.weight_scale, base + ".weight_scale"),
                          builder_.constant(torch::zeros({channels}, torch::kChar), base + ".weight_zero_point")},
                         base + ".weight_dequantized", {OnnxGraphBuilder::int_attribute("axis", 0)});
  }

  std::vector<onnx::AttributeProto> conv_attributes(const IntegerNode& node) const {
    auto attributes = window_attributes(node, {node.weight.size(2), node.weight.size(3)}, node.padding, node.padding);
    attributes.push_back(OnnxGraphBuilder::int_attribute("group", node.groups));
    return attributes;
  }

  void check_product(const IntegerNode& node) const {
    const int64_t dims = node.op == OpKind::Conv2d ? 4 : 2;
    if (!node.weight.defined() || node.weight.dim() != dims)
      refuse(node, "expected a " + std::to_string(dims) + "-d integer weight");
    if (input_value(node, 0).rank != dims) refuse(node, "expected a " + std::to_string(dims) + "-d input");
  }

  // Conv / Gemm on dequantized operands: a float32 output of scale output_scale.
  QuantizedValue lower_product(size_t id, const std::string& base) {
    const IntegerNode& node = network_.nodes[id];
    check_product(node);
    if (qop_fused_consumer(id)) return {};  // the Requant writes QLinearConv
    const ProductParts parts = product_parts(id);
    const bool quantized_term = fused_in_runtime(parts) && residual_term(id);
    if (quantized_term && form_ == OnnxForm::qop) return lower_qlinear(id, term_grid(id), base);
    std::vector<std::string> inputs{real(input_id(node, 0)), weight_input(node, parts, base)};
    if (parts.int32_bias.defined())
      inputs.push_back(builder_.node("DequantizeLinear",
                                     {builder_.constant(parts.int32_bias, base + ".bias"),
                                      float_constant(parts.output_scale, base + ".bias_scale")},
                                     base + ".bias_dequantized", {OnnxGraphBuilder::int_attribute("axis", 0)}));
    else if (parts.float_bias.defined())
      inputs.push_back(float_constant(parts.float_bias, base + ".bias"));
    if (quantized_form() && !fused_in_runtime(parts)) float_layers.push_back(node.name);
    QuantizedValue value;
    value.scale = parts.output_scale;
    value.real = node.op == OpKind::Conv2d
                     ? builder_.node("Conv", inputs, base + (quantized_term ? ".product" : ""), conv_attributes(node))
                     : builder_.node("Gemm", inputs, base + (quantized_term ? ".product" : ""),
                                     {OnnxGraphBuilder::int_attribute("transB", 1)});
    return quantized_term ? quantize_to(value.real, term_grid(id), base) : value;
  }

  // The only consumer, when the product is folded into it.
  const IntegerNode* folded_consumer(size_t id) const {
    if (!folds_[id].folded) return nullptr;
    for (size_t c = id + 1; c < network_.nodes.size(); ++c)
      for (const int input : network_.nodes[c].inputs)
        if (static_cast<size_t>(input) == id) return &network_.nodes[c];
    return nullptr;
  }

  // DequantizeLinear -> Conv/Gemm -> QuantizeLinear with int8 weights, an int32
  // bias and one consumer requantizing it alone: what ONNX Runtime fuses into
  // QLinearConv / QGemm (qdq) and what the qop form writes as QLinearConv.
  static bool fused_in_runtime(const ProductParts& parts) { return parts.fusable && !parts.float_bias.defined(); }

  bool requantizes_alone(size_t id) const {
    const IntegerNode* consumer = folded_consumer(id);
    return consumer && consumer->op == OpKind::Requant && consumer->inputs.size() == 1 && quantizes(*consumer);
  }

  // A product folded into an 8-bit residual sum: written onto its own 8-bit
  // grid (term_grid) so that ONNX Runtime runs it on int8 kernels and adds
  // the terms with QLinearAdd.
  bool residual_term(size_t id) const {
    const IntegerNode* consumer = folded_consumer(id);
    return consumer && consumer->op == OpKind::Requant && consumer->inputs.size() > 1 && quantizes(*consumer);
  }

  Grid term_grid(size_t id) const { return residual_term_grid(output_step(*folded_consumer(id))); }

  bool qop_fused_consumer(size_t id) const {
    return form_ == OnnxForm::qop && requantizes_alone(id) && fused_in_runtime(product_parts(id));
  }

  // qop: QLinearConv from the product's uint8 input onto `grid` (the Requant's
  // output or a residual term's grid; a Linear as a 1x1 convolution of [N, F, 1, 1]).
  QuantizedValue lower_qlinear(size_t product_id, const Grid& grid, const std::string& base) {
    const IntegerNode& node = network_.nodes[product_id];
    const ProductParts parts = product_parts(product_id);
    const QuantizedValue& x = input_value(node, 0);
    const std::string product_base = std::to_string(product_id) + "." + node.name;
    const bool linear = node.op == OpKind::Linear;
    std::string x_q = x.q;
    Tensor weight = node.weight.to(torch::kChar);
    std::vector<onnx::AttributeProto> attributes;
    if (linear) {
      x_q = builder_.node("Unsqueeze", {x_q, builder_.int64_list({2, 3}, product_base + ".spatial_axes")},
                          product_base + ".as_image");
      weight = weight.reshape({weight.size(0), weight.size(1), 1, 1});
    } else {
      attributes = conv_attributes(node);
    }
    std::vector<std::string> inputs{
        x_q,
        float_constant(x.scale.reshape({}), product_base + ".x_scale"),
        uint8_constant(x.zero_point, product_base + ".x_zero_point"),
        builder_.constant(weight, product_base + ".weight"),
        float_constant(parts.weight_scale, product_base + ".weight_scale"),
        builder_.constant(torch::zeros({weight.size(0)}, torch::kChar), product_base + ".weight_zero_point"),
        float_constant(torch::tensor(grid.step), base + ".scale"),
        uint8_constant(-grid.offset, base + ".zero_point")};
    if (parts.int32_bias.defined()) inputs.push_back(builder_.constant(parts.int32_bias, product_base + ".bias"));
    const bool narrower = grid.narrower();
    QuantizedValue value = on_grid(grid);
    value.q = builder_.node("QLinearConv", inputs, base + (linear || narrower ? ".qlinear" : ""), attributes);
    if (linear)
      value.q = builder_.node("Flatten", {value.q}, base + (narrower ? ".saturated" : ""),
                              {OnnxGraphBuilder::int_attribute("axis", 1)});
    return clipped(value, grid, base);
  }

  // sum_k term_k (+ bias when no product carries it): the input of a Requant's
  // rounding, or the logits.
  std::string weighted_sum(const IntegerNode& node, const std::vector<Tensor>& factors, const Tensor& bias,
                           int64_t rank, const std::string& base) {
    std::string sum;
    bool bias_carried = false;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const size_t source = input_id(node, k);
      std::string term = real(source);
      if (folds_[source].folded) {
        bias_carried = true;
      } else if (!values_[source].q.empty() && factors[k].numel() == 1) {
        // DequantizeLinear straight onto the term's scale: DQ -> Add -> Q is what ONNX Runtime fuses into QLinearAdd.
        term = builder_.node("DequantizeLinear",
                             {values_[source].q, float_constant(factors[k].reshape({}), base + ".term_scale"),
                              uint8_constant(values_[source].zero_point, base + ".term_zero_point")},
                             base + ".term");
      } else {
        const Tensor factor = factors[k] / values_[source].scale;
        term = builder_.node("Mul", {term, float_constant(along_channels(factor, rank), base + ".factor")},
                             base + ".term");
      }
      sum = sum.empty() ? term : builder_.node("Add", {sum, term}, base + ".sum");
    }
    if (!bias_carried && bias.abs().max().item<double>() > 0)
      sum = builder_.node("Add", {sum, float_constant(along_channels(bias, rank), base + ".bias")}, base + ".biased");
    return sum;
  }

  QuantizedValue lower_requant(const IntegerNode& node, const std::string& base, int64_t rank) {
    if (node.thresholds.defined())
      refuse(node, "threshold requantization (binary/ternary activations) has no QuantizeLinear form");
    if (node.inputs.empty() || node.multipliers.size() != node.inputs.size())
      refuse(node, "expected one multiplier per input");
    if (node.shift < 0 || node.shift > 62) refuse(node, "shift must lie in [0, 62]");
    if (node.inputs.size() == 1 && qop_fused_consumer(input_id(node, 0)))
      return lower_qlinear(input_id(node, 0), requant_grid(node), base);
    const double step = output_step(node);
    const double unit = step / two_to(node.shift);
    std::vector<Tensor> factors;
    for (const auto& multiplier : node.multipliers) factors.push_back(multiplier.to(torch::kDouble).flatten() * unit);
    const std::string sum =
        weighted_sum(node, factors, requant_offset(node).flatten() * unit, rank, base + ".pre");
    return quantize(sum, step, node, node.rounding, base);
  }

  QuantizedValue lower_max_pool(const IntegerNode& node, const std::string& base) {
    const auto& in_shape = shapes_[input_id(node, 0)];
    if (in_shape.size() != 4) refuse(node, "expected a 4-d input");
    const auto extra = ceil_mode_extra(node, in_shape, node.kernel);
    QuantizedValue value = input_value(node, 0);
    // uint8 max pooling: q is monotone in v, and padding (0 in uint8, -inf in float) never wins.
    const std::string pooled = builder_.node(
        "MaxPool", {stored(input_id(node, 0))}, base,
        window_attributes(node, node.kernel, node.padding, {node.padding[0] + extra[0], node.padding[1] + extra[1]}));
    return replaced(value, pooled);
  }

  // AveragePool with count_include_pad: sum / (kh * kw), the SumPool2d's scale.
  QuantizedValue lower_sum_pool(const IntegerNode& node, const std::string& base) {
    const auto& in_shape = shapes_[input_id(node, 0)];
    if (in_shape.size() != 4) refuse(node, "expected a 4-d input");
    if (node.dilation[0] != 1 || node.dilation[1] != 1) refuse(node, "AveragePool (opset 13) has no dilation");
    const auto extra = ceil_mode_extra(node, in_shape, node.kernel);
    auto attributes =
        window_attributes(node, node.kernel, node.padding, {node.padding[0] + extra[0], node.padding[1] + extra[1]});
    attributes.pop_back();  // dilations
    attributes.push_back(OnnxGraphBuilder::int_attribute("count_include_pad", 1));
    QuantizedValue value;
    value.scale = values_[input_id(node, 0)].scale / static_cast<double>(node.kernel[0] * node.kernel[1]);
    value.real = builder_.node("AveragePool", {real(input_id(node, 0))}, base, attributes);
    return value;
  }

  QuantizedValue lower_relu(const IntegerNode& node, const std::string& base) {
    QuantizedValue value = input_value(node, 0);
    if (!value.q.empty()) {
      if (value.lo >= 0) return value;  // already non-negative
      value.q = builder_.node("Max", {value.q, uint8_constant(value.zero_point, base + ".zero")}, base);
      value.real.clear();
    } else {
      value.real = builder_.node("Relu", {real(input_id(node, 0))}, base);
    }
    value.lo = std::max<int64_t>(value.lo, 0);
    return value;
  }

  QuantizedValue lower_flatten(const IntegerNode& node, const std::string& base, size_t id) {
    QuantizedValue value = input_value(node, 0);
    const int64_t rank = value.rank;
    const int64_t start = node.start_dim < 0 ? node.start_dim + rank : node.start_dim;
    const int64_t end = node.end_dim < 0 ? node.end_dim + rank : node.end_dim;
    if (start < 1 || start > end || end >= rank) refuse(node, "flatten must keep the batch dimension");
    if (value.scale.numel() != 1) refuse(node, "expected a per-tensor-scaled input");
    const std::string x = stored(input_id(node, 0));
    std::string flat;
    if (start == 1 && end == rank - 1) {
      flat = builder_.node("Flatten", {x}, base, {OnnxGraphBuilder::int_attribute("axis", 1)});
    } else {
      std::vector<int64_t> shape = shapes_[id];
      shape[0] = 0;  // Reshape copies the batch size from the input
      flat = builder_.node("Reshape", {x, builder_.int64_list(shape, base + ".shape")}, base);
    }
    return replaced(value, flat);
  }

  QuantizedValue lower_dequant(const IntegerNode& node, int64_t rank) {
    if (node.inputs.empty() || node.dequant_scales.size() != node.inputs.size())
      refuse(node, "expected one dequant scale per input");
    std::vector<Tensor> factors;
    for (const auto& scale : node.dequant_scales) factors.push_back(scale.to(torch::kDouble).flatten());
    QuantizedValue value;
    value.real = weighted_sum(node, factors, node.dequant_offset.to(torch::kDouble).flatten(), rank, "logits");
    if (node.dequant_relu) value.real = builder_.node("Relu", {value.real}, "logits.relu");
    value.scale = torch::ones({1}, torch::kDouble);
    return value;
  }
};

}  // namespace

std::vector<std::string> lower_quantized(const IntegerNetwork& network, const OnnxExportOptions& options,
                                         onnx::GraphProto& graph) {
  TORCH_CHECK(options.form != OnnxForm::integer, "ONNX export: the integer form has its own lowering");
  QuantizedLowering lowering(network, options, graph);
  lowering.run();
  return lowering.float_layers;
}

}  // namespace quantlib::deploy::onnx_lowering
