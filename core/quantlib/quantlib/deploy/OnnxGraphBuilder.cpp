#include "quantlib/deploy/OnnxGraphBuilder.h"

#include <c10/util/Exception.h>

namespace quantlib::deploy {

std::string OnnxGraphBuilder::unique_name(const std::string& base) {
  std::string name = base;
  for (int suffix = 1; names_.count(name); ++suffix) name = base + "_" + std::to_string(suffix);
  names_.insert(name);
  return name;
}

std::string OnnxGraphBuilder::node(const std::string& op_type, const std::vector<std::string>& inputs,
                                   const std::string& output_base,
                                   const std::vector<onnx::AttributeProto>& attributes) {
  const std::string output = unique_name(output_base);
  onnx::NodeProto* node = graph_.add_node();
  node->set_op_type(op_type);
  node->set_name(output);
  for (const auto& input : inputs) node->add_input(input);
  node->add_output(output);
  for (const auto& attribute : attributes) *node->add_attribute() = attribute;
  return output;
}

onnx::TensorProto::DataType OnnxGraphBuilder::element_type(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat: return onnx::TensorProto::FLOAT;
    case torch::kDouble: return onnx::TensorProto::DOUBLE;
    case torch::kChar: return onnx::TensorProto::INT8;
    case torch::kByte: return onnx::TensorProto::UINT8;
    case torch::kInt: return onnx::TensorProto::INT32;
    case torch::kLong: return onnx::TensorProto::INT64;
    case torch::kBool: return onnx::TensorProto::BOOL;
    default: TORCH_CHECK(false, "ONNX export: no ONNX element type for ", type);
  }
}

std::string OnnxGraphBuilder::constant(const torch::Tensor& tensor, const std::string& name_base) {
  const torch::Tensor values = tensor.detach().to(torch::kCPU).contiguous();
  const std::string name = unique_name(name_base);
  onnx::TensorProto* initializer = graph_.add_initializer();
  initializer->set_name(name);
  initializer->set_data_type(element_type(values.scalar_type()));
  for (const int64_t size : values.sizes()) initializer->add_dims(size);
  // raw_data is little-endian, as this host is.
  initializer->set_raw_data(std::string(static_cast<const char*>(values.data_ptr()), values.nbytes()));
  return name;
}

std::string OnnxGraphBuilder::int64_constant(int64_t value, const std::string& name_base) {
  return constant(torch::tensor(value, torch::kLong), name_base);
}

std::string OnnxGraphBuilder::int32_constant(int32_t value, const std::string& name_base) {
  return constant(torch::tensor(value, torch::kInt), name_base);
}

std::string OnnxGraphBuilder::double_constant(double value, const std::string& name_base) {
  return constant(torch::tensor(value, torch::kDouble), name_base);
}

std::string OnnxGraphBuilder::int64_list(const std::vector<int64_t>& values, const std::string& name_base) {
  return constant(torch::tensor(values, torch::kLong), name_base);
}

std::string OnnxGraphBuilder::cast(const std::string& input, onnx::TensorProto::DataType to,
                                   const std::string& output_base) {
  return node("Cast", {input}, output_base, {int_attribute("to", to)});
}

onnx::AttributeProto OnnxGraphBuilder::int_attribute(const std::string& name, int64_t value) {
  onnx::AttributeProto attribute;
  attribute.set_name(name);
  attribute.set_type(onnx::AttributeProto::INT);
  attribute.set_i(value);
  return attribute;
}

onnx::AttributeProto OnnxGraphBuilder::ints_attribute(const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto attribute;
  attribute.set_name(name);
  attribute.set_type(onnx::AttributeProto::INTS);
  for (const int64_t value : values) attribute.add_ints(value);
  return attribute;
}

}  // namespace quantlib::deploy
