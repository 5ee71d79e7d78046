#include "quantlib/ops/Inq.h"

#include <cmath>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/ops/QuantOpsTesting.h"
#include "quantlib/ops/reference/WeightReference.h"
#include "support/CudaDevices.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using namespace quantlib::test;

namespace {

torch::Tensor floats(std::vector<float> values) { return torch::tensor(values, torch::kFloat); }

constexpr float kFree = std::numeric_limits<float>::quiet_NaN();

}  // namespace

TEST_CASE("inq matches the composed reference: frozen values where set, the weight elsewhere", "[inq]") {
  auto generator = make_generator(29);
  for (const auto& input : input_cases(229, 24)) {
    INFO(input.describe());
    const torch::Tensor w = make_tensor(input, generator, 1.0);
    // About half frozen, to values unlike w; the layout of frozen differs from w's.
    const torch::Tensor levels = make_tensor(input, generator, 1.0).round();
    const torch::Tensor frozen =
        torch::where(torch::rand(input.shape, generator) < 0.5, levels, torch::full_like(levels, kFree));
    const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
    const auto fused = run_with_gradients(ops::inq, w, frozen, grad_y, true, false);
    const auto reference = run_with_gradients(ops::reference::inq, w, frozen, grad_y, true, false);
    REQUIRE(fused.output.sizes() == w.sizes());
    REQUIRE(fused.output.is_contiguous());
    REQUIRE(torch::equal(fused.output, reference.output));
    REQUIRE(torch::equal(fused.grad_x, reference.grad_x));
  }
}

TEST_CASE("inq stops the gradient exactly where frozen", "[inq]") {
  const torch::Tensor w = floats({0.3f, -0.7f, 1.2f, 0.05f}).requires_grad_();
  const torch::Tensor frozen = floats({kFree, -0.5f, kFree, 0.0f});
  const torch::Tensor y = ops::inq(w, frozen);
  REQUIRE(torch::equal(y, floats({0.3f, -0.5f, 1.2f, 0.0f})));
  y.backward(floats({1, 2, 3, 4}));
  REQUIRE(torch::equal(w.grad(), floats({1, 0, 3, 0})));
}

TEST_CASE("inq's power-of-two levels follow the paper's n1 and n2", "[inq]") {
  // s = 0.9: n1 = floor(log2(1.2)) = 0; 3 bits: n2 = n1 + 1 - 2 = -1.
  REQUIRE(torch::equal(ops::inq_power_of_two_magnitudes(0.9, 3), floats({0.0f, 0.5f, 1.0f})));
  // s = 1.5: n1 = floor(log2(2)) = 1; 5 bits: 8 exponents, 2^-6 .. 2^1.
  const torch::Tensor five_bits = ops::inq_power_of_two_magnitudes(1.5, 5);
  REQUIRE(five_bits.numel() == 9);
  for (int64_t j = 1; j < 9; ++j) REQUIRE(five_bits[j].item<float>() == std::ldexp(1.0f, static_cast<int>(j) - 7));
  // 2 bits: ternary, 0 and +-2^n1; s = 0.7: 4s/3 = 0.933, n1 = -1.
  REQUIRE(torch::equal(ops::inq_power_of_two_magnitudes(0.7, 2), floats({0.0f, 0.5f})));
  REQUIRE(torch::equal(ops::inq_power_of_two_magnitudes(0.0, 3), torch::zeros({3})));
  // Every weight up to s lies below the top level's upper bound 3/2 * 2^n1.
  for (const double s : {0.1, 0.74, 0.75, 1.0, 3.3}) {
    const float top = ops::inq_power_of_two_magnitudes(s, 4)[-1].item<float>();
    REQUIRE(s < 1.5 * top);
    REQUIRE(s >= 0.75 * top);
  }
}

TEST_CASE("inq's uniform levels split [-s, s] into n_levels", "[inq]") {
  REQUIRE(torch::equal(ops::inq_uniform_magnitudes(0.6, 5), floats({0.0f, 0.3f, 0.6f})));
  REQUIRE(torch::equal(ops::inq_uniform_magnitudes(0.8, 3), floats({0.0f, 0.8f})));
}

TEST_CASE("inq_nearest_levels picks the nearest magnitude with the sign, ties to the larger", "[inq]") {
  const torch::Tensor magnitudes = floats({0.0f, 0.5f, 1.0f}).unsqueeze(0);
  const torch::Tensor w = floats({0.24f, 0.25f, -0.25f, 0.74f, 0.75f, 0.9f, -1.3f, 0.0f});
  REQUIRE(torch::equal(ops::inq_nearest_levels(w, magnitudes), floats({0.0f, 0.5f, -0.5f, 0.5f, 1.0f, 1.0f, -1.0f, 0.0f})));
  // One row per channel along dim 0.
  const torch::Tensor per_channel = torch::stack({floats({0.0f, 0.5f, 1.0f}), floats({0.0f, 2.0f, 4.0f})});
  const torch::Tensor w2 = floats({0.6f, 0.6f, 2.9f, 3.1f}).reshape({2, 2});
  REQUIRE(torch::equal(ops::inq_nearest_levels(w2, per_channel), floats({0.5f, 0.5f, 2.0f, 4.0f}).reshape({2, 2})));
}

TEST_CASE("inq refuses bad arguments with a clear message", "[inq]") {
  REQUIRE_THROWS_WITH(ops::inq(torch::ones({3}), torch::ones({4})), Catch::Contains("weight's shape"));
  REQUIRE_THROWS_WITH(ops::inq(torch::ones({3}, torch::kDouble), torch::ones({3})), Catch::Contains("float32"));
  REQUIRE_THROWS_WITH(ops::inq(torch::ones({3}, torch::Device(torch::kMeta)), torch::ones({3}, torch::Device(torch::kMeta))),
                      Catch::Contains("no kernel for meta"));
  REQUIRE_THROWS_WITH(ops::inq_power_of_two_magnitudes(1.0, 1), Catch::Contains("n_bits in [2, 8]"));
  REQUIRE_THROWS_WITH(ops::inq_power_of_two_magnitudes(1.0, 9), Catch::Contains("n_bits in [2, 8]"));
  REQUIRE_THROWS_WITH(ops::inq_uniform_magnitudes(1.0, 4), Catch::Contains("odd n_levels >= 3"));
  REQUIRE_THROWS_WITH(ops::inq_uniform_magnitudes(1.0, 1), Catch::Contains("odd n_levels >= 3"));
  REQUIRE_THROWS_WITH(ops::inq_nearest_levels(torch::ones({3, 2}), torch::zeros({2, 3})), Catch::Contains("one per channel"));
}

TEST_CASE("inq on CUDA: forward and gradient equal the reference on the GPU and the CPU op", "[inq][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("inq's CUDA kernels are not checked");
  auto generator = make_generator(30);
  for (const auto& input : input_cases(230, 12)) {
    INFO(input.describe());
    const torch::Tensor w = make_tensor(input, generator, 1.0);
    const torch::Tensor levels = make_tensor(input, generator, 1.0).round();
    const torch::Tensor frozen =
        torch::where(torch::rand(input.shape, generator) < 0.5, levels, torch::full_like(levels, kFree));
    const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
    const GpuRun gpu = run_on_gpu(ops::inq, w, frozen, grad_y, true, false);
    const GpuRun gpu_reference = run_on_gpu(ops::reference::inq, w, frozen, grad_y, true, false);
    const Gradients cpu = run_with_gradients(ops::inq, w, frozen, grad_y, true, false);
    REQUIRE(gpu.output_on_gpu);
    REQUIRE(torch::equal(gpu.results.output, gpu_reference.results.output));
    REQUIRE(torch::equal(gpu.results.output, cpu.output));
    REQUIRE(torch::equal(gpu.results.grad_x, gpu_reference.results.grad_x));
    REQUIRE(torch::equal(gpu.results.grad_x, cpu.grad_x));
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
