#include "quantlib/graph/Rule.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/graph/Edit.h"
#include "quantlib/graph/GraphTesting.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlib;
using graph::Rule;
using graph::test::SmallNet;

namespace {

std::vector<std::string> selected(torch::nn::Module& network, const Rule& rule) {
  std::vector<std::string> names;
  for (const auto& layer : graph::select(network, rule)) names.push_back(layer.name);
  return names;
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("Rule::name is a glob on the dotted name", "[graph]") {
  auto network = std::make_shared<SmallNet>();
  CHECK(selected(*network, Rule::name("features.conv*")) == Names{"features.conv1", "features.conv2"});
  CHECK(selected(*network, Rule::name("*relu?")) == Names{"features.relu1", "features.relu2", "relu3"});
  CHECK(selected(*network, Rule::name("relu?")) == Names{"relu3"});
  CHECK(selected(*network, Rule::name("*.*")) ==
        Names{"features.conv1", "features.bn1", "features.relu1", "features.conv2", "features.bn2",
              "features.relu2", "head.linear"});
  CHECK(selected(*network, Rule::name("fc1")) == Names{"fc1"});
  CHECK(selected(*network, Rule::name("fc")).empty());
  CHECK(selected(*network, Rule::name("*")).size() == 13);
  CHECK(Rule::name("conv*").describe() == "name ~ \"conv*\"");
}

TEST_CASE("Rule::regex must match the whole dotted name", "[graph]") {
  auto network = std::make_shared<SmallNet>();
  CHECK(selected(*network, Rule::regex("features\\.(conv|bn)2")) == Names{"features.conv2", "features.bn2"});
  CHECK(selected(*network, Rule::regex("bn[0-9]")) == Names{"bn3"});
  CHECK(selected(*network, Rule::regex("conv")).empty());
  CHECK(Rule::regex("bn.").describe() == "regex \"bn.\"");
  CHECK_THROWS_AS(Rule::regex("conv[1"), std::invalid_argument);
  CHECK_THROWS_WITH(Rule::regex("conv[1"), Catch::Contains("\"conv[1\""));
}

TEST_CASE("Rule::type selects by type and twins by their original's type", "[graph]") {
  auto network = std::make_shared<SmallNet>();
  CHECK(selected(*network, Rule::type("Conv2d")) == Names{"features.conv1", "features.conv2"});
  CHECK(selected(*network, Rule::type(std::vector<std::string>{"Linear", "BatchNorm1d"})) ==
        Names{"fc1", "bn3", "head.linear"});
  CHECK(selected(*network, Rule::type("QuantConv2d")).empty());
  graph::replace_with_twins(*network, graph::select(*network, Rule::name("features.conv2")));
  CHECK(selected(*network, Rule::type("Conv2d")) == Names{"features.conv1", "features.conv2"});
  CHECK(selected(*network, Rule::type("QuantConv2d")) == Names{"features.conv2"});
  CHECK(Rule::type(std::vector<std::string>{"Conv2d", "Linear"}).describe() == "type in {Conv2d, Linear}");
}

TEST_CASE("Rule::inside selects what lies below a block, not the block", "[graph]") {
  auto network = std::make_shared<SmallNet>();
  CHECK(selected(*network, Rule::inside("head")) == Names{"head.linear"});
  CHECK(selected(*network, Rule::inside("features")).size() == 6);
  CHECK(selected(*network, Rule::inside("feat")).empty());
  CHECK(Rule::inside("features").describe() == "inside \"features\"");
}

TEST_CASE("Rules combine with all_of, any_of and negate", "[graph]") {
  auto network = std::make_shared<SmallNet>();
  const Rule convs_but_first =
      Rule::all_of({Rule::type("Conv2d"), Rule::negate(Rule::name("*conv1"))});
  CHECK(selected(*network, convs_but_first) == Names{"features.conv2"});
  CHECK(convs_but_first.describe() == "all_of(type in {Conv2d}, not(name ~ \"*conv1\"))");

  const Rule linear_or_norm_outside =
      Rule::all_of({Rule::any_of({Rule::type("Linear"), Rule::regex("bn[0-9]+")}),
                    Rule::negate(Rule::inside("head"))});
  CHECK(selected(*network, linear_or_norm_outside) == Names{"fc1", "bn3"});
  CHECK(selected(*network, Rule::any_of({Rule::name("pool"), Rule::name("relu3")})) == Names{"pool", "relu3"});
  CHECK(selected(*network, Rule::all_of({})).size() == 13);
  CHECK(selected(*network, Rule::any_of({})).empty());
  CHECK(selected(*network, Rule::negate(Rule::all_of({}))).empty());

  const graph::Layer fc1 = graph::find_layer(*network, "fc1");
  CHECK(Rule::type("Linear").matches(fc1));
  CHECK_FALSE(Rule::negate(Rule::type("Linear")).matches(fc1));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
