#pragma once
// Runs an ONNX model in the real ONNX Runtime (Python, from QuantLab's
// environment) after onnx's own checker, for the export tests.
#include <filesystem>

#include <torch/types.h>

namespace quantlab::test {

// Checks the model with onnx's checker (full check), feeds `input` (float32)
// to its one input and returns its first output as float32. Throws
// std::runtime_error with the client's output when either fails.
torch::Tensor run_in_onnxruntime(const std::filesystem::path& model, const torch::Tensor& input,
                                 const std::filesystem::path& work_dir);

}  // namespace quantlab::test
