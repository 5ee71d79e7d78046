#pragma once
// What a checkpoint of Fashion-MNIST's default SimpleCNN holds, for tests
// that compare runs tensor for tensor.
#include <filesystem>
#include <vector>

#include <torch/types.h>

namespace quantlab::test {

// Parameters and buffers of a SimpleCNN checkpoint, loaded into a fresh network.
std::vector<torch::Tensor> simple_cnn_tensors(const std::filesystem::path& checkpoint);

// Same count, and each pair equal to the bit.
bool identical(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b);

}  // namespace quantlab::test
