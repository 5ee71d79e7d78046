#include "quantlib/ops/Binary.h"

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

TEST_CASE("binary_weights and binary_activations match the composed reference exactly", "[weights]") {
  auto generator = make_generator(13);
  for (const auto& input : input_cases(213, 24)) {
    // Scaled so that some |x| exceed the clip at 1.
    const torch::Tensor x = make_tensor(input, generator, 0.8);
    const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
    for (const bool per_channel : {false, true}) {
      if (per_channel && x.dim() == 0) continue;
      INFO(input.describe() << (per_channel ? " per channel" : " per tensor"));
      const auto fused = run_without_parameter([&](const torch::Tensor& in) { return ops::binary_weights(in, per_channel); },
                                               x, grad_y);
      const auto reference = run_without_parameter(
          [&](const torch::Tensor& in) { return ops::reference::binary_weights(in, per_channel); }, x, grad_y);
      REQUIRE(fused.output.sizes() == x.sizes());
      REQUIRE(fused.output.is_contiguous());
      REQUIRE(torch::equal(fused.output, reference.output));
      REQUIRE(torch::equal(fused.grad_x, reference.grad_x));
    }
    INFO(input.describe() << " activations");
    const auto fused = run_without_parameter([](const torch::Tensor& in) { return ops::binary_activations(in); }, x, grad_y);
    const auto reference =
        run_without_parameter([](const torch::Tensor& in) { return ops::reference::binary_activations(in); }, x, grad_y);
    REQUIRE(torch::equal(fused.output, reference.output));
    REQUIRE(torch::equal(fused.grad_x, reference.grad_x));
  }
}

TEST_CASE("binary_weights is sign(w) times mean |w| per channel (sign(0) = +1), gradient clipped to |w| <= 1",
          "[weights]") {
  // Channel 0: mean |w| = (0.5 + 1.5 + 0 + 2) / 4 = 1; channel 1: (0.25 * 3 + 1) / 4 = 0.4375.
  const torch::Tensor w = floats({0.5f, -1.5f, 0.0f, 2.0f, -0.25f, 0.25f, -1.0f, 0.25f}).reshape({2, 4}).requires_grad_();
  const torch::Tensor y = ops::binary_weights(w, true);
  REQUIRE(torch::equal(y, floats({1, -1, 1, 1, -0.4375f, 0.4375f, -0.4375f, 0.4375f}).reshape({2, 4})));
  y.backward(torch::full({2, 4}, 3.0f));
  REQUIRE(torch::equal(w.grad(), floats({3, 0, 3, 0, 3, 3, 3, 3}).reshape({2, 4})));
  REQUIRE(torch::equal(ops::binary_weight_scales(w, true), floats({1.0f, 0.4375f})));
  // Per tensor: one mean over all eight, 5.75 / 8.
  REQUIRE(torch::equal(ops::binary_weight_scales(w, false), floats({0.71875f})));
  REQUIRE(torch::equal(ops::binary_weights(w, false).abs(), torch::full({2, 4}, 0.71875f)));
}

TEST_CASE("binary_activations gives +-1 with sign(0) = +1 and the gradient clipped to |x| <= 1", "[weights]") {
  const torch::Tensor x = floats({-1.5f, -1.0f, -0.2f, 0.0f, 0.3f, 1.0f, 1.01f}).requires_grad_();
  const torch::Tensor y = ops::binary_activations(x);
  REQUIRE(torch::equal(y, floats({-1, -1, -1, 1, 1, 1, 1})));
  y.backward(torch::ones({7}));
  REQUIRE(torch::equal(x.grad(), floats({0, 1, 1, 1, 1, 1, 0})));
}

TEST_CASE("binary_weights' scales do not depend on the number of threads", "[weights]") {
  auto generator = make_generator(17);
  const torch::Tensor w = torch::randn({3, 70001}, generator);
  const int threads_before = at::get_num_threads();
  at::set_num_threads(1);
  const torch::Tensor one_thread = ops::binary_weights(w, true);
  at::set_num_threads(2);
  const torch::Tensor two_threads = ops::binary_weights(w, true);
  at::set_num_threads(threads_before);
  REQUIRE(torch::equal(one_thread, two_threads));
  REQUIRE(torch::equal(one_thread, ops::reference::binary_weights(w, true)));
}

TEST_CASE("binary ops refuse bad arguments with a clear message", "[weights]") {
  REQUIRE_THROWS_WITH(ops::binary_weights(torch::ones({}), true), Catch::Contains("0-dim"));
  REQUIRE_THROWS_WITH(ops::binary_weights(torch::ones({3}, torch::kDouble), false), Catch::Contains("float32"));
  REQUIRE_THROWS_WITH(ops::binary_activations(torch::ones({3}, torch::kInt)), Catch::Contains("float32"));
  REQUIRE_THROWS_WITH(ops::binary_weights(torch::ones({3}, torch::Device(torch::kMeta)), false),
                      Catch::Contains("no kernel for meta"));
}

TEST_CASE("binary ops on CUDA: values and gradients equal the reference on the GPU and the CPU op, scales deterministic", "[weights][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("the binary ops' CUDA kernels are not checked");
  // The scales are means of |w| summed in double: exact sums here (a few
  // thousand floats of similar size), so the same bits as the CPU's.
  auto generator = make_generator(14);
  const torch::Tensor unused = torch::zeros({1});
  for (const auto& input : input_cases(214, 12)) {
    const torch::Tensor x = make_tensor(input, generator, 0.8);
    const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
    for (const bool per_channel : {false, true}) {
      if (per_channel && x.dim() == 0) continue;
      INFO(input.describe() << (per_channel ? " per channel" : " per tensor"));
      const QuantizerCall fused = [&](const torch::Tensor& in, const torch::Tensor&) {
        return ops::binary_weights(in, per_channel);
      };
      const QuantizerCall reference = [&](const torch::Tensor& in, const torch::Tensor&) {
        return ops::reference::binary_weights(in, per_channel);
      };
      const GpuRun gpu = run_on_gpu(fused, x, unused, grad_y, true, false);
      const GpuRun gpu_reference = run_on_gpu(reference, x, unused, grad_y, true, false);
      const Gradients cpu = run_with_gradients(fused, x, unused, grad_y, true, false);
      REQUIRE(gpu.output_on_gpu);
      REQUIRE(torch::equal(gpu.results.output, gpu_reference.results.output));
      REQUIRE(torch::equal(gpu.results.output, cpu.output));
      REQUIRE(torch::equal(gpu.results.grad_x, gpu_reference.results.grad_x));
      REQUIRE(torch::equal(gpu.results.grad_x, cpu.grad_x));
      const torch::Tensor scales = ops::binary_weight_scales(x.to(cuda_device()), per_channel);
      REQUIRE(scales.is_cuda());
      REQUIRE(torch::equal(scales.cpu(), ops::binary_weight_scales(x, per_channel)));
      REQUIRE(torch::equal(scales, ops::binary_weight_scales(x.to(cuda_device()), per_channel)));
    }
    INFO(input.describe() << " activations");
    const QuantizerCall activations = [](const torch::Tensor& in, const torch::Tensor&) {
      return ops::binary_activations(in);
    };
    const QuantizerCall reference = [](const torch::Tensor& in, const torch::Tensor&) {
      return ops::reference::binary_activations(in);
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
