#include "quantlib/ops/Lsq.h"

#include <cmath>
#include <vector>

#include <ATen/Parallel.h>
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

// Per channel along dim 0 when x has a dim 0 longer than one, else per tensor;
// the per-channel step takes the {C} or the {C, 1, ...} shape by turns.
torch::Tensor make_step(const torch::Tensor& x, bool per_channel, bool broadcast_shape, at::Generator& generator) {
  if (!per_channel || x.dim() == 0) return 0.05f + 0.2f * torch::rand({1}, generator);
  std::vector<int64_t> shape{x.size(0)};
  if (broadcast_shape) shape.resize(static_cast<size_t>(x.dim()), 1);
  return 0.05f + 0.2f * torch::rand(shape, generator);
}

int64_t positive_levels(int64_t bits, Signedness signedness) {
  return signedness == Signedness::Signed ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
}

}  // namespace

TEST_CASE("lsq matches the composed reference, per tensor and per channel", "[quantops]") {
  // Forward exactly. The reference's x gradient is (grad * s) / s, so it may be an
  // ulp off the fused kernel's exact straight-through grad; the step's gradient
  // sums in another order.
  auto generator = make_generator(31);
  int case_index = 0;
  for (const auto& input : input_cases(303, 24)) {
    for (const bool per_channel : {false, true}) {
      const Signedness signedness = case_index % 2 == 0 ? Signedness::Signed : Signedness::Unsigned;
      const int64_t bits = 2 + case_index % 7;
      const bool x_grad = case_index % 4 != 1;
      const bool step_grad = case_index % 4 != 2;
      ++case_index;
      INFO(input.describe() << ", bits " << bits << (signedness == Signedness::Signed ? " signed" : " unsigned")
                            << (per_channel ? " per channel" : " per tensor"));
      const torch::Tensor x = make_tensor(input, generator, 0.08 * static_cast<double>(positive_levels(bits, signedness)));
      const torch::Tensor step = make_step(x, per_channel, case_index % 3 == 0, generator);
      const torch::Tensor grad_y = make_tensor(input, generator, 1.0);

      const auto fused = run_with_gradients(
          [&](const torch::Tensor& in, const torch::Tensor& s) { return ops::lsq(in, s, bits, signedness); }, x, step,
          grad_y, x_grad, step_grad);
      const auto reference = run_with_gradients(
          [&](const torch::Tensor& in, const torch::Tensor& s) { return ops::reference::lsq(in, s, bits, signedness); },
          x, step, grad_y, x_grad, step_grad);

      REQUIRE(fused.output.sizes() == x.sizes());
      REQUIRE(fused.output.is_contiguous());
      REQUIRE(torch::equal(fused.output, reference.output));
      const double largest_grad = grad_y.numel() == 0 ? 0.0 : grad_y.abs().max().item<double>();
      if (x_grad) REQUIRE(within(fused.grad_x, reference.grad_x, 2.5e-7 * largest_grad));
      if (step_grad) {
        REQUIRE(fused.grad_param.sizes() == step.sizes());
        const double bound = 1e-5 * static_cast<double>(positive_levels(bits, signedness) + 1) *
                             (1.0 + grad_y.abs().sum().item<double>());
        REQUIRE(within(fused.grad_param, reference.grad_param, bound));
      }
    }
  }
}

TEST_CASE("lsq follows the paper at the clip thresholds: v/s = -Qn and v/s = Qp count as clipped", "[quantops]") {
  // Signed 3 bits: Qn = 4, Qp = 3; a power-of-two step keeps x / s exact.
  const std::vector<float> scaled{-5.0f, -4.0f, -3.5f, -0.3f, 0.5f, 1.5f, 2.7f, 3.0f, 4.0f};
  const float s = 0.5f;
  const torch::Tensor x = (floats(scaled) * s).requires_grad_();
  const torch::Tensor step = torch::full({1}, s).requires_grad_();
  const torch::Tensor y = ops::lsq(x, step, 3, Signedness::Signed, 1.0);
  REQUIRE(torch::equal(y, floats({-4, -4, -4, 0, 0, 2, 3, 3, 3}) * s));
  y.backward(torch::ones({9}));
  REQUIRE(torch::equal(x.grad(), floats({0, 0, 1, 1, 1, 1, 1, 0, 0})));
  // -Qn, -Qn, then round(v) - v inside, then Qp, Qp.
  double expected = -4.0 - 4.0 + 3.0 + 3.0;
  for (const float v : {-3.5f, -0.3f, 0.5f, 1.5f, 2.7f}) expected += std::nearbyint(v) - v;
  REQUIRE(step.grad().item<double>() == Approx(expected).margin(1e-6));
}

TEST_CASE("lsq scales the step gradient by 1/sqrt(N Qp) unless told otherwise", "[quantops]") {
  auto generator = make_generator(41);
  const torch::Tensor x = torch::randn({6, 5}, generator);
  const auto step_gradient = [&](std::optional<double> grad_scale) {
    const torch::Tensor step = torch::full({1}, 0.1f).requires_grad_();
    ops::lsq(x, step, 4, Signedness::Unsigned, grad_scale).sum().backward();
    return step.grad().item<double>();
  };
  REQUIRE(step_gradient(std::nullopt) == Approx(step_gradient(1.0) / std::sqrt(30.0 * 15.0)).epsilon(1e-6));
  REQUIRE(step_gradient(0.25) == Approx(step_gradient(1.0) * 0.25).epsilon(1e-6));
  REQUIRE(ops::lsq_default_grad_scale(30, 4, Signedness::Unsigned) == Approx(1.0 / std::sqrt(450.0)));
  REQUIRE(ops::lsq_default_grad_scale(8, 3, Signedness::Signed) == Approx(1.0 / std::sqrt(24.0)));
}

TEST_CASE("lsq's step gradient agrees with finite differences where the output is smooth in s", "[quantops]") {
  // Inputs away from the clip thresholds and from rounding ties, so no element
  // changes level between s - h and s + h. There the output is level * s: finite
  // differences see the level (Qp or -Qn when clipped, round(v/s) inside). Inside,
  // the paper adds -v/s, the straight-through derivative of the rounding, which the
  // forward cannot show; the test adds it by hand. Per channel, each channel's
  // step is perturbed on its own; the gradient scale is set to 1.
  auto generator = make_generator(51);
  const int64_t channels = 3;
  const int64_t per_channel = 200;
  const int64_t bits = 4;
  const float qn = 8.0f;
  const float qp = 7.0f;
  const torch::Tensor steps = floats({0.1f, 0.25f, 0.07f});
  // Levels -Qn+1 .. Qp-1 plus a fraction in +-[0.1, 0.4]; beyond the thresholds by at least 1.
  const torch::Tensor levels = torch::randint(static_cast<int64_t>(-qn + 1), static_cast<int64_t>(qp), {channels, per_channel}, generator);
  const torch::Tensor fraction = (0.1f + 0.3f * torch::rand({channels, per_channel}, generator)) *
                                 (torch::randint(0, 2, {channels, per_channel}, generator) * 2 - 1);
  torch::Tensor scaled = levels.to(torch::kFloat) + fraction;
  const torch::Tensor clip_choice = torch::rand({channels, per_channel}, generator);
  scaled = torch::where(clip_choice < 0.15, qp + 1.0f + 3.0f * torch::rand({channels, per_channel}, generator), scaled);
  scaled = torch::where(clip_choice > 0.85, -qn - 1.0f - 3.0f * torch::rand({channels, per_channel}, generator), scaled);
  const torch::Tensor x = scaled * steps.unsqueeze(1);
  const torch::Tensor weights = torch::randn({channels, per_channel}, generator);

  const torch::Tensor step = steps.clone().requires_grad_();
  ops::lsq(x, step, bits, Signedness::Signed, 1.0).backward(weights);

  const auto objective = [&](const torch::Tensor& s) {
    const torch::Tensor y = ops::lsq(x, s, bits, Signedness::Signed, 1.0);
    return (y.to(torch::kDouble) * weights.to(torch::kDouble)).sum().item<double>();
  };
  const torch::Tensor x_over_step = x / steps.unsqueeze(1);
  const torch::Tensor inside = (x_over_step > -qn).logical_and(x_over_step < qp);
  for (int64_t c = 0; c < channels; ++c) {
    const float s = steps[c].item<float>();
    const float h = 1e-3f * s;
    torch::Tensor up = steps.clone();
    torch::Tensor down = steps.clone();
    up[c] = s + h;
    down[c] = s - h;
    const double finite_difference = (objective(up) - objective(down)) / (2.0 * static_cast<double>(h));
    const double straight_through = -(weights[c] * (x[c] / s) * inside[c].to(torch::kFloat)).sum().item<double>();
    INFO("channel " << c);
    REQUIRE(step.grad()[c].item<double>() == Approx(finite_difference + straight_through).epsilon(1e-3).margin(1e-2));
  }
}

TEST_CASE("lsq gives the same bits with one thread or two, and matches the reference on large inputs", "[quantops]") {
  // Long enough for several parallel chunks and reduction blocks per channel.
  auto generator = make_generator(61);
  const torch::Tensor x = torch::randn({4, 50000}, generator) * 0.5;
  const torch::Tensor grad_y = torch::randn({4, 50000}, generator);
  const torch::Tensor step = floats({0.02f, 0.03f, 0.05f, 0.01f});
  const auto call = [](const torch::Tensor& in, const torch::Tensor& s) { return ops::lsq(in, s, 4, Signedness::Signed); };

  const int threads_before = at::get_num_threads();
  at::set_num_threads(1);
  const auto one_thread = run_with_gradients(call, x, step, grad_y, true, true);
  at::set_num_threads(2);
  const auto two_threads = run_with_gradients(call, x, step, grad_y, true, true);
  at::set_num_threads(threads_before);

  REQUIRE(torch::equal(one_thread.output, two_threads.output));
  REQUIRE(torch::equal(one_thread.grad_x, two_threads.grad_x));
  REQUIRE(torch::equal(one_thread.grad_param, two_threads.grad_param));

  const auto reference = run_with_gradients(
      [](const torch::Tensor& in, const torch::Tensor& s) { return ops::reference::lsq(in, s, 4, Signedness::Signed); },
      x, step, grad_y, true, true);
  REQUIRE(torch::equal(one_thread.output, reference.output));
  REQUIRE(torch::allclose(one_thread.grad_param, reference.grad_param, 1e-4, 1e-3));
}

TEST_CASE("lsq refuses bad arguments with a clear message", "[quantops]") {
  const torch::Tensor x = torch::ones({3, 4});
  REQUIRE_THROWS_WITH(ops::lsq(x, torch::ones({4}), 4, Signedness::Signed), Catch::Contains("one per channel along dim 0"));
  REQUIRE_THROWS_WITH(ops::lsq(torch::ones({}), torch::ones({3}), 4, Signedness::Signed), Catch::Contains("one per channel"));
  REQUIRE_THROWS_WITH(ops::lsq(x, floats({0.1f, -0.1f, 0.1f}), 4, Signedness::Signed), Catch::Contains("positive"));
  REQUIRE_THROWS_WITH(ops::lsq(x, torch::ones({1}), 1, Signedness::Signed), Catch::Contains("bits must be in [2, 24]"));
  REQUIRE_THROWS_WITH(ops::lsq(x.to(torch::kDouble), torch::ones({1}), 4, Signedness::Signed), Catch::Contains("float32"));
  REQUIRE_THROWS_WITH(ops::lsq(torch::ones({3}, torch::Device(torch::kMeta)),
                               torch::ones({1}, torch::Device(torch::kMeta)), 4, Signedness::Signed),
                      Catch::Contains("no kernel for meta"));
}

TEST_CASE("lsq on CUDA: forward equals the reference on the GPU and the CPU op, per tensor and per channel, gradients close and deterministic", "[quantops][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("lsq's CUDA kernels are not checked");
  auto generator = make_generator(32);
  int case_index = 0;
  for (const auto& input : input_cases(304, 8)) {
    for (const bool per_channel : {false, true}) {
      const Signedness signedness = case_index % 2 == 0 ? Signedness::Signed : Signedness::Unsigned;
      const int64_t bits = 2 + case_index % 7;
      const bool x_grad = case_index % 4 != 1;
      const bool step_grad = case_index % 4 != 2;
      ++case_index;
      INFO(input.describe() << ", bits " << bits << (signedness == Signedness::Signed ? " signed" : " unsigned")
                            << (per_channel ? " per channel" : " per tensor"));
      const torch::Tensor x = make_tensor(input, generator, 0.08 * static_cast<double>(positive_levels(bits, signedness)));
      const torch::Tensor step = make_step(x, per_channel, case_index % 3 == 0, generator);
      const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
      const QuantizerCall fused = [&](const torch::Tensor& in, const torch::Tensor& s) {
        return ops::lsq(in, s, bits, signedness);
      };
      const QuantizerCall reference = [&](const torch::Tensor& in, const torch::Tensor& s) {
        return ops::reference::lsq(in, s, bits, signedness);
      };
      const GpuRun gpu = run_on_gpu(fused, x, step, grad_y, x_grad, step_grad);
      const GpuRun gpu_again = run_on_gpu(fused, x, step, grad_y, x_grad, step_grad);
      const GpuRun gpu_reference = run_on_gpu(reference, x, step, grad_y, x_grad, step_grad);
      const Gradients cpu = run_with_gradients(fused, x, step, grad_y, x_grad, step_grad);

      REQUIRE(gpu.output_on_gpu);
      REQUIRE(torch::equal(gpu.results.output, gpu_reference.results.output));
      REQUIRE(torch::equal(gpu.results.output, cpu.output));
      const double largest_grad = grad_y.numel() == 0 ? 0.0 : grad_y.abs().max().item<double>();
      if (x_grad) {
        // The reference's x gradient is (grad * s) / s: an ulp off at most.
        REQUIRE(within(gpu.results.grad_x, gpu_reference.results.grad_x, 2.5e-7 * largest_grad));
        REQUIRE(torch::equal(gpu.results.grad_x, cpu.grad_x));
      }
      if (step_grad) {
        REQUIRE(gpu.results.grad_param.sizes() == step.sizes());
        const double bound = 1e-5 * static_cast<double>(positive_levels(bits, signedness) + 1) *
                             (1.0 + grad_y.abs().sum().item<double>());
        REQUIRE(within(gpu.results.grad_param, gpu_reference.results.grad_param, bound));
        REQUIRE(within(gpu.results.grad_param, cpu.grad_param, bound));
        REQUIRE(torch::equal(gpu.results.grad_param, gpu_again.results.grad_param));
      }
    }
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
