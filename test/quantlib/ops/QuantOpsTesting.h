#pragma once
// Shared helpers of the quantization-op tests: random inputs (empty, 0-dim,
// non-contiguous, several reduction blocks long) and the fused-versus-reference
// comparison.
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>
#include <torch/torch.h>

namespace quantlib::test {

struct InputCase {
  std::vector<int64_t> shape;
  bool non_contiguous = false;

  std::string describe() const {
    std::string text = "shape [";
    for (size_t i = 0; i < shape.size(); ++i) text += (i ? "," : "") + std::to_string(shape[i]);
    return text + "]" + (non_contiguous ? " non-contiguous" : "");
  }
};

// Fixed cases (0-dim, empty, longer than one 2048-element reduction block) and
// random small shapes of dimension 1 to 4.
inline std::vector<InputCase> input_cases(uint32_t seed, int random_count) {
  std::vector<InputCase> cases = {
      {{}, false},         {{0}, false},       {{3, 0, 2}, true}, {{5}, true},
      {{4097}, false},     {{3, 1500}, true},  {{2, 3, 4, 5}, true},
  };
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dims(1, 4);
  std::uniform_int_distribution<int64_t> size(1, 7);
  for (int i = 0; i < random_count; ++i) {
    InputCase input;
    const int dim = dims(rng);
    for (int d = 0; d < dim; ++d) input.shape.push_back(size(rng));
    input.non_contiguous = rng() % 2 == 0;
    cases.push_back(input);
  }
  return cases;
}

inline at::Generator make_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// Normal values times scale, in the layout the case asks for: non-contiguous
// tensors are a permutation of a contiguous one (dim >= 2) or every other element
// of a longer one (dim 1).
inline torch::Tensor make_tensor(const InputCase& input, at::Generator& generator, double scale) {
  const auto options = torch::TensorOptions().dtype(torch::kFloat);
  if (!input.non_contiguous || input.shape.empty())
    return torch::randn(input.shape, generator, options) * scale;
  if (input.shape.size() == 1)
    return (torch::randn({2 * input.shape[0]}, generator, options) * scale).slice(0, 0, 2 * input.shape[0], 2);
  std::vector<int64_t> reversed(input.shape.rbegin(), input.shape.rend());
  std::vector<int64_t> order;
  for (int64_t d = static_cast<int64_t>(input.shape.size()) - 1; d >= 0; --d) order.push_back(d);
  return (torch::randn(reversed, generator, options) * scale).permute(order);
}

struct Gradients {
  torch::Tensor output;
  torch::Tensor grad_x;      // undefined when x did not require grad
  torch::Tensor grad_param;  // undefined when the parameter did not require grad
};

using QuantizerCall = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& parameter)>;

// Runs one implementation on fresh leaves copied from x and parameter, and
// back-propagates grad_y.
inline Gradients run_with_gradients(const QuantizerCall& call, const torch::Tensor& x,
                                    const torch::Tensor& parameter, const torch::Tensor& grad_y, bool x_grad,
                                    bool param_grad) {
  const torch::Tensor x_leaf = x.detach().requires_grad_(x_grad);
  const torch::Tensor param_leaf = parameter.detach().clone().requires_grad_(param_grad);
  Gradients result;
  result.output = call(x_leaf, param_leaf);
  if (x_grad || param_grad) {
    torch::autograd::backward({result.output}, {grad_y});
    if (x_grad) result.grad_x = x_leaf.grad();
    if (param_grad) result.grad_param = param_leaf.grad();
  }
  return result;
}

// The tensor on the CPU (undefined stays undefined).
inline torch::Tensor on_cpu(const torch::Tensor& tensor) { return tensor.defined() ? tensor.cpu() : tensor; }

// One implementation run on the GPU (x, parameter and grad_y copied there) with
// its results copied back; output_on_gpu says the output was a contiguous
// tensor on the GPU.
struct GpuRun {
  Gradients results;
  bool output_on_gpu = false;
};

inline GpuRun run_on_gpu(const QuantizerCall& call, const torch::Tensor& x, const torch::Tensor& parameter,
                         const torch::Tensor& grad_y, bool x_grad, bool param_grad) {
  const torch::Device gpu(torch::kCUDA, 0);
  const Gradients on_gpu = run_with_gradients(call, x.to(gpu), parameter.to(gpu), grad_y.to(gpu), x_grad, param_grad);
  GpuRun run;
  run.output_on_gpu = on_gpu.output.is_cuda() && on_gpu.output.is_contiguous();
  run.results = {on_cpu(on_gpu.output), on_cpu(on_gpu.grad_x), on_cpu(on_gpu.grad_param)};
  return run;
}

// |a - b| <= tolerance elementwise.
inline bool within(const torch::Tensor& a, const torch::Tensor& b, double tolerance) {
  return a.sizes() == b.sizes() && (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().le(tolerance).all().item<bool>();
}

}  // namespace quantlib::test
