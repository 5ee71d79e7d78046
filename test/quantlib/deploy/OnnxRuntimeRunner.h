#pragma once
// Runs an ONNX model in a real ONNX runtime (onnxruntime-node, installed into
// tools/onnxruntime by scripts/install-onnxruntime) for the export tests.
#include <filesystem>

#include <torch/types.h>

namespace quantlab::test {

// Installs the runtime if needed (once per process), feeds `input` (float32)
// to the model's one input and returns its first output as float32. Throws
// std::runtime_error with the runtime's output when it fails.
torch::Tensor run_in_onnxruntime(const std::filesystem::path& model, const torch::Tensor& input,
                                 const std::filesystem::path& work_dir);

}  // namespace quantlab::test
