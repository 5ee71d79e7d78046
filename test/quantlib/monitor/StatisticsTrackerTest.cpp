#include <catch2/catch.hpp>

#include <map>

#include <torch/torch.h>

#include "quantlab/Errors.h"
#include "quantlib/monitor/StatisticsTracker.h"
#include "quantlib/nn/Sequential.h"
#include "quantlib/recipes/RuleRecipe.h"
#include "support/ErrorMessage.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlib;

namespace {

nn::Sequential tracked_network() {
  torch::manual_seed(5);
  nn::Sequential net;
  net->push_back("fc1", torch::nn::Linear(6, 4));
  net->push_back("relu1", torch::nn::ReLU());
  net->push_back("fc2", torch::nn::Linear(4, 2));
  return net;
}

quantlab::Params yaml(const std::string& text, const std::string& path) {
  return quantlab::Params(YAML::Load(text), path, "c.yaml");
}

std::map<std::string, monitor::Statistic> by_tag(const std::vector<monitor::Statistic>& statistics) {
  std::map<std::string, monitor::Statistic> out;
  for (const auto& statistic : statistics) out.emplace(statistic.tag, statistic);
  return out;
}

}  // namespace

TEST_CASE("the tracker reports weights, gradients, activations and quantizer parameters of selected layers",
          "[monitor]") {
  auto net = tracked_network();
  recipes::apply_rules(*net, yaml("rules: [{select: {name: relu1}, output: {algorithm: pact, bits: 4, alpha: 3.0}},"
                                  " {select: {name: fc1}, weight: {algorithm: lsq, bits: 4, per_channel: true}}]",
                                  "network.quantize.params"));
  const auto monitor = yaml("{select: {name: [fc1, fc2]}}", "logging.monitor");
  monitor::StatisticsTracker tracker(*net, monitor::TrackerOptions::parse(monitor), monitor);
  CHECK(tracker.tracked_layers() == std::vector<std::string>{"fc1", "fc2"});

  const torch::Tensor x = torch::randn({5, 6});
  torch::Tensor out;
  {
    nn::ObserveLayers observing(tracker);
    out = net->forward(x);
  }
  out.sum().backward();
  tracker.record_gradients();
  const auto statistics = by_tag(tracker.collect());

  const torch::Tensor fc2_weight = net->named_parameters()["fc2.weight"];
  REQUIRE(statistics.count("weights/fc2.weight"));
  CHECK(statistics.at("weights/fc2.weight").histogram);
  CHECK(torch::equal(statistics.at("weights/fc2.weight").values, fc2_weight.detach().reshape({-1})));
  CHECK(statistics.at("weights/fc2.weight/norm").values.item<float>() ==
        Approx(fc2_weight.norm().item<float>()));
  // The twin's wrapped weight is the layer's; its quantizer's step is a quantizer statistic.
  CHECK(statistics.count("weights/fc1.linear.weight"));
  CHECK(statistics.count("gradients/fc1.linear.weight"));
  CHECK(torch::allclose(statistics.at("gradients/fc2.bias").values, torch::full({2}, 5.0f)));
  CHECK(statistics.at("activations/fc2").values.numel() == 5 * 2);
  CHECK(torch::equal(statistics.at("activations/fc2").values, out.detach().reshape({-1})));
  CHECK(statistics.at("quantizers/relu1_output_quantizer/alpha").values.item<float>() == 3.0f);
  CHECK_FALSE(statistics.at("quantizers/relu1_output_quantizer/alpha").histogram);
  CHECK(statistics.at("quantizers/fc1.weight_quantizer/step").histogram);  // one step per channel
  CHECK(statistics.count("quantizers/fc1.weight_quantizer/step/mean"));
  for (const auto& [tag, statistic] : statistics) CHECK(tag.find("weights/fc1.weight_quantizer") == std::string::npos);

  // Recorded gradients and activations are reported once.
  const auto again = by_tag(tracker.collect());
  CHECK(again.count("weights/fc2.weight"));
  CHECK_FALSE(again.count("gradients/fc2.weight"));
  CHECK_FALSE(again.count("activations/fc2"));
}

TEST_CASE("a monitor selection matching no layer or an unknown key is refused naming the key", "[monitor]") {
  auto net = tracked_network();
  const auto none = yaml("{select: {type: Conv2d}}", "logging.monitor");
  CHECK_THAT(quantlab::test::error_message_of<quantlab::ConfigError>(
                 [&] { monitor::StatisticsTracker(*net, monitor::TrackerOptions::parse(none), none); }),
             Catch::Contains("c.yaml: logging.monitor.select: expected a selection matching at least one layer"));
  const auto unknown = yaml("{weightz: true}", "logging.monitor");
  CHECK_THAT(quantlab::test::error_message_of<quantlab::ConfigError>([&] { monitor::TrackerOptions::parse(unknown); }),
             Catch::Contains("logging.monitor.weightz: unknown key"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
