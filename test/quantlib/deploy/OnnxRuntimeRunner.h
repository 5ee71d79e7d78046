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

// Whether uint8 x int8 products accumulate exactly on this CPU, judged by the
// fast integer path's probe of oneDNN (FastIntegerNetwork::kernels_unavailable).
// x86 CPUs without VNNI form them in saturating 16-bit pair sums, in ONNX
// Runtime's int8 kernels as in oneDNN's; there the QDQ forms' distance from
// the integer network is not what the tests bound, and they say so (WARN)
// instead of checking it.
bool int8_products_exact_here();

}  // namespace quantlab::test
