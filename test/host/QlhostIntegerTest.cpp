// qlhost --mode test --integer end to end: a tiny PACT W8A8 SimpleCNN trained
// for one epoch on a few Fashion-MNIST samples, then tested with its
// integerized network beside it.
#include <catch2/catch.hpp>

#include <regex>

#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

TEST_CASE("qlhost test --integer reports the integer network's metrics next to the fake-quantized ones",
          "[qlhost][e2e][deploy]") {
  test::TempDir home;
  auto options = test::quick_run({.train_samples = 500, .valid_samples = 200});
  options.insert(options.end(),
                 {"--config", std::string(QUANTLAB_SOURCE_DIR) + "/configs/fashionmnist/SimpleCNN.pact-w8a8.yaml",
                  "--set", "network.pretrained=null", "--set", "network.params.channels=[8, 16]", "--set",
                  "network.params.hidden=32"});
  const auto trained = test::run_process(test::qlhost_command("fashionmnist", "SimpleCNN", home.path(), options));
  INFO(trained.output);
  REQUIRE(trained.status == 0);

  const auto tested = test::run_process(
      test::qlhost_command("fashionmnist", "SimpleCNN", home.path(), {"--mode", "test", "--exp-id", "0", "--integer"}));
  INFO(tested.output);
  REQUIRE(tested.status == 0);
  const std::regex line(
      "integer network: loss ([0-9.]+) top1_error ([0-9.]+) top5_error [0-9.]+ \\| fake-quantized: loss ([0-9.]+) "
      "top1_error ([0-9.]+) top5_error [0-9.]+ \\| argmax equal to the fake-quantized network's on ([0-9]+)/([0-9]+) "
      "samples \\| logits identical to the exact integer executor's on ([0-9]+)/([0-9]+) samples");
  std::smatch match;
  REQUIRE(std::regex_search(tested.output, match, line));
  // Same decisions on every test sample (the fake-quantized network fed the
  // integer network's input grid), so the same top-1 error up to the input's
  // rounding to that grid.
  CHECK(match[5].str() == match[6].str());
  CHECK(std::stoi(match[6].str()) == 10000);
  CHECK(std::abs(std::stod(match[2].str()) - std::stod(match[4].str())) <= 0.1);
  // The metrics come from the fast path (int8 kernels), whose logits are the
  // exact executor's on every sample.
  CHECK(match[7].str() == match[8].str());
  CHECK(std::stoi(match[8].str()) == 10000);
  CHECK_THAT(tested.output, Catch::Contains("integer network on the fast path: "));

  const auto refused = test::run_process(
      test::qlhost_command("fashionmnist", "SimpleCNN", home.path(), {"--integer", "--set", "experiment.n_epochs=1"}));
  CHECK(refused.status == 2);
  CHECK_THAT(refused.output, Catch::Contains("--integer: only with --mode test"));
}

TEST_CASE("qlhost test --integer: the fast path's logits are the exact integer executor's for each SimpleCNN recipe",
          "[qlhost][e2e][deploy]") {
  const std::regex counts("integer network: loss ([0-9.]+) .* logits identical to the exact integer executor's on "
                          "([0-9]+)/([0-9]+) samples");
  for (const std::string config : {"pact-w4a4", "lsq-w4a4", "tqt-w4a4", "binary-w1a1"}) {
    INFO(config);
    test::TempDir home;
    auto options = test::quick_run({.train_samples = 500, .valid_samples = 200});
    options.insert(options.end(), {"--config",
                                   std::string(QUANTLAB_SOURCE_DIR) + "/configs/fashionmnist/SimpleCNN." + config + ".yaml",
                                   "--set", "network.pretrained=null", "--set", "network.params.channels=[8, 16]",
                                   "--set", "network.params.hidden=32"});
    const auto trained = test::run_process(test::qlhost_command("fashionmnist", "SimpleCNN", home.path(), options));
    INFO(trained.output);
    REQUIRE(trained.status == 0);
    const auto tested = test::run_process(test::qlhost_command("fashionmnist", "SimpleCNN", home.path(),
                                                               {"--mode", "test", "--exp-id", "0", "--integer"}));
    INFO(tested.output);
    REQUIRE(tested.status == 0);
    std::smatch match;
    REQUIRE(std::regex_search(tested.output, match, counts));
    CHECK(match[2].str() == match[3].str());
    CHECK(std::stoi(match[3].str()) == 10000);
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
