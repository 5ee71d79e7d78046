#include "quantlib/ops/Tqt.h"

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
using ops::Signedness;

namespace {

torch::Tensor floats(std::vector<float> values) { return torch::tensor(values, torch::kFloat); }

}  // namespace

TEST_CASE("tqt matches the composed reference: forward and x gradient exactly, log2_t gradient", "[quantops]") {
  // The scale is a power of two, so even the reference's (grad * s) / s is exact.
  auto generator = make_generator(71);
  int case_index = 0;
  for (const auto& input : input_cases(404, 24)) {
    for (const auto signedness : {Signedness::Unsigned, Signedness::Signed}) {
      const int64_t bits = 2 + case_index % 7;
      const bool x_grad = case_index % 4 != 1;
      const bool log2_t_grad = case_index % 4 != 2;
      ++case_index;
      const float log2_t_value = -2.7f + 0.45f * static_cast<float>(case_index % 11);
      const torch::Tensor log2_t = torch::full({1}, log2_t_value);
      INFO(input.describe() << ", bits " << bits << (signedness == Signedness::Signed ? " signed" : " unsigned")
                            << ", log2_t " << log2_t_value);
      const torch::Tensor x = make_tensor(input, generator, 0.6 * std::exp2(std::ceil(log2_t_value)));
      const torch::Tensor grad_y = make_tensor(input, generator, 1.0);

      const auto fused = run_with_gradients(
          [&](const torch::Tensor& in, const torch::Tensor& l) { return ops::tqt(in, l, bits, signedness); }, x,
          log2_t, grad_y, x_grad, log2_t_grad);
      const auto reference = run_with_gradients(
          [&](const torch::Tensor& in, const torch::Tensor& l) { return ops::reference::tqt(in, l, bits, signedness); },
          x, log2_t, grad_y, x_grad, log2_t_grad);

      REQUIRE(fused.output.sizes() == x.sizes());
      REQUIRE(fused.output.is_contiguous());
      REQUIRE(torch::equal(fused.output, reference.output));
      if (x_grad) REQUIRE(torch::equal(fused.grad_x, reference.grad_x));
      if (log2_t_grad) {
        REQUIRE(fused.grad_param.sizes() == log2_t.sizes());
        const double threshold = std::exp2(std::ceil(log2_t_value));
        const double bound = 1e-5 * threshold * (1.0 + grad_y.abs().sum().item<double>());
        REQUIRE(within(fused.grad_param, reference.grad_param, bound));
      }
    }
  }
}

TEST_CASE("tqt rounds, then clips, with the power-of-two scale of the ceiled log2 threshold", "[quantops]") {
  // Signed 3 bits, log2_t = 0.3: s = 2^1 / 2^2 = 0.5, levels -4 .. 3.
  const std::vector<float> scaled{-5.0f, -4.6f, -4.5f, -0.3f, 3.4f, 3.5f, 3.6f, 10.0f};
  const float s = 0.5f;
  const torch::Tensor x = (floats(scaled) * s).requires_grad_();
  const torch::Tensor log2_t = torch::full({}, 0.3f).requires_grad_();
  const torch::Tensor y = ops::tqt(x, log2_t, 3, Signedness::Signed);
  // -4.5 rounds (half to even) to -4, inside; 3.5 rounds to 4, clipped to 3.
  REQUIRE(torch::equal(y, floats({-4, -4, -4, 0, 3, 3, 3, 3}) * s));
  y.backward(torch::ones({8}));
  REQUIRE(torch::equal(x.grad(), floats({0, 0, 1, 1, 1, 0, 0, 0})));
  double terms = -4.0 - 4.0 + 3.0 + 3.0 + 3.0;
  for (const float v : {-4.5f, -0.3f, 3.4f}) terms += std::nearbyint(v) - v;
  REQUIRE(log2_t.grad().sizes() == log2_t.sizes());
  REQUIRE(log2_t.grad().item<double>() == Approx(s * std::log(2.0) * terms).margin(1e-6));

  // Unsigned 2 bits, log2_t = 1 (already an integer): s = 2 / 2^2 = 0.5, levels 0 .. 3.
  REQUIRE(torch::equal(ops::tqt(floats({-1.0f, 0.6f, 1.76f, 2.0f}), torch::full({1}, 1.0f), 2, Signedness::Unsigned),
                       floats({0.0f, 0.5f, 1.5f, 1.5f})));
  // The forward only sees ceil(log2_t).
  const torch::Tensor probe = torch::linspace(-3, 3, 101);
  REQUIRE(torch::equal(ops::tqt(probe, torch::full({1}, 0.01f), 4, Signedness::Signed),
                       ops::tqt(probe, torch::full({1}, 1.0f), 4, Signedness::Signed)));
}

TEST_CASE("tqt's log2_t gradient is s ln2 times the derivative in s of the continuous-scale quantizer", "[quantops]") {
  // The forward is piecewise constant in log2_t (it ceils), so finite differences
  // of the op itself see nothing. TQT's gradient passes ceil straight through: it is
  // d q / d s * d s / d log2_t with s = 2^log2_t / 2^(b-1), i.e. s ln2 d q / d s,
  // where q(s) = clamp(round(x / s), n, p) * s for a real s. That derivative is
  // checked here by finite differences of q in double precision, on inputs away
  // from rounding ties and clip thresholds: it is the level (p or n when clipped,
  // round(x/s) inside), and inside TQT adds -x/s, the straight-through derivative
  // of the rounding, which no forward shows; the test adds it by hand.
  auto generator = make_generator(81);
  const int64_t count = 400;
  const double n = -8.0;
  const double p = 7.0;
  const float log2_t_value = 1.0f;  // s = 2 / 8 = 0.25
  const double s = 0.25;
  const torch::Tensor levels = torch::randint(-7, 7, {count}, generator).to(torch::kFloat);
  const torch::Tensor fraction = (0.1f + 0.3f * torch::rand({count}, generator)) *
                                 (torch::randint(0, 2, {count}, generator) * 2 - 1);
  torch::Tensor scaled = levels + fraction;
  const torch::Tensor clip_choice = torch::rand({count}, generator);
  scaled = torch::where(clip_choice < 0.15, 8.0f + 3.0f * torch::rand({count}, generator), scaled);
  scaled = torch::where(clip_choice > 0.85, -9.0f - 3.0f * torch::rand({count}, generator), scaled);
  const torch::Tensor x = scaled * static_cast<float>(s);
  const torch::Tensor weights = torch::randn({count}, generator);

  const torch::Tensor log2_t = torch::full({1}, log2_t_value).requires_grad_();
  ops::tqt(x, log2_t, 4, Signedness::Signed).backward(weights);

  const torch::Tensor x_double = x.to(torch::kDouble);
  const torch::Tensor weights_double = weights.to(torch::kDouble);
  const auto q = [&](double scale) {
    return ((x_double / scale).round().clamp(n, p) * scale * weights_double).sum().item<double>();
  };
  const double h = 1e-4 * s;
  const double finite_difference = (q(s + h) - q(s - h)) / (2.0 * h);
  const torch::Tensor inside = (x_double / s).round().abs() <= p;
  const double straight_through = -(weights_double * (x_double / s) * inside.to(torch::kDouble)).sum().item<double>();
  REQUIRE(log2_t.grad().item<double>() ==
          Approx(s * std::log(2.0) * (finite_difference + straight_through)).epsilon(1e-5).margin(1e-5));
}

TEST_CASE("tqt refuses bad arguments with a clear message", "[quantops]") {
  const torch::Tensor x = torch::ones({3});
  REQUIRE_THROWS_WITH(ops::tqt(x, torch::ones({2}), 4, Signedness::Signed), Catch::Contains("one element"));
  REQUIRE_THROWS_WITH(ops::tqt(x, torch::full({1}, NAN), 4, Signedness::Signed), Catch::Contains("finite"));
  REQUIRE_THROWS_WITH(ops::tqt(x, torch::full({1}, -200.0f), 4, Signedness::Signed), Catch::Contains("normal float32"));
  REQUIRE_THROWS_WITH(ops::tqt(x, torch::ones({1}), 1, Signedness::Signed), Catch::Contains("bits must be in [2, 24]"));
  REQUIRE_THROWS_WITH(ops::tqt(x, torch::ones({1}, torch::kDouble), 4, Signedness::Signed), Catch::Contains("float32"));
  REQUIRE_THROWS_WITH(ops::tqt(torch::ones({3}, torch::Device(torch::kMeta)),
                               torch::ones({1}, torch::Device(torch::kMeta)), 4, Signedness::Signed),
                      Catch::Contains("no kernel for meta"));
}

TEST_CASE("tqt and its reference pass the gradient at the clipping levels themselves", "[quantops]") {
  // 2 bits signed, log2_t 1: scale 1, levels -2..1. The paper's inside is
  // closed, n <= round(x/s) <= p, whatever LibTorch's clamp does at its ends.
  const torch::Tensor x = floats({-2.0f, 1.0f, 1.4f, 1.6f, -2.6f, 0.0f});
  const torch::Tensor expected = floats({1, 1, 1, 0, 0, 1});
  const torch::Tensor log2_t = torch::full({1}, 1.0f);
  const torch::Tensor grad_y = torch::ones({6});
  for (const bool fused : {true, false}) {
    CAPTURE(fused);
    const auto result = run_with_gradients(
        [&](const torch::Tensor& in, const torch::Tensor& l) {
          return fused ? ops::tqt(in, l, 2, Signedness::Signed) : ops::reference::tqt(in, l, 2, Signedness::Signed);
        },
        x, log2_t, grad_y, true, false);
    CHECK(torch::equal(result.grad_x, expected));
  }
}

TEST_CASE("tqt on CUDA: forward and x gradient equal the reference on the GPU and the CPU op, log2_t gradient close and deterministic", "[quantops][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("tqt's CUDA kernels are not checked");
  auto generator = make_generator(27);
  int case_index = 0;
  for (const auto& input : input_cases(227, 8)) {
    for (const auto signedness : {Signedness::Signed, Signedness::Unsigned}) {
      const int64_t bits = 2 + case_index % 7;
      const bool x_grad = case_index % 4 != 1;
      const bool log2_t_grad = case_index % 4 != 2;
      ++case_index;
      const torch::Tensor log2_t = torch::full({1}, -0.7f + 0.45f * static_cast<float>(case_index % 5));
      INFO(input.describe() << ", bits " << bits << (signedness == Signedness::Signed ? " signed" : " unsigned"));
      const torch::Tensor x = make_tensor(input, generator, 1.0);
      const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
      const QuantizerCall fused = [&](const torch::Tensor& in, const torch::Tensor& t) {
        return ops::tqt(in, t, bits, signedness);
      };
      const QuantizerCall reference = [&](const torch::Tensor& in, const torch::Tensor& t) {
        return ops::reference::tqt(in, t, bits, signedness);
      };
      const GpuRun gpu = run_on_gpu(fused, x, log2_t, grad_y, x_grad, log2_t_grad);
      const GpuRun gpu_again = run_on_gpu(fused, x, log2_t, grad_y, x_grad, log2_t_grad);
      const GpuRun gpu_reference = run_on_gpu(reference, x, log2_t, grad_y, x_grad, log2_t_grad);
      const Gradients cpu = run_with_gradients(fused, x, log2_t, grad_y, x_grad, log2_t_grad);

      REQUIRE(gpu.output_on_gpu);
      REQUIRE(torch::equal(gpu.results.output, gpu_reference.results.output));
      REQUIRE(torch::equal(gpu.results.output, cpu.output));
      if (x_grad) {
        REQUIRE(torch::equal(gpu.results.grad_x, gpu_reference.results.grad_x));
        REQUIRE(torch::equal(gpu.results.grad_x, cpu.grad_x));
      }
      if (log2_t_grad) {
        REQUIRE(gpu.results.grad_param.sizes() == log2_t.sizes());
        // Sums in another order: relative to the largest term sum, |grad_y| times the levels.
        const double levels = static_cast<double>(int64_t{1} << bits);
        const double bound = 1e-5 * levels * (1.0 + grad_y.abs().sum().item<double>());
        REQUIRE(within(gpu.results.grad_param, gpu_reference.results.grad_param, bound));
        REQUIRE(within(gpu.results.grad_param, cpu.grad_param, bound));
        REQUIRE(torch::equal(gpu.results.grad_param, gpu_again.results.grad_param));
      }
    }
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
