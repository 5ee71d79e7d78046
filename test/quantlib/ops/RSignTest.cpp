#include "quantlib/ops/RSign.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "support/CudaDevices.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using quantlib::test::cuda_device;

// Bi-Real Net's ApproxSign, a smooth function whose derivative is the
// gradient rsign claims (2 - 2|z| inside (-1, 1)): autograd through it is an
// independent reference for rsign's backward.
torch::Tensor approx_sign(const torch::Tensor& z) {
  const torch::Tensor inside = torch::where(z < 0, 2 * z + z * z, 2 * z - z * z);
  return torch::where(z < -1, -torch::ones_like(z), torch::where(z >= 1, torch::ones_like(z), inside));
}

torch::Tensor along_dim1(const torch::Tensor& b, int64_t dims) {
  std::vector<int64_t> shape(static_cast<size_t>(dims), 1);
  shape[1] = b.numel();
  return b.reshape(shape);
}

TEST_CASE("rsign is sign(x - b) per channel, +1 at the threshold", "[rsign]") {
  const torch::Tensor b = torch::tensor({0.5f, -1.0f});
  const torch::Tensor x = torch::tensor({0.5f, 0.4f, 2.0f, -1.0f, -1.1f, 0.0f}).reshape({1, 2, 3});
  const torch::Tensor y = ops::rsign(x, b);
  CHECK(torch::equal(y, torch::tensor({1.0f, -1.0f, 1.0f, 1.0f, -1.0f, 1.0f}).reshape({1, 2, 3})));
  CHECK(y.scalar_type() == torch::kFloat);
}

TEST_CASE("rsign's gradients of x and of the thresholds are ApproxSign's, for 2-d and 4-d inputs", "[rsign]") {
  torch::manual_seed(3);
  for (const auto& shape : {std::vector<int64_t>{6, 5}, std::vector<int64_t>{3, 4, 5, 2}}) {
    const int64_t channels = shape[1];
    const torch::Tensor x0 = torch::randn(shape) * 1.2;
    const torch::Tensor b0 = torch::randn({channels}) * 0.3;
    const torch::Tensor grad_y = torch::randn(shape);

    const torch::Tensor x = x0.clone().requires_grad_();
    const torch::Tensor b = b0.clone().requires_grad_();
    const torch::Tensor y = ops::rsign(x, b);
    y.backward(grad_y);

    const torch::Tensor rx = x0.to(torch::kDouble).requires_grad_();
    const torch::Tensor rb = b0.to(torch::kDouble).requires_grad_();
    const torch::Tensor ry = approx_sign(rx - along_dim1(rb, rx.dim()));
    ry.backward(grad_y.to(torch::kDouble));

    // Forward: the sign of ApproxSign, which has rsign's zeros.
    CHECK(torch::equal(y, torch::where(ry.detach() >= 0, 1.0, -1.0).to(torch::kFloat)));
    CHECK(torch::allclose(x.grad().to(torch::kDouble), rx.grad(), 1e-5, 1e-6));
    CHECK(torch::allclose(b.grad().to(torch::kDouble), rb.grad(), 1e-4, 1e-5));
    // Some inputs outside the window, some inside: both parts are exercised.
    CHECK(x.grad().eq(0).any().item<bool>());
    CHECK(x.grad().ne(0).any().item<bool>());
  }
}

TEST_CASE("rsign refuses thresholds that do not match the channels", "[rsign]") {
  CHECK_THROWS_WITH(ops::rsign(torch::zeros({2, 3}), torch::zeros({2})), Catch::Contains("one threshold per channel"));
  CHECK_THROWS_WITH(ops::rsign(torch::zeros({3}), torch::zeros({3})), Catch::Contains("channel dim 1"));
  CHECK_THROWS_WITH(ops::rsign(torch::zeros({2, 3}, torch::kDouble), torch::zeros({3})), Catch::Contains("float32"));
}

TEST_CASE("rsign on CUDA: composed LibTorch ops, the CPU's values and gradients", "[rsign][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("rsign on CUDA is not checked");
  // No fused kernel: rsign is LibTorch ops, which run on either device.
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({4, 3, 5, 5});
  const torch::Tensor threshold = 0.1f * torch::randn({3});
  const torch::Tensor grad_y = torch::randn({4, 3, 5, 5});
  const auto run = [&](const torch::Device& device) {
    const torch::Tensor x_leaf = x.to(device).requires_grad_(true);
    const torch::Tensor threshold_leaf = threshold.to(device).requires_grad_(true);
    const torch::Tensor y = ops::rsign(x_leaf, threshold_leaf);
    torch::autograd::backward({y}, {grad_y.to(device)});
    return std::vector<torch::Tensor>{y.cpu(), x_leaf.grad().cpu(), threshold_leaf.grad().cpu()};
  };
  const auto cpu = run(torch::kCPU);
  const auto gpu = run(cuda_device());
  REQUIRE(torch::equal(gpu[0], cpu[0]));
  // LibTorch's CUDA kernels may contract 2 - 2|z| into an FMA, and sum in another order.
  REQUIRE(torch::allclose(gpu[1], cpu[1], 1e-6, 1e-6));
  REQUIRE(torch::allclose(gpu[2], cpu[2], 1e-5, 1e-5));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
