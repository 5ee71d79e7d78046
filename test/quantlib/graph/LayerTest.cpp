#include "quantlib/graph/Layer.h"

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/graph/Edit.h"
#include "quantlib/graph/GraphTesting.h"
#include "quantlib/algorithms/pact/PactQuantizer.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlib;
using graph::test::SmallNet;

TEST_CASE("short_type_name strips namespaces, template arguments and Impl", "[graph]") {
  CHECK(graph::short_type_name("torch::nn::Conv2dImpl") == "Conv2d");
  CHECK(graph::short_type_name("quantlib::nn::PactQuantizer") == "PactQuantizer");
  CHECK(graph::short_type_name("QuantConv2d") == "QuantConv2d");
  CHECK(graph::short_type_name("(anonymous namespace)::Net") == "Net");
  CHECK(graph::short_type_name("torch::nn::ConvNdImpl<2, torch::nn::Conv2dImpl>") == "ConvNd");
  CHECK(graph::short_type_name("Impl") == "Impl");
}

TEST_CASE("list_layers: dotted names, types and calling Blocks in registration order", "[graph]") {
  auto network = std::make_shared<SmallNet>();
  const auto layers = graph::list_layers(*network);
  std::vector<std::string> names, types;
  for (const auto& layer : layers) {
    names.push_back(layer.name);
    types.push_back(layer.type);
  }
  CHECK(names == std::vector<std::string>{"features", "features.conv1", "features.bn1", "features.relu1",
                                          "features.conv2", "features.bn2", "features.relu2", "pool", "fc1", "bn3",
                                          "relu3", "head", "head.linear"});
  CHECK(types == std::vector<std::string>{"Sequential", "Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d",
                                          "ReLU", "MaxPool2d", "Linear", "BatchNorm1d", "ReLU", "PlainHead",
                                          "Linear"});
  CHECK(layers[0].parent == network.get());
  CHECK(layers[0].name_in_parent == "features");
  CHECK(layers[1].parent == network->features.get());
  CHECK(layers[1].name_in_parent == "conv1");
  CHECK(layers[1].module.get() == network->features->layer("conv1").get());
  CHECK(layers[11].parent == network.get());
  // A plain module calls its children through typed handles: they cannot be edited.
  CHECK(layers[12].parent == nullptr);
  CHECK(layers[12].name_in_parent == "linear");
  for (const auto& layer : layers) CHECK(layer.original_type.empty());
}

TEST_CASE("list_layers: a twin answers to its original's type and stands for it and quantizers are listed",
          "[graph]") {
  auto network = std::make_shared<SmallNet>();
  graph::replace_with_twins(*network, {graph::find_layer(*network, "features.conv1")});
  graph::insert_after(*network, "relu3",
                      std::make_shared<nn::PactQuantizer>(4, ops::Signedness::Unsigned, 1.0));
  const auto layers = graph::list_layers(*network);
  REQUIRE(layers.size() == 14);
  const graph::Layer twin = graph::find_layer(*network, "features.conv1");
  CHECK(twin.type == "QuantConv2d");
  CHECK(twin.original_type == "Conv2d");
  CHECK(twin.is("Conv2d"));
  CHECK(twin.is("QuantConv2d"));
  CHECK_FALSE(twin.is("Linear"));
  // The wrapped Conv2d is not listed a second time.
  for (const auto& layer : layers) CHECK(layer.name != "features.conv1.conv");

  const graph::Layer quantizer = graph::find_layer(*network, "relu3_output_quantizer");
  CHECK(quantizer.type == "PactQuantizer");
  CHECK(quantizer.parent == nullptr);  // not a layer the block calls
}

TEST_CASE("find_layer names the missing layer and names_by_module maps modules back to names", "[graph]") {
  auto network = std::make_shared<SmallNet>();
  CHECK_THROWS_WITH(graph::find_layer(*network, "features.conv3"), Catch::Contains("'features.conv3'"));
  const auto names = graph::names_by_module(*network);
  CHECK(names.at(network->features->layer("bn2").get()) == "features.bn2");
  CHECK(names.at(network->layer("head").get()) == "head");
  CHECK(names.count(network.get()) == 0);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
