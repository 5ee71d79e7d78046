#include "quantlib/ops/Ternary.h"

#include <functional>
#include <vector>

#include <ATen/Parallel.h>
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

Gradients run_without_parameter(const std::function<torch::Tensor(const torch::Tensor&)>& op, const torch::Tensor& x,
                                const torch::Tensor& grad_y) {
  return run_with_gradients([&](const torch::Tensor& in, const torch::Tensor&) { return op(in); }, x, torch::zeros({1}),
                            grad_y, true, false);
}

}  // namespace

TEST_CASE("ternary_weights and ternary_activations match the composed reference exactly", "[weights]") {
  auto generator = make_generator(19);
  int case_index = 0;
  for (const auto& input : input_cases(219, 24)) {
    const torch::Tensor x = make_tensor(input, generator, 0.8);
    const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
    const double factor = case_index++ % 2 == 0 ? 0.7 : 0.4;
    for (const bool per_channel : {false, true}) {
      if (per_channel && x.dim() == 0) continue;
      INFO(input.describe() << (per_channel ? " per channel" : " per tensor") << ", factor " << factor);
      const auto fused = run_without_parameter(
          [&](const torch::Tensor& in) { return ops::ternary_weights(in, per_channel, factor); }, x, grad_y);
      const auto reference = run_without_parameter(
          [&](const torch::Tensor& in) { return ops::reference::ternary_weights(in, per_channel, factor); }, x, grad_y);
      REQUIRE(fused.output.sizes() == x.sizes());
      REQUIRE(fused.output.is_contiguous());
      REQUIRE(torch::equal(fused.output, reference.output));
      REQUIRE(torch::equal(fused.grad_x, reference.grad_x));
    }
    INFO(input.describe() << " activations");
    const auto fused = run_without_parameter([](const torch::Tensor& in) { return ops::ternary_activations(in); }, x, grad_y);
    const auto reference =
        run_without_parameter([](const torch::Tensor& in) { return ops::reference::ternary_activations(in); }, x, grad_y);
    REQUIRE(torch::equal(fused.output, reference.output));
    REQUIRE(torch::equal(fused.grad_x, reference.grad_x));
  }
}

TEST_CASE("ternary_weights follows TWN: delta = 0.7 mean|w|, a = mean |w| above delta", "[weights]") {
  // mean |w| = 3.15 / 6 = 0.525, delta = 0.3675; above: 0.9, 1.2, 0.7, a = 2.8 / 3.
  const torch::Tensor w = floats({0.1f, -0.2f, 0.9f, -1.2f, 0.05f, 0.7f}).requires_grad_();
  const torch::Tensor y = ops::ternary_weights(w, false);
  const float a = static_cast<float>(2.8 / 3.0);
  REQUIRE(torch::allclose(y, floats({0, 0, a, -a, 0, a}), 0.0, 1e-6));
  REQUIRE(y.eq(0).sum().item<int64_t>() == 3);
  const auto levels = ops::ternary_weight_levels(w, false);
  REQUIRE(levels.thresholds.item<float>() == Approx(0.3675).epsilon(1e-6));
  REQUIRE(levels.scales.item<float>() == Approx(2.8 / 3.0).epsilon(1e-6));
  y.backward(torch::full({6}, 2.0f));
  REQUIRE(torch::equal(w.grad(), floats({2, 2, 2, 0, 2, 2})));
}

TEST_CASE("ternary_weights per channel: each channel its own delta and a and an all-zero channel stays zero",
          "[weights]") {
  const torch::Tensor w = torch::stack({floats({1.0f, -1.0f, 0.1f, 0.0f}), floats({0.0f, 0.0f, 0.0f, 0.0f}),
                                        floats({0.02f, -0.5f, 0.4f, 0.03f})});
  const torch::Tensor y = ops::ternary_weights(w, true);
  for (int64_t c = 0; c < 3; ++c) {
    INFO("channel " << c);
    REQUIRE(torch::equal(y[c], ops::ternary_weights(w[c], false)));
  }
  REQUIRE(torch::equal(y[1], torch::zeros({4})));
  // Channel 2: delta = 0.7 * 0.95 / 4 = 0.16625; a = (0.5 + 0.4) / 2.
  REQUIRE(torch::allclose(y[2], floats({0, -0.45f, 0.45f, 0})));
}

TEST_CASE("ternary_activations: -1, 0, 1 strictly beyond +-0.5, gradient clipped to |x| <= 1", "[weights]") {
  const torch::Tensor x = floats({-1.2f, -0.6f, -0.5f, 0.0f, 0.5f, 0.51f, 1.0f, 2.0f}).requires_grad_();
  const torch::Tensor y = ops::ternary_activations(x);
  REQUIRE(torch::equal(y, floats({-1, -1, 0, 0, 0, 1, 1, 1})));
  y.backward(torch::ones({8}));
  REQUIRE(torch::equal(x.grad(), floats({0, 1, 1, 1, 1, 1, 1, 0})));
  REQUIRE(torch::equal(ops::ternary_activations(floats({-0.3f, 0.2f, 0.35f}), 0.25), floats({-1, 0, 1})));
}

TEST_CASE("ternary_weights' levels do not depend on the number of threads", "[weights]") {
  auto generator = make_generator(23);
  const torch::Tensor w = torch::randn({70001, 3}, generator).t();  // non-contiguous, long channels
  const int threads_before = at::get_num_threads();
  at::set_num_threads(1);
  const torch::Tensor one_thread = ops::ternary_weights(w, true);
  at::set_num_threads(2);
  const torch::Tensor two_threads = ops::ternary_weights(w, true);
  at::set_num_threads(threads_before);
  REQUIRE(torch::equal(one_thread, two_threads));
  REQUIRE(torch::equal(one_thread, ops::reference::ternary_weights(w, true)));
}

TEST_CASE("ternary ops refuse bad arguments with a clear message", "[weights]") {
  REQUIRE_THROWS_WITH(ops::ternary_weights(torch::ones({}), true), Catch::Contains("0-dim"));
  REQUIRE_THROWS_WITH(ops::ternary_weights(torch::ones({3}), false, -0.1), Catch::Contains("non-negative"));
  REQUIRE_THROWS_WITH(ops::ternary_activations(torch::ones({3}), NAN), Catch::Contains("non-negative and finite"));
  REQUIRE_THROWS_WITH(ops::ternary_weights(torch::ones({3}, torch::kDouble), false), Catch::Contains("float32"));
  REQUIRE_THROWS_WITH(ops::ternary_activations(torch::ones({3}, torch::Device(torch::kMeta))),
                      Catch::Contains("no kernel for meta"));
}

TEST_CASE("ternary ops on CUDA: values and gradients equal the reference on the GPU and the CPU op, levels deterministic", "[weights][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("the ternary ops' CUDA kernels are not checked");
  // delta and a come from sums of |w| in double: exact sums here, so the CPU's bits.
  auto generator = make_generator(20);
  const torch::Tensor unused = torch::zeros({1});
  int case_index = 0;
  for (const auto& input : input_cases(220, 12)) {
    const torch::Tensor x = make_tensor(input, generator, 0.8);
    const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
    const double factor = case_index++ % 2 == 0 ? 0.7 : 0.4;
    for (const bool per_channel : {false, true}) {
      if (per_channel && x.dim() == 0) continue;
      INFO(input.describe() << (per_channel ? " per channel" : " per tensor") << ", factor " << factor);
      const QuantizerCall fused = [&](const torch::Tensor& in, const torch::Tensor&) {
        return ops::ternary_weights(in, per_channel, factor);
      };
      const QuantizerCall reference = [&](const torch::Tensor& in, const torch::Tensor&) {
        return ops::reference::ternary_weights(in, per_channel, factor);
      };
      const GpuRun gpu = run_on_gpu(fused, x, unused, grad_y, true, false);
      const GpuRun gpu_reference = run_on_gpu(reference, x, unused, grad_y, true, false);
      const Gradients cpu = run_with_gradients(fused, x, unused, grad_y, true, false);
      REQUIRE(gpu.output_on_gpu);
      REQUIRE(torch::equal(gpu.results.output, gpu_reference.results.output));
      REQUIRE(torch::equal(gpu.results.output, cpu.output));
      REQUIRE(torch::equal(gpu.results.grad_x, gpu_reference.results.grad_x));
      REQUIRE(torch::equal(gpu.results.grad_x, cpu.grad_x));
      const auto levels = ops::ternary_weight_levels(x.to(cuda_device()), per_channel, factor);
      const auto cpu_levels = ops::ternary_weight_levels(x, per_channel, factor);
      const auto levels_again = ops::ternary_weight_levels(x.to(cuda_device()), per_channel, factor);
      REQUIRE(levels.thresholds.is_cuda());
      REQUIRE(torch::equal(levels.thresholds.cpu(), cpu_levels.thresholds));
      REQUIRE(torch::equal(levels.scales.cpu(), cpu_levels.scales));
      REQUIRE(torch::equal(levels.thresholds, levels_again.thresholds));
      REQUIRE(torch::equal(levels.scales, levels_again.scales));
    }
    INFO(input.describe() << " activations");
    const QuantizerCall activations = [](const torch::Tensor& in, const torch::Tensor&) {
      return ops::ternary_activations(in);
    };
    const QuantizerCall reference = [](const torch::Tensor& in, const torch::Tensor&) {
      return ops::reference::ternary_activations(in);
    };
    const GpuRun gpu = run_on_gpu(activations, x, unused, grad_y, true, false);
    const GpuRun gpu_reference = run_on_gpu(reference, x, unused, grad_y, true, false);
    const Gradients cpu = run_with_gradients(activations, x, unused, grad_y, true, false);
    REQUIRE(torch::equal(gpu.results.output, gpu_reference.results.output));
    REQUIRE(torch::equal(gpu.results.output, cpu.output));
    REQUIRE(torch::equal(gpu.results.grad_x, gpu_reference.results.grad_x));
    REQUIRE(torch::equal(gpu.results.grad_x, cpu.grad_x));
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
