#include "quantlib/graph/FoldBatchNorm.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/graph/Edit.h"
#include "quantlib/graph/GraphTesting.h"
#include "quantlib/graph/Rule.h"
#include "quantlib/algorithms/pact/PactQuantizer.h"
#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/nn/Sequential.h"
#include "support/BatchNorms.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlib;
using graph::Rule;
using graph::test::SmallNet;
using quantlab::test::randomise_batch_norms;
using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("fold_batch_norm: eval outputs unchanged, conv with and without bias, Linear + BatchNorm1d",
          "[graph]") {
  torch::manual_seed(81);
  auto network = std::make_shared<SmallNet>();
  randomise_batch_norms(*network);
  network->eval();
  const torch::Tensor x = torch::randn({5, 2, 4, 4});
  const torch::Tensor before = network->forward(x);
  const torch::Tensor conv2_weight = network->features->layer("conv2")->named_parameters()["weight"];
  REQUIRE_FALSE(network->features->layer("conv2")->named_parameters().contains("bias"));
  const auto bn2 = network->features->layer("bn2")->as<torch::nn::BatchNorm2dImpl>();
  const torch::Tensor expected_conv2 =
      conv2_weight.detach() * (bn2->weight / (bn2->running_var + bn2->options.eps()).sqrt()).detach().view({-1, 1, 1, 1});

  const Pairs folded = graph::fold_batch_norm(*network);
  CHECK(folded == Pairs{{"fc1", "bn3"}, {"features.conv1", "features.bn1"}, {"features.conv2", "features.bn2"}});
  for (const auto& norm : {"features.bn1", "features.bn2", "bn3"}) {
    INFO(norm);
    CHECK(graph::find_layer(*network, norm).type == "Identity");
  }
  const torch::Tensor after = network->forward(x);
  CHECK((after - before).abs().max().item<float>() < 1e-5f);
  // Folding is not a no-op: the batch-norms had non-trivial statistics.
  CHECK(torch::allclose(network->features->layer("conv2")->named_parameters()["weight"], expected_conv2, 1e-6, 1e-7));
  // Weights updated in place; the conv without bias got one, and it trains.
  CHECK(network->features->layer("conv2")->named_parameters()["weight"].data_ptr() == conv2_weight.data_ptr());
  const auto conv2 = network->features->layer("conv2")->as<torch::nn::Conv2dImpl>();
  REQUIRE(conv2->bias.defined());
  CHECK(conv2->bias.requires_grad());
  CHECK(network->named_parameters().contains("features.conv2.bias"));
  CHECK(conv2->options.bias());
  CHECK(network->named_parameters().size() == 2 + 2 + 2 + 2);  // conv1, conv2, fc1, head.linear
  network->forward(x).sum().backward();
  CHECK(conv2->bias.grad().defined());
}

TEST_CASE("fold_batch_norm folds into twins, in training mode too, and leaves lone batch-norms alone",
          "[graph]") {
  torch::manual_seed(82);
  nn::Sequential network;
  network->push_back("bn0", torch::nn::BatchNorm2d(2));  // nothing before it
  network->push_back("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 3, 1)));
  network->push_back("relu", torch::nn::ReLU());
  network->push_back("bn1", torch::nn::BatchNorm2d(3));  // after a ReLU
  network->push_back("conv_q", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 3, 3).bias(false)));
  network->push_back("bn2", torch::nn::BatchNorm2d(3));
  randomise_batch_norms(*network);
  graph::replace_with_twins(*network, graph::select(*network, Rule::name("conv_q")));
  network->eval();
  const torch::Tensor x = torch::randn({2, 2, 5, 5});
  const torch::Tensor before = network(x);

  network->train();
  CHECK(graph::fold_batch_norm(*network) == Pairs{{"conv_q", "bn2"}});
  network->eval();
  CHECK(graph::find_layer(*network, "bn0").type == "BatchNorm2d");
  CHECK(graph::find_layer(*network, "bn1").type == "BatchNorm2d");
  CHECK(graph::find_layer(*network, "bn2").type == "Identity");
  CHECK_FALSE(network->layer("bn2")->is_training());
  CHECK(network->layer("conv_q")->as<nn::QuantConv2dImpl>()->conv()->bias.defined());
  CHECK((network(x) - before).abs().max().item<float>() < 1e-5f);
}

TEST_CASE("fold_batch_norm refuses mismatched channels, missing statistics and quantizers in between",
          "[graph]") {
  {
    nn::Sequential network;
    network->push_back("fc", torch::nn::Linear(4, 5));
    network->push_back("bn", torch::nn::BatchNorm1d(4));
    CHECK_THROWS_WITH(graph::fold_batch_norm(*network),
                      Catch::Contains("'bn' (4 features)") && Catch::Contains("'fc' (5 output channels)"));
  }
  {
    nn::Sequential network;
    network->push_back("fc", torch::nn::Linear(4, 5));
    network->push_back("bn", torch::nn::BatchNorm1d(torch::nn::BatchNormOptions(5).track_running_stats(false)));
    CHECK_THROWS_WITH(graph::fold_batch_norm(*network), Catch::Contains("no running statistics"));
  }
  {
    nn::Sequential network;
    network->push_back("fc", torch::nn::Linear(4, 5));
    network->push_back("bn", torch::nn::BatchNorm1d(5));
    network->set_input_quantizer("bn", std::make_shared<nn::PactQuantizer>(4, ops::Signedness::Signed, 1.0));
    CHECK_THROWS_WITH(graph::fold_batch_norm(*network), Catch::Contains("a quantizer sits between them"));
    CHECK(graph::find_layer(*network, "bn").type == "BatchNorm1d");
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
