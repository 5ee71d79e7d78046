#include "manager/dist/SyncBatchNorm.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "manager/dist/TestCommunicators.h"
#include "quantlib/nn/Sequential.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;

namespace {

struct Result {
  torch::Tensor output, grad_input, grad_weight, grad_bias, running_mean, running_var;
};

template <typename Layer>
Result run(Layer& layer, const torch::Tensor& input, const torch::Tensor& weight, const torch::Tensor& bias,
           const torch::Tensor& running_mean, const torch::Tensor& running_var) {
  torch::Tensor x = input.clone().requires_grad_(true);
  const torch::Tensor y = layer->forward(x);
  (y * torch::linspace(-1, 1, y.numel()).view(y.sizes())).sum().backward();
  return {y.detach(), x.grad(), weight.grad().clone(), bias.grad().clone(), running_mean.clone(),
          running_var.clone()};
}

}  // namespace

TEST_CASE("SyncBatchNorm on one rank, and with identical peers, computes what BatchNorm2d does", "[dist]") {
  torch::manual_seed(3);
  const torch::Tensor input = torch::randn({6, 3, 4, 5}) * 2 + 1;
  for (const int ranks : {1, 2}) {
    CAPTURE(ranks);
    torch::nn::BatchNorm2d plain(torch::nn::BatchNorm2dOptions(3).momentum(0.2));
    torch::nn::BatchNorm2d adopted(torch::nn::BatchNorm2dOptions(3).momentum(0.2));
    {
      torch::NoGradGuard no_grad;
      plain->weight.uniform_(0.5, 1.5);
      plain->bias.uniform_(-0.5, 0.5);
      adopted->weight.copy_(plain->weight);
      adopted->bias.copy_(plain->bias);
    }
    test::MirrorCommunicator communicator(ranks);
    SyncBatchNorm synced(*adopted, communicator);
    // The same tensors under the same names: checkpoints fit either way.
    CHECK(synced->named_parameters()["weight"].is_same(adopted->weight));
    CHECK(synced->named_buffers()["running_var"].is_same(adopted->running_var));
    CHECK(synced->named_buffers().keys() == adopted->named_buffers().keys());

    const Result expected = run(plain, input, plain->weight, plain->bias, plain->running_mean, plain->running_var);
    const Result got = run(synced, input, adopted->weight, adopted->bias, adopted->running_mean,
                           adopted->running_var);
    CHECK(torch::allclose(got.output, expected.output, 1e-5, 1e-5));
    CHECK(torch::allclose(got.grad_input, expected.grad_input, 1e-5, 1e-5));
    CHECK(torch::allclose(got.grad_weight, expected.grad_weight, 1e-5, 1e-5));
    CHECK(torch::allclose(got.grad_bias, expected.grad_bias, 1e-5, 1e-5));
    CHECK(torch::allclose(got.running_mean, expected.running_mean, 1e-6, 1e-6));
    // Running variance is unbiased over the global count: n values per rank.
    const double n = 6 * 4 * 5;
    const double global = n * ranks;
    const torch::Tensor biased = input.var({0, 2, 3}, /*unbiased=*/false);
    CHECK(torch::allclose(got.running_var, 0.8 * torch::ones({3}) + 0.2 * biased * (global / (global - 1)), 1e-5,
                          1e-5));
    CHECK(adopted->num_batches_tracked.item<int64_t>() == 1);
    // Two reductions: statistics forward, gradient sums backward.
    CHECK(communicator.sizes == std::vector<int64_t>{2 * 3 + 1, 2 * 3});

    // Eval mode normalises with the running statistics, as BatchNorm does.
    plain->eval();
    synced->eval();
    adopted->running_var.copy_(plain->running_var);
    CHECK(torch::allclose(synced->forward(input), plain->forward(input), 1e-5, 1e-5));
  }
}

TEST_CASE("synchronize_batch_norms swaps every batch norm a Block calls", "[dist]") {
  quantlib::nn::Sequential net;
  net->push_back("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 2, 3)));
  net->push_back("bn", torch::nn::BatchNorm2d(2));
  net->push_back("flatten", torch::nn::Flatten());
  net->push_back("bn1d", torch::nn::BatchNorm1d(2 * 3 * 3));
  const auto names = net->named_parameters().keys();
  test::MirrorCommunicator communicator(2);
  CHECK(synchronize_batch_norms(*net, communicator) == 2);
  CHECK(net->named_parameters().keys() == names);
  CHECK(std::dynamic_pointer_cast<SyncBatchNormImpl>(net->layer("bn")));
  CHECK(std::dynamic_pointer_cast<SyncBatchNormImpl>(net->layer("bn1d")));
  // Runs in training mode through the swapped layers.
  CHECK(net->forward(torch::randn({4, 1, 5, 5})).sizes() == torch::IntArrayRef{4, 18});
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
