#include "quantlib/deploy/OnnxLoweringSupport.h"

#include <algorithm>

#include <c10/util/Exception.h>
#include <torch/torch.h>

#include "quantlab/Errors.h"
#include "quantlib/deploy/OnnxGraphBuilder.h"

namespace quantlib::deploy::onnx_lowering {

std::string layer_text(const IntegerNode& node) {
  return "layer '" + node.name + "' (" + op_name(node.op) + (node.origin.empty() ? "" : ", " + node.origin) + ")";
}

void unsupported(const IntegerNode& node, const std::string& why) {
  throw quantlab::ConfigError("ONNX export: " + layer_text(node) + ": " + why);
}

std::array<int64_t, 2> ceil_mode_extra(const IntegerNode& node, const std::vector<int64_t>& input_shape,
                                       std::array<int64_t, 2> kernel) {
  std::array<int64_t, 2> extra{0, 0};
  if (!node.ceil_mode) return extra;
  for (int d = 0; d < 2; ++d) {
    const int64_t size = input_shape[2 + d] + 2 * node.padding[d];
    const int64_t k = node.dilation[d] * (kernel[d] - 1) + 1;
    int64_t out = (size - k + node.stride[d] - 1) / node.stride[d] + 1;
    if ((out - 1) * node.stride[d] >= input_shape[2 + d] + node.padding[d]) --out;
    extra[d] = std::max<int64_t>(0, (out - 1) * node.stride[d] + k - size);
  }
  return extra;
}

std::vector<onnx::AttributeProto> window_attributes(const IntegerNode& node, std::array<int64_t, 2> kernel,
                                                    std::array<int64_t, 2> pad_begin,
                                                    std::array<int64_t, 2> pad_end) {
  return {OnnxGraphBuilder::ints_attribute("kernel_shape", {kernel[0], kernel[1]}),
          OnnxGraphBuilder::ints_attribute("strides", {node.stride[0], node.stride[1]}),
          OnnxGraphBuilder::ints_attribute("pads", {pad_begin[0], pad_begin[1], pad_end[0], pad_end[1]}),
          OnnxGraphBuilder::ints_attribute("dilations", {node.dilation[0], node.dilation[1]})};
}

std::optional<int64_t> uint8_offset(int64_t lo, int64_t hi) {
  const int64_t offset = std::min<int64_t>(lo, 0);
  if (offset < -255 || hi - offset > 255) return std::nullopt;
  return offset;
}

bool fits_int8(const torch::Tensor& weight) {
  if (!weight.numel()) return true;
  return weight.min().item<int64_t>() >= -128 && weight.max().item<int64_t>() <= 127;
}

void add_graph_value(onnx::ValueInfoProto& info, const std::string& name, onnx::TensorProto::DataType type,
                     const std::vector<int64_t>& shape) {
  info.set_name(name);
  auto* tensor_type = info.mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(type);
  for (size_t d = 0; d < shape.size(); ++d) {
    auto* dim = tensor_type->mutable_shape()->add_dim();
    if (d == 0) dim->set_dim_param("N");
    else dim->set_dim_value(shape[d]);
  }
}

std::vector<std::vector<int64_t>> node_shapes(const IntegerNetwork& network, const std::vector<int64_t>& input_shape) {
  TORCH_CHECK(!network.nodes.empty() && network.nodes.front().op == OpKind::Input,
              "ONNX export: node 0 must be the Input");
  TORCH_CHECK(network.nodes.back().op == OpKind::Dequant, "ONNX export: the last node must be a Dequant");
  std::vector<int64_t> sample_shape{1};
  sample_shape.insert(sample_shape.end(), input_shape.begin(), input_shape.end());
  std::vector<std::vector<int64_t>> shapes;
  for (const auto& value : network.run(torch::zeros(sample_shape))) shapes.push_back(value.sizes().vec());
  return shapes;
}

}  // namespace quantlib::deploy::onnx_lowering
