#include "quantlib/ops/UniformSte.h"

#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/ops/QuantOpsTesting.h"
#include "quantlib/ops/Reference.h"
#include "support/CudaDevices.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using namespace quantlib::test;

namespace {

torch::Tensor floats(std::vector<float> values) { return torch::tensor(values, torch::kFloat); }

}  // namespace

TEST_CASE("uniform_ste matches the composed reference: forward exactly, gradient exactly", "[quantops]") {
  auto generator = make_generator(7);
  const std::vector<int64_t> level_counts{2, 3, 4, 15, 255, 256};
  int case_index = 0;
  for (const auto& input : input_cases(101, 20)) {
    const int64_t n_levels = level_counts[case_index++ % level_counts.size()];
    const double bound = 0.75;
    INFO(input.describe() << ", n_levels " << n_levels);
    const torch::Tensor x = make_tensor(input, generator, 1.0);
    const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
    const torch::Tensor no_parameter = torch::zeros({1});

    const auto fused = run_with_gradients(
        [&](const torch::Tensor& in, const torch::Tensor&) { return ops::uniform_ste(in, n_levels, bound); }, x,
        no_parameter, grad_y, true, false);
    const auto reference = run_with_gradients(
        [&](const torch::Tensor& in, const torch::Tensor&) { return ops::reference::uniform_ste(in, n_levels, bound); },
        x, no_parameter, grad_y, true, false);

    REQUIRE(fused.output.sizes() == x.sizes());
    REQUIRE(fused.output.is_contiguous());
    REQUIRE(torch::equal(fused.output, reference.output));
    REQUIRE(torch::equal(fused.grad_x, reference.grad_x));
  }
}

TEST_CASE("uniform_ste rounds to the nearest of n uniform levels between -m and m", "[quantops]") {
  // Three levels on [-1, 1]: {-1, 0, 1}; ties go to even (0.5 -> 0).
  REQUIRE(torch::equal(ops::uniform_ste(floats({-2.0f, -0.6f, -0.4f, 0.0f, 0.4f, 0.5f, 0.6f, 2.0f}), 3, 1.0),
                       floats({-1.0f, -1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f})));
  // Four levels on [-1.5, 1.5], step 1: {-1.5, -0.5, 0.5, 1.5}; zero is not a level.
  REQUIRE(torch::equal(ops::uniform_ste(floats({-3.0f, -1.2f, -0.9f, -0.2f, 0.2f, 0.9f, 1.2f, 3.0f}), 4, 1.5),
                       floats({-1.5f, -1.5f, -0.5f, -0.5f, 0.5f, 0.5f, 1.5f, 1.5f})));
  // Odd level counts keep zero exact and the quantizer odd.
  const torch::Tensor x = torch::linspace(-1.3, 1.3, 261);
  const torch::Tensor y = ops::uniform_ste(x, 255, 1.1);
  REQUIRE(torch::equal(ops::uniform_ste(-x, 255, 1.1), -y));
  REQUIRE(ops::uniform_ste(torch::zeros({1}), 255, 0.3).item<float>() == 0.0f);
  REQUIRE(std::get<0>(at::_unique(y)).numel() <= 255);
}

TEST_CASE("uniform_ste passes the gradient straight through between -m and m and stops it outside", "[quantops]") {
  const torch::Tensor x = floats({-2.0f, -1.0f, -0.3f, 0.0f, 0.7f, 1.0f, 1.0001f}).requires_grad_();
  ops::uniform_ste(x, 5, 1.0).backward(torch::full({7}, 3.0f));
  REQUIRE(torch::equal(x.grad(), floats({0.0f, 3.0f, 3.0f, 3.0f, 3.0f, 3.0f, 0.0f})));
}

TEST_CASE("uniform_ste takes its bound as a one-element tensor too", "[quantops]") {
  auto generator = make_generator(3);
  const torch::Tensor x = torch::randn({4, 6}, generator);
  REQUIRE(torch::equal(ops::uniform_ste(x, 7, torch::full({1}, 0.8f)), ops::uniform_ste(x, 7, 0.8f)));
  REQUIRE_THROWS_WITH(ops::uniform_ste(x, 7, torch::ones({2})), Catch::Contains("one element"));
}

TEST_CASE("uniform_ste refuses bad arguments with a clear message", "[quantops]") {
  const torch::Tensor x = torch::ones({3});
  REQUIRE_THROWS_WITH(ops::uniform_ste(x, 1, 1.0), Catch::Contains("n_levels must be at least 2"));
  REQUIRE_THROWS_WITH(ops::uniform_ste(x, 3, 0.0), Catch::Contains("positive and finite"));
  REQUIRE_THROWS_WITH(ops::uniform_ste(x.to(torch::kDouble), 3, 1.0), Catch::Contains("float32"));
  REQUIRE_THROWS_WITH(ops::uniform_ste(torch::ones({3}, torch::Device(torch::kMeta)), 3, 1.0),
                      Catch::Contains("no kernel for meta"));
}

TEST_CASE("uniform_ste on CUDA: forward and gradient equal the reference on the GPU and the CPU op", "[quantops][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("uniform_ste's CUDA kernels are not checked");
  auto generator = make_generator(24);
  int case_index = 0;
  for (const auto& input : input_cases(224, 12)) {
    const int64_t n_levels = 2 + case_index % 9;
    const double bound = 0.5 + 0.25 * (case_index % 4);
    ++case_index;
    INFO(input.describe() << ", " << n_levels << " levels, bound " << bound);
    const torch::Tensor x = make_tensor(input, generator, 1.0);
    const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
    const QuantizerCall fused = [&](const torch::Tensor& in, const torch::Tensor&) {
      return ops::uniform_ste(in, n_levels, bound);
    };
    const QuantizerCall reference = [&](const torch::Tensor& in, const torch::Tensor&) {
      return ops::reference::uniform_ste(in, n_levels, bound);
    };
    const torch::Tensor unused = torch::zeros({1});
    const GpuRun gpu = run_on_gpu(fused, x, unused, grad_y, true, false);
    const GpuRun gpu_reference = run_on_gpu(reference, x, unused, grad_y, true, false);
    const Gradients cpu = run_with_gradients(fused, x, unused, grad_y, true, false);
    REQUIRE(gpu.output_on_gpu);
    REQUIRE(torch::equal(gpu.results.output, gpu_reference.results.output));
    REQUIRE(torch::equal(gpu.results.output, cpu.output));
    REQUIRE(torch::equal(gpu.results.grad_x, gpu_reference.results.grad_x));
    REQUIRE(torch::equal(gpu.results.grad_x, cpu.grad_x));
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
