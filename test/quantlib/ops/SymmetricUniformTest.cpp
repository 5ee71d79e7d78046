#include "quantlib/ops/SymmetricUniform.h"

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

// One scale, or one per channel along dim 0 in the {C} or {C, 1, ...} shape by turns.
torch::Tensor make_scale(const torch::Tensor& x, bool per_channel, bool broadcast_shape, at::Generator& generator) {
  if (!per_channel || x.dim() == 0) return 0.02f + 0.1f * torch::rand({1}, generator);
  std::vector<int64_t> shape{x.size(0)};
  if (broadcast_shape) shape.resize(static_cast<size_t>(x.dim()), 1);
  return 0.02f + 0.1f * torch::rand(shape, generator);
}

}  // namespace

TEST_CASE("symmetric_uniform matches the composed reference: forward and gradient exactly", "[weights]") {
  auto generator = make_generator(11);
  int case_index = 0;
  for (const auto& input : input_cases(211, 24)) {
    for (const bool per_channel : {false, true}) {
      const int64_t bits = 2 + case_index % 7;
      ++case_index;
      INFO(input.describe() << ", bits " << bits << (per_channel ? " per channel" : " per tensor"));
      const torch::Tensor x = make_tensor(input, generator, 0.05 * static_cast<double>(ops::symmetric_level_max(bits)));
      const torch::Tensor scale = make_scale(x, per_channel, case_index % 3 == 0, generator);
      const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
      const auto call = [&](auto op) {
        return run_with_gradients([&](const torch::Tensor& in, const torch::Tensor& s) { return op(in, s, bits); }, x,
                                  scale, grad_y, true, false);
      };
      const auto fused = call([](const torch::Tensor& in, const torch::Tensor& s, int64_t b) {
        return ops::symmetric_uniform(in, s, b);
      });
      const auto reference = call([](const torch::Tensor& in, const torch::Tensor& s, int64_t b) {
        return ops::reference::symmetric_uniform(in, s, b);
      });
      REQUIRE(fused.output.sizes() == x.sizes());
      REQUIRE(fused.output.is_contiguous());
      REQUIRE(torch::equal(fused.output, reference.output));
      REQUIRE(torch::equal(fused.grad_x, reference.grad_x));
    }
  }
}

TEST_CASE("symmetric_uniform rounds to the 2^(b-1)-1 levels each side and passes gradients inside [-Qs, Qs]",
          "[weights]") {
  // 3 bits: Q = 3; s = 0.5 keeps x / s exact. Ties go to even (0.5 -> 0, 1.5 -> 2).
  const torch::Tensor x = floats({-2.0f, -1.6f, -1.5f, -0.3f, 0.25f, 0.75f, 1.5f, 1.51f, 3.0f}).requires_grad_();
  const torch::Tensor scale = torch::full({1}, 0.5f).requires_grad_();
  const torch::Tensor y = ops::symmetric_uniform(x, scale, 3);
  REQUIRE(torch::equal(y, floats({-1.5f, -1.5f, -1.5f, -0.5f, 0.0f, 1.0f, 1.5f, 1.5f, 1.5f})));
  y.backward(torch::full({9}, 2.0f));
  REQUIRE(torch::equal(x.grad(), floats({0, 0, 2, 2, 2, 2, 2, 0, 0})));
  // The scale is fixed: no gradient reaches it.
  REQUIRE_FALSE(scale.grad().defined());
}

TEST_CASE("symmetric_uniform per channel uses each channel's own scale", "[weights]") {
  const torch::Tensor x = torch::full({2, 3}, 0.7f);
  const torch::Tensor y = ops::symmetric_uniform(x, floats({0.5f, 0.25f}), 2);  // Q = 1
  REQUIRE(torch::equal(y, torch::stack({torch::full({3}, 0.5f), torch::full({3}, 0.25f)})));
}

TEST_CASE("symmetric_uniform refuses bad arguments with a clear message", "[weights]") {
  const torch::Tensor x = torch::ones({3, 4});
  REQUIRE_THROWS_WITH(ops::symmetric_uniform(x, torch::ones({1}), 1), Catch::Contains("bits must be in [2, 24]"));
  REQUIRE_THROWS_WITH(ops::symmetric_uniform(x, torch::ones({1}), 25), Catch::Contains("bits must be in [2, 24]"));
  REQUIRE_THROWS_WITH(ops::symmetric_uniform(x, torch::ones({4}), 4), Catch::Contains("one per channel along dim 0"));
  REQUIRE_THROWS_WITH(ops::symmetric_uniform(x, floats({0.1f, 0.0f, 0.1f}), 4), Catch::Contains("positive normal"));
  REQUIRE_THROWS_WITH(ops::symmetric_uniform(x.to(torch::kDouble), torch::ones({1}), 4), Catch::Contains("float32"));
  REQUIRE_THROWS_WITH(ops::symmetric_uniform(torch::ones({3}, torch::Device(torch::kMeta)),
                                             torch::ones({1}, torch::Device(torch::kMeta)), 4),
                      Catch::Contains("no kernel for meta"));
}

TEST_CASE("symmetric_uniform on CUDA: forward and gradient equal the reference on the GPU and the CPU op, per tensor and per channel", "[weights][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("symmetric_uniform's CUDA kernels are not checked");
  auto generator = make_generator(17);
  int case_index = 0;
  for (const auto& input : input_cases(217, 8)) {
    for (const bool per_channel : {false, true}) {
      const int64_t bits = 2 + case_index % 7;
      ++case_index;
      INFO(input.describe() << ", bits " << bits << (per_channel ? " per channel" : " per tensor"));
      const torch::Tensor x = make_tensor(input, generator, 0.5);
      const torch::Tensor scale = make_scale(x, per_channel, case_index % 3 == 0, generator);
      const torch::Tensor grad_y = make_tensor(input, generator, 1.0);
      const QuantizerCall fused = [&](const torch::Tensor& in, const torch::Tensor& s) {
        return ops::symmetric_uniform(in, s, bits);
      };
      const QuantizerCall reference = [&](const torch::Tensor& in, const torch::Tensor& s) {
        return ops::reference::symmetric_uniform(in, s, bits);
      };
      const GpuRun gpu = run_on_gpu(fused, x, scale, grad_y, true, false);
      const GpuRun gpu_reference = run_on_gpu(reference, x, scale, grad_y, true, false);
      const Gradients cpu = run_with_gradients(fused, x, scale, grad_y, true, false);
      REQUIRE(gpu.output_on_gpu);
      REQUIRE(torch::equal(gpu.results.output, gpu_reference.results.output));
      REQUIRE(torch::equal(gpu.results.output, cpu.output));
      REQUIRE(torch::equal(gpu.results.grad_x, gpu_reference.results.grad_x));
      REQUIRE(torch::equal(gpu.results.grad_x, cpu.grad_x));
    }
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
