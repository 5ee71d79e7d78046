#include "quantlib/nn/RPReLU.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

namespace QUANTLAB_TEST_FILE {
namespace {

using quantlib::nn::RPReLU;

TEST_CASE("RPReLU is PReLU_beta(x - gamma) + zeta per channel, with LibTorch's PReLU's gradients", "[rprelu]") {
  torch::manual_seed(6);
  RPReLU act(3);
  CHECK(act->named_parameters().size() == 3);
  // A fresh RPReLU is a PReLU of slope 0.25.
  const torch::Tensor x0 = torch::randn({2, 3, 4, 5});
  CHECK(torch::allclose(act->forward(x0), torch::prelu(x0, torch::full({3}, 0.25))));
  {
    torch::NoGradGuard no_grad;
    act->gamma.copy_(torch::tensor({0.1f, -0.3f, 0.5f}));
    act->beta.copy_(torch::tensor({0.2f, -0.1f, 1.5f}));
    act->zeta.copy_(torch::tensor({-0.4f, 0.2f, 0.0f}));
  }
  const torch::Tensor grad_y = torch::randn({2, 3, 4, 5});
  const torch::Tensor x = x0.clone().requires_grad_();
  const torch::Tensor y = act->forward(x);
  y.backward(grad_y);

  const torch::Tensor rx = x0.clone().requires_grad_();
  const torch::Tensor gamma = act->gamma.detach().clone().requires_grad_();
  const torch::Tensor beta = act->beta.detach().clone().requires_grad_();
  const torch::Tensor zeta = act->zeta.detach().clone().requires_grad_();
  const torch::Tensor ry = torch::prelu(rx - gamma.reshape({1, 3, 1, 1}), beta) + zeta.reshape({1, 3, 1, 1});
  ry.backward(grad_y);

  CHECK(torch::allclose(y, ry, 1e-6, 1e-6));
  CHECK(torch::allclose(x.grad(), rx.grad(), 1e-6, 1e-6));
  CHECK(torch::allclose(act->gamma.grad(), gamma.grad(), 1e-5, 1e-5));
  CHECK(torch::allclose(act->beta.grad(), beta.grad(), 1e-5, 1e-5));
  CHECK(torch::allclose(act->zeta.grad(), zeta.grad(), 1e-5, 1e-5));
  // 2-d input: channels along dim 1 too.
  CHECK(act->forward(torch::randn({4, 3})).sizes() == torch::IntArrayRef({4, 3}));
  CHECK_THROWS_WITH(act->forward(torch::randn({2, 4, 5})), Catch::Contains("3 channels"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
