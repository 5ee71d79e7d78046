#include "quantlib/ops/Ana.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/ops/QuantOpsTesting.h"
#include "quantlib/ops/reference/AnaReference.h"
#include "support/CudaDevices.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using namespace quantlib::test;
using ops::AnaForward;
using ops::AnaLevels;
using ops::AnaNoise;
using ops::AnaStaircase;

namespace {

const std::vector<AnaNoise> kNoises = {AnaNoise::Uniform, AnaNoise::Triangular, AnaNoise::Normal,
                                        AnaNoise::Logistic};
const std::vector<AnaForward> kForwards = {AnaForward::Expectation, AnaForward::Mode, AnaForward::Random};

std::string describe(AnaNoise noise) {
  switch (noise) {
    case AnaNoise::Uniform: return "uniform";
    case AnaNoise::Triangular: return "triangular";
    case AnaNoise::Normal: return "normal";
    case AnaNoise::Logistic: return "logistic";
  }
  return "?";
}

std::string describe(AnaForward forward) {
  switch (forward) {
    case AnaForward::Expectation: return "expectation";
    case AnaForward::Mode: return "mode";
    case AnaForward::Random: return "random";
  }
  return "?";
}

torch::Tensor floats(std::vector<float> values) { return torch::tensor(values, torch::kFloat); }

// Uneven jumps, a falling step and two equal thresholds: nothing the kernel may
// assume about the level sets of the quantizer.
AnaStaircase irregular_staircase() { return {{-0.8f, -0.1f, -0.1f, 0.3f, 1.1f}, {-1.0f, -0.7f, 0.2f, 0.5f, 0.4f, 1.5f}}; }

double total_jump(const AnaStaircase& staircase) {
  double total = 0.0;
  for (size_t i = 1; i < staircase.levels.size(); ++i) total += std::abs(staircase.levels[i] - staircase.levels[i - 1]);
  return total;
}

torch::Tensor hard_staircase(const torch::Tensor& x, const AnaStaircase& staircase) {
  return ops::ana(x, staircase, AnaNoise::Uniform, AnaForward::Mode, 0.0, 0.0);
}

}  // namespace

TEST_CASE("ana builds the binary, ternary and uniform level sets times the scale", "[ana]") {
  const AnaStaircase binary = ops::ana_staircase(AnaLevels::Binary, 2, 1.0);
  CHECK(binary.levels == std::vector<float>{-1.0f, 1.0f});
  CHECK(binary.thresholds == std::vector<float>{0.0f});
  const AnaStaircase ternary = ops::ana_staircase(AnaLevels::Ternary, 3, 1.0);
  CHECK(ternary.levels == std::vector<float>{-1.0f, 0.0f, 1.0f});
  CHECK(ternary.thresholds == std::vector<float>{-0.5f, 0.5f});
  const AnaStaircase uniform = ops::ana_staircase(AnaLevels::Uniform, 5, 2.0);
  CHECK(uniform.levels == std::vector<float>{-2.0f, -1.0f, 0.0f, 1.0f, 2.0f});
  CHECK(uniform.thresholds == std::vector<float>{-1.5f, -0.5f, 0.5f, 1.5f});
  CHECK_THROWS_WITH(ops::ana_staircase(AnaLevels::Binary, 3, 1.0), Catch::Contains("binary levels are 2"));
  CHECK_THROWS_WITH(ops::ana_staircase(AnaLevels::Uniform, 1, 1.0), Catch::Contains("n_levels must be in [2"));
  CHECK_THROWS_WITH(ops::ana_staircase(AnaLevels::Ternary, 3, 0.0), Catch::Contains("positive"));
}

TEST_CASE("ana matches the composed reference for every noise and forward mode: values and gradients", "[ana]") {
  auto generator = make_generator(31);
  const std::vector<AnaStaircase> staircases = {ops::ana_staircase(AnaLevels::Binary, 2, 1.0),
                                                ops::ana_staircase(AnaLevels::Ternary, 3, 0.8),
                                                ops::ana_staircase(AnaLevels::Uniform, 6, 1.3), irregular_staircase()};
  const std::vector<std::pair<double, double>> noise_scales = {{0.5, 0.5}, {0.2, 0.7}, {1.5, 0.05}, {0.0, 0.3},
                                                                {0.4, 0.0}};
  int case_index = 0;
  for (const auto& input : input_cases(303, 6)) {
    for (const AnaNoise noise : kNoises) {
      for (const AnaForward forward : kForwards) {
        const AnaStaircase& staircase = staircases[case_index % staircases.size()];
        const auto [s_fwd, s_bwd] = noise_scales[case_index % noise_scales.size()];
        const uint64_t draw_seed = 1000 + case_index;
        ++case_index;
        INFO(input.describe() << ", " << describe(noise) << ", " << describe(forward) << ", "
                              << staircase.levels.size() << " levels, s_fwd " << s_fwd << ", s_bwd " << s_bwd);
        const torch::Tensor x = make_tensor(input, generator, 1.0);
        const torch::Tensor grad_y = make_tensor(input, generator, 1.0);

        const auto fused = run_with_gradients(
            [&](const torch::Tensor& in, const torch::Tensor&) {
              return ops::ana(in, staircase, noise, forward, s_fwd, s_bwd, make_generator(draw_seed));
            },
            x, torch::zeros({1}), grad_y, true, false);
        const auto reference = run_with_gradients(
            [&](const torch::Tensor& in, const torch::Tensor&) {
              return ops::reference::ana(in, staircase, noise, forward, s_fwd, s_bwd, make_generator(draw_seed));
            },
            x, torch::zeros({1}), grad_y, true, false);

        REQUIRE(fused.output.sizes() == x.sizes());
        REQUIRE(fused.output.is_contiguous());
        const double jumps = total_jump(staircase);
        if (forward == AnaForward::Expectation && s_fwd > 0)
          REQUIRE(within(fused.output, reference.output, 2e-6 * (1.0 + jumps)));
        else
          REQUIRE(torch::equal(fused.output, reference.output));
        // Relative to the largest gradient the jumps allow (density at most 1 at scale 1).
        const double largest_grad =
            s_bwd == 0 ? 0.0 : jumps / s_bwd * (x.numel() ? grad_y.abs().max().item<double>() : 0.0);
        REQUIRE(within(fused.grad_x, reference.grad_x, 2e-6 * (1.0 + largest_grad)));
      }
    }
  }
}

TEST_CASE("ana with uniform noise is the original's clamped ramp, thresholds take the level above", "[ana]") {
  const AnaStaircase binary = ops::ana_staircase(AnaLevels::Binary, 2, 1.0);
  const torch::Tensor x = floats({-2.0f, -0.5f, -0.25f, 0.0f, 0.125f, 0.5f, 0.75f}).requires_grad_();
  const torch::Tensor y = ops::ana(x, binary, AnaNoise::Uniform, AnaForward::Expectation, 0.5, 0.5);
  // -1 + 2 F(x / s) with F the clamped ramp (u + 1) / 2: clamp(x / s, -1, 1).
  CHECK(torch::allclose(y, floats({-1.0f, -1.0f, -0.5f, 0.0f, 0.25f, 1.0f, 1.0f})));
  y.backward(torch::ones({7}));
  // dq f(u) / s = 2 * 0.5 / 0.5 on the closed box |x| <= s.
  CHECK(torch::equal(x.grad(), floats({0.0f, 2.0f, 2.0f, 2.0f, 2.0f, 2.0f, 0.0f})));

  const AnaStaircase ternary = ops::ana_staircase(AnaLevels::Ternary, 3, 1.0);
  const torch::Tensor steps = floats({-1.0f, -0.5f, -0.49f, 0.0f, 0.49f, 0.5f, 2.0f});
  for (const AnaForward forward : kForwards)
    CHECK(torch::equal(ops::ana(steps, ternary, AnaNoise::Normal, forward, 0.0, 0.3),
                       floats({-1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f})));
}

TEST_CASE("ana's backward is the derivative of its expectation forward when s_fwd == s_bwd", "[ana]") {
  // Finite differences away from the kinks of the uniform ramp (|x - t| = s) and
  // from the thresholds, where a central difference straddles a kink.
  const AnaStaircase staircase = irregular_staircase();
  const double s = 0.3;
  const double h = 1e-3;
  const torch::Tensor grid = torch::linspace(-2.0, 2.0, 4001, torch::kFloat);
  torch::Tensor far_from_kinks = torch::ones_like(grid, torch::kBool);
  for (const float t : staircase.thresholds) {
    const torch::Tensor distance = (grid - t).abs();
    far_from_kinks &= (distance - s).abs() > 3 * h;
    far_from_kinks &= distance > 3 * h;
  }
  const torch::Tensor x = grid.masked_select(far_from_kinks);
  REQUIRE(x.numel() > 3000);
  for (const AnaNoise noise : kNoises) {
    INFO(describe(noise));
    const torch::Tensor leaf = x.clone().requires_grad_();
    ops::ana(leaf, staircase, noise, AnaForward::Expectation, s, s).backward(torch::ones_like(x));
    const torch::Tensor x_up = x + h;
    const torch::Tensor x_down = x - h;
    const auto forward = [&](const torch::Tensor& at) {
      return ops::ana(at, staircase, noise, AnaForward::Expectation, s, s).to(torch::kDouble);
    };
    const torch::Tensor finite_difference =
        (forward(x_up) - forward(x_down)) / (x_up.to(torch::kDouble) - x_down.to(torch::kDouble));
    const torch::Tensor error = (leaf.grad().to(torch::kDouble) - finite_difference).abs();
    CHECK(error.max().item<double>() < 2e-3);
    CHECK(leaf.grad().abs().max().item<double>() > 1.0);
  }
}

TEST_CASE("ana approaches the hard staircase as the noise vanishes, and is it at s = 0", "[ana]") {
  const AnaStaircase staircase = ops::ana_staircase(AnaLevels::Uniform, 4, 1.0);
  auto generator = make_generator(41);
  const torch::Tensor x = torch::rand({5000}, generator) * 3 - 1.5;
  torch::Tensor far = torch::ones_like(x, torch::kBool);
  for (const float t : staircase.thresholds) far &= (x - t).abs() > 1e-2;
  const torch::Tensor hard = hard_staircase(x, staircase);
  // Inputs exactly at the thresholds too, where only s = 0 is hard.
  const torch::Tensor with_thresholds = torch::cat({x, torch::tensor(staircase.thresholds)});
  for (const AnaNoise noise : kNoises) {
    INFO(describe(noise));
    const torch::Tensor nearly = ops::ana(x, staircase, noise, AnaForward::Expectation, 1e-4, 1e-4);
    CHECK(torch::equal(nearly.masked_select(far), hard.masked_select(far)));
    CHECK(within(ops::ana(x, staircase, noise, AnaForward::Expectation, 0.05, 0.05), hard, 0.7));
    CHECK_FALSE(torch::equal(ops::ana(x, staircase, noise, AnaForward::Expectation, 0.05, 0.05), hard));
    for (const AnaForward forward : kForwards) {
      const torch::Tensor leaf = with_thresholds.clone().requires_grad_();
      const torch::Tensor y = ops::ana(leaf, staircase, noise, forward, 0.0, 0.0, make_generator(1));
      CHECK(torch::equal(y, hard_staircase(with_thresholds, staircase)));
      y.backward(torch::ones_like(y));
      CHECK(torch::equal(leaf.grad(), torch::zeros_like(leaf)));
    }
  }
}

TEST_CASE("ana random mode is reproducible with a seeded generator and averages to the expectation", "[ana]") {
  const AnaStaircase staircase = ops::ana_staircase(AnaLevels::Ternary, 3, 1.0);
  const torch::Tensor points = floats({-1.3f, -0.7f, -0.5f, -0.2f, 0.0f, 0.35f, 0.6f, 1.1f});
  const int64_t draws = 40000;
  const torch::Tensor x = points.expand({draws, points.numel()});
  for (const AnaNoise noise : kNoises) {
    INFO(describe(noise));
    const double s = 0.4;
    const torch::Tensor first = ops::ana(x, staircase, noise, AnaForward::Random, s, s, make_generator(7));
    CHECK(torch::equal(first, ops::ana(x, staircase, noise, AnaForward::Random, s, s, make_generator(7))));
    CHECK_FALSE(torch::equal(first, ops::ana(x, staircase, noise, AnaForward::Random, s, s, make_generator(8))));
    // Every output is a level.
    CHECK((first.eq(-1.0f) | first.eq(0.0f) | first.eq(1.0f)).all().item<bool>());

    const torch::Tensor mean = first.to(torch::kDouble).mean(0);
    const torch::Tensor spread = first.to(torch::kDouble).std(0);
    const torch::Tensor expectation = ops::ana(points, staircase, noise, AnaForward::Expectation, s, s);
    const torch::Tensor error = (mean - expectation.to(torch::kDouble)).abs();
    // Five standard errors of the mean.
    CHECK(error.le(5.0 * spread / std::sqrt(static_cast<double>(draws)) + 1e-6).all().item<bool>());
    CHECK(spread.max().item<double>() > 0.1);
  }
}

TEST_CASE("ana random mode draws noise with the family's distribution", "[ana]") {
  // A fine staircase at x = 0 reads the noise's empirical CDF off the thresholds:
  // P(y >= q_k) = P(s nu >= t_k), which is the expectation of a single 0-to-1 step
  // at t_k. Kolmogorov-Smirnov's 1% bound for this many draws is 0.0037.
  const int64_t draws = 200000;
  const double s = 1.0;
  const AnaStaircase fine = ops::ana_staircase(AnaLevels::Uniform, 41, 3.0);
  const torch::Tensor zeros = torch::zeros({draws});
  for (const AnaNoise noise : kNoises) {
    INFO(describe(noise));
    const torch::Tensor y = ops::ana(zeros, fine, noise, AnaForward::Random, s, s, make_generator(17));
    double largest_deviation = 0.0;
    for (size_t k = 0; k < fine.thresholds.size(); ++k) {
      const double empirical = y.ge(fine.levels[k + 1]).to(torch::kDouble).mean().item<double>();
      const AnaStaircase step{{fine.thresholds[k]}, {0.0f, 1.0f}};
      const double exact = ops::ana(torch::zeros({1}), step, noise, AnaForward::Expectation, s, s).item<double>();
      largest_deviation = std::max(largest_deviation, std::abs(empirical - exact));
    }
    CHECK(largest_deviation < 0.004);
  }
}

TEST_CASE("ana refuses bad arguments with a clear message", "[ana]") {
  const torch::Tensor x = torch::ones({3});
  const AnaStaircase ternary = ops::ana_staircase(AnaLevels::Ternary, 3, 1.0);
  const auto call = [&](const torch::Tensor& in, const AnaStaircase& staircase, double s_fwd, double s_bwd) {
    return ops::ana(in, staircase, AnaNoise::Normal, AnaForward::Expectation, s_fwd, s_bwd);
  };
  CHECK_THROWS_WITH(call(x, {{0.5f, -0.5f}, {-1.0f, 0.0f, 1.0f}}, 0.1, 0.1), Catch::Contains("sorted ascending"));
  CHECK_THROWS_WITH(call(x, {{0.0f}, {-1.0f, 0.0f, 1.0f}}, 0.1, 0.1), Catch::Contains("needs 2 levels"));
  CHECK_THROWS_WITH(call(x, ternary, -0.1, 0.1), Catch::Contains("s_fwd"));
  CHECK_THROWS_WITH(call(x, ternary, 0.1, std::nan("")), Catch::Contains("s_bwd"));
  CHECK_THROWS_WITH(call(x.to(torch::kDouble), ternary, 0.1, 0.1), Catch::Contains("float32"));
  CHECK_THROWS_WITH(call(torch::ones({3}, torch::Device(torch::kMeta)), ternary, 0.1, 0.1),
                    Catch::Contains("no kernel for meta"));
}

TEST_CASE("ana on CUDA: every noise and forward mode equals the CPU op and the reference on the GPU", "[ana][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("ana's CUDA kernels are not checked");
  // The CUDA kernels visit the thresholds in the CPU kernels' order with the same
  // float operations: the expectation, the mode and the gradient give the CPU's
  // bits. Random draws come from the GPU's generator, so that mode is checked
  // against the reference on the GPU with the same seed (the normal noise's
  // erfinv is CUDA's erfinvf there, as torch::erfinv's).
  auto generator = make_generator(33);
  const std::vector<AnaStaircase> staircases = {ops::ana_staircase(AnaLevels::Binary, 2, 1.0),
                                                ops::ana_staircase(AnaLevels::Ternary, 3, 0.8),
                                                ops::ana_staircase(AnaLevels::Uniform, 6, 1.3), irregular_staircase()};
  const std::vector<std::pair<double, double>> noise_scales = {{0.5, 0.5}, {0.2, 0.7}, {1.5, 0.05}, {0.0, 0.3},
                                                                {0.4, 0.0}};
  const torch::Tensor unused = torch::zeros({1});
  int case_index = 0;
  for (const auto& input : input_cases(333, 4)) {
    for (const AnaNoise noise : kNoises) {
      for (const AnaForward forward : kForwards) {
        const AnaStaircase& staircase = staircases[case_index % staircases.size()];
        const auto [s_fwd, s_bwd] = noise_scales[case_index % noise_scales.size()];
        const uint64_t draw_seed = 2000 + case_index;
        ++case_index;
        INFO(input.describe() << ", " << describe(noise) << ", " << describe(forward) << ", "
                              << staircase.levels.size() << " levels, s_fwd " << s_fwd << ", s_bwd " << s_bwd);
        const torch::Tensor x = make_tensor(input, generator, 1.0);
        const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
        const auto gpu_generator = [&] {
          at::Generator draws = at::globalContext().defaultGenerator(cuda_device()).clone();
          draws.set_current_seed(draw_seed);
          return draws;
        };
        const GpuRun gpu = run_on_gpu(
            [&](const torch::Tensor& in, const torch::Tensor&) {
              return ops::ana(in, staircase, noise, forward, s_fwd, s_bwd, gpu_generator());
            },
            x, unused, grad_y, true, false);
        const GpuRun gpu_reference = run_on_gpu(
            [&](const torch::Tensor& in, const torch::Tensor&) {
              return ops::reference::ana(in, staircase, noise, forward, s_fwd, s_bwd, gpu_generator());
            },
            x, unused, grad_y, true, false);
        REQUIRE(gpu.output_on_gpu);
        const double jumps = total_jump(staircase);
        if (forward == AnaForward::Expectation && s_fwd > 0)
          REQUIRE(within(gpu.results.output, gpu_reference.results.output, 2e-6 * (1.0 + jumps)));
        else
          REQUIRE(torch::equal(gpu.results.output, gpu_reference.results.output));
        const double largest_grad =
            s_bwd == 0 ? 0.0 : jumps / s_bwd * (x.numel() ? grad_y.abs().max().item<double>() : 0.0);
        REQUIRE(within(gpu.results.grad_x, gpu_reference.results.grad_x, 2e-6 * (1.0 + largest_grad)));
        if (forward != AnaForward::Random || s_fwd == 0) {
          const Gradients cpu = run_with_gradients(
              [&](const torch::Tensor& in, const torch::Tensor&) {
                return ops::ana(in, staircase, noise, forward, s_fwd, s_bwd);
              },
              x, unused, grad_y, true, false);
          REQUIRE(torch::equal(gpu.results.output, cpu.output));
          REQUIRE(torch::equal(gpu.results.grad_x, cpu.grad_x));
        }
      }
    }
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
