#include "support/BatchNorms.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

TEST_CASE("randomise_batch_norms moves every batch norm, of any kind, and nothing else", "[support]") {
  torch::manual_seed(5);
  torch::nn::Sequential network(torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 8, 3)), torch::nn::BatchNorm2d(8),
                                torch::nn::Flatten(), torch::nn::Linear(8, 64), torch::nn::BatchNorm1d(64));
  const auto conv_weight = network[0]->named_parameters()["weight"].clone();
  const auto linear_weight = network[3]->named_parameters()["weight"].clone();

  quantlab::test::randomise_batch_norms(*network);

  for (const std::size_t at : {1, 4}) {
    CAPTURE(at);
    const auto buffers = network[at]->named_buffers();
    const auto parameters = network[at]->named_parameters();
    for (const char* statistic : {"running_mean", "running_var"}) {
      CAPTURE(statistic);
      CHECK(buffers[statistic].min().item<float>() >= 0.5f);
      CHECK(buffers[statistic].max().item<float>() < 1.5f);
    }
    // A fresh batch norm's scale is all ones and its shift all zeros; a
    // standard normal draw gives some of either sign.
    CHECK(parameters["weight"].min().item<float>() < 0);
    CHECK(parameters["weight"].max().item<float>() > 0);
    CHECK(parameters["bias"].min().item<float>() < 0);
    CHECK(parameters["bias"].max().item<float>() > 0);
  }
  CHECK(torch::equal(network[0]->named_parameters()["weight"], conv_weight));
  CHECK(torch::equal(network[3]->named_parameters()["weight"], linear_weight));
}
