#pragma once
// Appends nodes and constants to an ONNX graph under unique value names.
// Internal to the ONNX exporter: it includes ONNX's generated schema, so only
// quantlib/deploy/Onnx*.cpp (compiled with ONNX_ML and ONNX_NAMESPACE, see
// core/CMakeLists.txt) may include it.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>
#include <torch/types.h>

namespace quantlib::deploy {

class OnnxGraphBuilder {
 public:
  explicit OnnxGraphBuilder(onnx::GraphProto& graph) : graph_(graph) {}

  // `base`, or `base` with a numeric suffix when taken.
  std::string unique_name(const std::string& base);

  // A node with one output named after `output_base`; returns its output name.
  std::string node(const std::string& op_type, const std::vector<std::string>& inputs, const std::string& output_base,
                   const std::vector<onnx::AttributeProto>& attributes = {});

  // An initializer holding the tensor's values, dims and element type
  // (float32/64, int8, uint8, int32, int64, bool).
  std::string constant(const torch::Tensor& tensor, const std::string& name_base);
  std::string int64_constant(int64_t value, const std::string& name_base);
  std::string int32_constant(int32_t value, const std::string& name_base);
  std::string double_constant(double value, const std::string& name_base);
  std::string int64_list(const std::vector<int64_t>& values, const std::string& name_base);

  std::string cast(const std::string& input, onnx::TensorProto::DataType to, const std::string& output_base);

  static onnx::AttributeProto int_attribute(const std::string& name, int64_t value);
  static onnx::AttributeProto ints_attribute(const std::string& name, const std::vector<int64_t>& values);

  static onnx::TensorProto::DataType element_type(torch::ScalarType type);

 private:
  onnx::GraphProto& graph_;
  std::set<std::string> names_;
};

}  // namespace quantlib::deploy
