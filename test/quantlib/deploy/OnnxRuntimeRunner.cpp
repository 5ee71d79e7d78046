#include "quantlib/deploy/OnnxRuntimeRunner.h"

#include <cstdio>
#include <stdexcept>
#include <string>

#include <yaml-cpp/yaml.h>

#include "quantlib/deploy/FastIntegerNetwork.h"
#include "support/Process.h"

namespace quantlab::test {

namespace {

std::string input_json(const torch::Tensor& input) {
  const torch::Tensor values = input.to(torch::kFloat).contiguous();
  std::string text = R"({"input": {"type": "float32", "dims": [)";
  for (int64_t d = 0; d < values.dim(); ++d) text += (d ? "," : "") + std::to_string(values.size(d));
  text += R"(], "data": [)";
  const float* data = values.data_ptr<float>();
  char number[32];
  for (int64_t i = 0; i < values.numel(); ++i) {
    // 9 significant digits read back as the same float32.
    std::snprintf(number, sizeof number, "%s%.9g", i ? "," : "", static_cast<double>(data[i]));
    text += number;
  }
  return text + "]}}";
}

}  // namespace

torch::Tensor run_in_onnxruntime(const std::filesystem::path& model, const torch::Tensor& input,
                                 const std::filesystem::path& work_dir) {
  const auto inputs_file = work_dir / "onnxruntime-inputs.json";
  const auto outputs_file = work_dir / "onnxruntime-outputs.json";
  write_bytes(inputs_file, input_json(input));
  std::filesystem::remove(outputs_file);
  const auto result = run_process({python_path(), client_script("onnx_run.py"), model.string(), inputs_file.string(),
                                   outputs_file.string()});
  if (result.status != 0)
    throw std::runtime_error("onnx_run.py failed (" + std::to_string(result.status) + "): " + result.output);
  // JSON is YAML's flow style, so yaml-cpp reads the runner's output.
  const YAML::Node outputs = YAML::LoadFile(outputs_file.string());
  if (!outputs.IsMap() || outputs.size() == 0) throw std::runtime_error(outputs_file.string() + ": no outputs");
  const YAML::Node output = outputs.begin()->second;
  std::vector<int64_t> dims;
  for (const auto& dim : output["dims"]) dims.push_back(dim.as<int64_t>());
  std::vector<double> data;
  data.reserve(output["data"].size());
  for (const auto& value : output["data"]) data.push_back(value.as<double>());
  return torch::tensor(data, torch::kDouble).reshape(dims).to(torch::kFloat);
}

bool int8_products_exact_here() { return !quantlib::deploy::FastIntegerNetwork::kernels_unavailable(); }

}  // namespace quantlab::test
