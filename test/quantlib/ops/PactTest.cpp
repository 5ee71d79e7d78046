#include "quantlib/ops/Pact.h"

#include <cmath>
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
using ops::Rounding;
using ops::Signedness;

namespace {

torch::Tensor floats(std::vector<float> values) { return torch::tensor(values, torch::kFloat); }

}  // namespace

TEST_CASE("pact matches the composed reference: forward exactly, gradients of x and alpha", "[quantops]") {
  auto generator = make_generator(11);
  int case_index = 0;
  for (const auto& input : input_cases(202, 24)) {
    for (const auto signedness : {Signedness::Unsigned, Signedness::Signed}) {
      const int64_t bits = 2 + case_index % 7;
      const Rounding rounding = case_index % 3 == 0 ? Rounding::Floor : Rounding::Nearest;
      const bool x_grad = case_index % 4 != 1;
      const bool alpha_grad = case_index % 4 != 2;
      ++case_index;
      const torch::Tensor alpha = torch::full({1}, 0.6f + 0.1f * static_cast<float>(case_index % 5));
      INFO(input.describe() << ", bits " << bits << (signedness == Signedness::Signed ? " signed" : " unsigned")
                            << (rounding == Rounding::Floor ? " floor" : " round"));
      const torch::Tensor x = make_tensor(input, generator, 1.0);
      const torch::Tensor grad_y = make_tensor(input, generator, 1.0);

      const auto fused = run_with_gradients(
          [&](const torch::Tensor& in, const torch::Tensor& a) { return ops::pact(in, a, bits, signedness, rounding); },
          x, alpha, grad_y, x_grad, alpha_grad);
      const auto reference = run_with_gradients(
          [&](const torch::Tensor& in, const torch::Tensor& a) {
            return ops::reference::pact(in, a, bits, signedness, rounding);
          },
          x, alpha, grad_y, x_grad, alpha_grad);

      REQUIRE(fused.output.sizes() == x.sizes());
      REQUIRE(fused.output.is_contiguous());
      REQUIRE(torch::equal(fused.output, reference.output));
      if (x_grad) REQUIRE(torch::equal(fused.grad_x, reference.grad_x));
      if (alpha_grad) {
        REQUIRE(fused.grad_param.sizes() == alpha.sizes());
        // Sums in another order: relative to the sum of |grad_y|.
        REQUIRE(within(fused.grad_param, reference.grad_param, 1e-5 * (1.0 + grad_y.abs().sum().item<double>())));
      }
    }
  }
}

TEST_CASE("pact quantizes the clipped input to 2^bits - 1 steps, rounding or flooring", "[quantops]") {
  // Unsigned, 2 bits, alpha = 3: step 1, levels {0, 1, 2, 3}.
  const torch::Tensor x = floats({-1.0f, 0.0f, 0.4f, 0.5f, 1.5f, 2.5f, 2.9f, 3.0f, 4.0f});
  const torch::Tensor alpha = torch::full({1}, 3.0f);
  REQUIRE(torch::equal(ops::pact(x, alpha, 2, Signedness::Unsigned, Rounding::Nearest),
                       floats({0, 0, 0, 0, 2, 2, 3, 3, 3})));
  REQUIRE(torch::equal(ops::pact(x, alpha, 2, Signedness::Unsigned, Rounding::Floor),
                       floats({0, 0, 0, 0, 1, 2, 2, 3, 3})));
  // Signed, 3 bits, alpha = 3: step 1, levels {-3 .. 3}.
  REQUIRE(torch::equal(ops::pact(floats({-4.0f, -3.0f, -2.5f, -0.2f, 2.5f, 3.0f, 4.0f}), alpha, 3, Signedness::Signed),
                       floats({-3, -3, -2, 0, 2, 3, 3})));
}

TEST_CASE("pact gives an input at alpha the top level exactly, also when flooring", "[quantops]") {
  // x / (alpha / levels) can land an ulp below levels, which a plain floor would
  // turn into the level below; count such alphas so the check is not vacuous.
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> alphas(0.01f, 10.0f);
  int hazardous = 0;
  for (int i = 0; i < 2000; ++i) {
    const float alpha = alphas(rng);
    const float levels = 255.0f;
    const float step = alpha / levels;
    if (alpha / step < levels) ++hazardous;
    const torch::Tensor y = ops::pact(torch::full({1}, alpha), torch::full({1}, alpha), 8, Signedness::Unsigned,
                                      Rounding::Floor);
    REQUIRE(y.item<float>() == levels * step);
  }
  REQUIRE(hazardous > 0);
}

TEST_CASE("pact sends the gradient of clipped inputs to alpha and of the inputs below alpha to x", "[quantops]") {
  // The paper's half-open clip range: an input at alpha is clipped, one at -alpha is not.
  const torch::Tensor weights = floats({1, 2, 4, 8, 16, 32, 64});
  {
    const torch::Tensor x = floats({-1.0f, 0.0f, 1.0f, 2.9f, 3.0f, 5.0f, 0.5f}).requires_grad_();
    const torch::Tensor alpha = torch::full({1}, 3.0f).requires_grad_();
    ops::pact(x, alpha, 4, Signedness::Unsigned).backward(weights);
    REQUIRE(torch::equal(x.grad(), floats({0, 2, 4, 8, 0, 0, 64})));
    REQUIRE(alpha.grad().item<float>() == 16.0f + 32.0f);
  }
  {
    const torch::Tensor x = floats({-5.0f, -3.0f, -2.9f, 0.0f, 2.9f, 3.0f, 5.0f}).requires_grad_();
    const torch::Tensor alpha = torch::full({}, 3.0f).requires_grad_();
    ops::pact(x, alpha, 4, Signedness::Signed).backward(weights);
    REQUIRE(torch::equal(x.grad(), floats({0, 2, 4, 8, 16, 0, 0})));
    REQUIRE(alpha.grad().sizes() == alpha.sizes());
    REQUIRE(alpha.grad().item<float>() == -1.0f + 32.0f + 64.0f);
  }
}

TEST_CASE("pact's alpha gradient equals finite differences of the output on clipped inputs", "[quantops]") {
  // On clipped inputs the output is alpha (or -alpha) exactly as a function of
  // alpha, so finite differences see the paper's gradient. On inputs inside the
  // clip range they would see level/levels (the step grows with alpha), which PACT
  // deliberately ignores: its gradient there is zero, checked against the
  // reference above, not here.
  auto generator = make_generator(21);
  for (const auto signedness : {Signedness::Unsigned, Signedness::Signed}) {
    const float alpha_value = 1.25f;
    const torch::Tensor magnitude = alpha_value * 1.2f + torch::rand({300}, generator);
    const torch::Tensor sign = torch::randint(0, 2, {300}, generator).to(torch::kFloat) * 2 - 1;
    const torch::Tensor x = magnitude * sign;
    const torch::Tensor weights = torch::randn({300}, generator);

    const torch::Tensor alpha = torch::full({1}, alpha_value).requires_grad_();
    ops::pact(x, alpha, 5, signedness).backward(weights);

    const auto objective = [&](float a) {
      const torch::Tensor y = ops::pact(x, torch::full({1}, a), 5, signedness);
      return (y.to(torch::kDouble) * weights.to(torch::kDouble)).sum().item<double>();
    };
    const float h = 1e-2f;
    const double finite_difference = (objective(alpha_value + h) - objective(alpha_value - h)) / (2.0 * h);
    REQUIRE(alpha.grad().item<double>() == Approx(finite_difference).epsilon(1e-4).margin(1e-4));
    REQUIRE(std::abs(finite_difference) > 1.0);
  }
}

TEST_CASE("pact refuses bad arguments with a clear message", "[quantops]") {
  const torch::Tensor x = torch::ones({3});
  const torch::Tensor alpha = torch::ones({1});
  REQUIRE_THROWS_WITH(ops::pact(x, torch::ones({2}), 4, Signedness::Unsigned), Catch::Contains("one element"));
  REQUIRE_THROWS_WITH(ops::pact(x, torch::zeros({1}), 4, Signedness::Unsigned), Catch::Contains("positive"));
  REQUIRE_THROWS_WITH(ops::pact(x, alpha, 1, Signedness::Signed), Catch::Contains("bits must be in [2, 24]"));
  REQUIRE_THROWS_WITH(ops::pact(x, alpha, 25, Signedness::Unsigned), Catch::Contains("bits must be in [1, 24]"));
  REQUIRE_THROWS_WITH(ops::pact(x, alpha.to(torch::kDouble), 4, Signedness::Unsigned), Catch::Contains("float32"));
  REQUIRE_THROWS_WITH(ops::pact(torch::ones({3}, torch::Device(torch::kMeta)),
                                torch::ones({1}, torch::Device(torch::kMeta)), 4, Signedness::Unsigned),
                      Catch::Contains("no kernel for meta"));
}

TEST_CASE("pact on CUDA: forward and x gradient equal the reference on the GPU and the CPU op, alpha gradient close and deterministic", "[quantops][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("pact's CUDA kernels are not checked");
  auto generator = make_generator(12);
  int case_index = 0;
  for (const auto& input : input_cases(212, 8)) {
    for (const auto signedness : {Signedness::Unsigned, Signedness::Signed}) {
      const int64_t bits = 2 + case_index % 7;
      const Rounding rounding = case_index % 3 == 0 ? Rounding::Floor : Rounding::Nearest;
      const bool x_grad = case_index % 4 != 1;
      const bool alpha_grad = case_index % 4 != 2;
      ++case_index;
      const torch::Tensor alpha = torch::full({1}, 0.6f + 0.1f * static_cast<float>(case_index % 5));
      INFO(input.describe() << ", bits " << bits << (signedness == Signedness::Signed ? " signed" : " unsigned")
                            << (rounding == Rounding::Floor ? " floor" : " round"));
      const torch::Tensor x = make_tensor(input, generator, 1.0);
      const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
      const QuantizerCall fused = [&](const torch::Tensor& in, const torch::Tensor& a) {
        return ops::pact(in, a, bits, signedness, rounding);
      };
      const QuantizerCall reference = [&](const torch::Tensor& in, const torch::Tensor& a) {
        return ops::reference::pact(in, a, bits, signedness, rounding);
      };
      const GpuRun gpu = run_on_gpu(fused, x, alpha, grad_y, x_grad, alpha_grad);
      const GpuRun gpu_again = run_on_gpu(fused, x, alpha, grad_y, x_grad, alpha_grad);
      const GpuRun gpu_reference = run_on_gpu(reference, x, alpha, grad_y, x_grad, alpha_grad);
      const Gradients cpu = run_with_gradients(fused, x, alpha, grad_y, x_grad, alpha_grad);

      REQUIRE(gpu.output_on_gpu);
      REQUIRE(torch::equal(gpu.results.output, gpu_reference.results.output));
      REQUIRE(torch::equal(gpu.results.output, cpu.output));
      if (x_grad) {
        REQUIRE(torch::equal(gpu.results.grad_x, gpu_reference.results.grad_x));
        REQUIRE(torch::equal(gpu.results.grad_x, cpu.grad_x));
      }
      if (alpha_grad) {
        REQUIRE(gpu.results.grad_param.sizes() == alpha.sizes());
        // Sums in another order (double per thread, blocks in a fixed tree): relative to the sum of |grad_y|.
        const double bound = 1e-5 * (1.0 + grad_y.abs().sum().item<double>());
        REQUIRE(within(gpu.results.grad_param, gpu_reference.results.grad_param, bound));
        REQUIRE(within(gpu.results.grad_param, cpu.grad_param, bound));
        REQUIRE(torch::equal(gpu.results.grad_param, gpu_again.results.grad_param));
      }
    }
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
