// Learned bit-widths end to end: the shipped config trains, logs each layer's
// bits and the penalty, pulls the bits down, freezes them and integerizes;
// a killed run resumes to the byte; bad keys are one line, exit 2.
#include <catch2/catch.hpp>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <sys/types.h>

#include "manager/logbook/Logbook.h"
#include "manager/tensorboard/EventReader.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

std::vector<std::string> fashionmnist(const fs::path& home, const std::vector<std::string>& extra) {
  return test::qlhost_command("fashionmnist", "SimpleCNN", home, extra);
}

fs::path logs(const fs::path& home) { return home / "problems" / "fashionmnist" / "logs"; }

std::vector<double> scalar_values(const fs::path& stats_dir, const std::string& tag) {
  std::vector<double> values;
  for (const auto& file : tensorboard::EventReader::find_event_files(stats_dir))
    for (const auto& point : tensorboard::EventReader(file).scalars(tag)) values.push_back(point.value);
  return values;
}

// The shipped config from scratch (no pretrained experiment), quick.
std::vector<std::string> learned_bits_run(const test::QuickRun& run, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> options = test::quick_run(run);
  options.insert(options.end(), {"--config",
                                 std::string(QUANTLAB_SOURCE_DIR) + "/configs/fashionmnist/SimpleCNN.lsq-learned-bits.yaml",
                                 "--set", "network.pretrained=null"});
  options.insert(options.end(), extra.begin(), extra.end());
  return options;
}

TEST_CASE("learned bit-widths: each layer's bits and the penalty are logged, the penalty pulls the bits down, they "
          "freeze in the last quarter and the network integerizes",
          "[qlhost][e2e][learnedbits]") {
  test::TempDir home;
  // A strong penalty, so that 10 steps move the bits visibly.
  const auto run = test::run_process(fashionmnist(
      home.path(), learned_bits_run({.epochs = 2, .train_samples = 640}, {"--set", "training.bit_penalty.strength=20"})));
  INFO(run.output);
  REQUIRE(run.status == 0);
  CHECK_THAT(run.output, Catch::Contains("fold 0: learning bit-widths: conv1.weight_quantizer 6.00, "
                                         "conv2.weight_quantizer 6.00, fc1.weight_quantizer 6.00, fc2.weight_quantizer "
                                         "6.00 | weight memory ") &&
                             Catch::Contains("(target 406.4 KiB)") && Catch::Contains(" (bits ") &&
                             Catch::Contains("fold 0 epoch 2/2 bits: conv1.weight_quantizer "));
  const Logbook logbook(logs(home.path()));
  const auto stats = logbook.stats_dir(0, 0);
  const auto fc1 = scalar_values(stats, "bits/fc1.weight_quantizer");
  const auto conv1 = scalar_values(stats, "bits/conv1.weight_quantizer");
  const auto penalty = scalar_values(stats, "train_loss/bits");
  const auto cost = scalar_values(stats, "bits/cost");
  REQUIRE(fc1.size() == 2);
  REQUIRE(conv1.size() == 2);
  REQUIRE(penalty.size() == 2);
  REQUIRE(cost.size() == 2);
  // fc1 holds 96% of the weights: the penalty pulls its bits down from 6,
  // far more than conv1's (288 weights).
  CHECK(cost[0] > 300 * 1024);
  CHECK(fc1[0] < 5.5);
  CHECK(fc1[0] < conv1[0] - 0.3);
  CHECK(penalty[0] > 0);
  // Epoch 2 is the last quarter: its bits are whole numbers, the rounded ones.
  CHECK(fc1[1] == std::round(fc1[0]));
  CHECK(conv1[1] == std::round(conv1[0]));

  // compare counts the model at the bits it learned, not at the recipe's start.
  const auto compared = test::run_process({test::qlhost_path(), "compare", "--plugin", test::plugin_path("fashionmnist"),
                                           "--home", home.path().string(), "--format", "json"});
  INFO(compared.output);
  REQUIRE(compared.status == 0);
  std::smatch size;
  const std::string listing = compared.output;
  REQUIRE(std::regex_search(listing, size, std::regex(R"("size_bytes": (\d+))")));
  CHECK(std::stod(size[1].str()) == Approx(cost[1]).margin(1.0));

  const auto tested = test::run_process(fashionmnist(home.path(), {"--exp-id", "0", "--mode", "test", "--integer"}));
  INFO(tested.output);
  CHECK(tested.status == 0);
  CHECK_THAT(tested.output, Catch::Contains("test fold 0 integer network: loss"));
}

TEST_CASE("a learned-bits run killed and resumed, before and after its bits freeze, ends like an uninterrupted one",
          "[qlhost][e2e][learnedbits][resume]") {
  test::TempDir home;
  const int epochs = 3;  // learned in epochs 1-2, frozen in epoch 3
  const auto options = learned_bits_run({.epochs = epochs, .train_samples = 640}, {"--ckpt-every", "1"});
  const auto straight = test::run_process(fashionmnist(home.path(), options));
  INFO(straight.output);
  REQUIRE(straight.status == 0);

  const Logbook logbook(logs(home.path()));
  const fs::path output = home / "killed.txt";
  test::run_until_killed(fashionmnist(home.path(), options), output, logbook.epoch_checkpoint(1, 0, 1));
  REQUIRE_FALSE(fs::exists(logbook.epoch_checkpoint(1, 0, epochs)));

  const auto resumed = test::run_process(fashionmnist(home.path(), {"--exp-id", "1", "--ckpt-every", "1"}));
  INFO(test::read_text(output) + resumed.output);
  REQUIRE(resumed.status == 0);
  CHECK_THAT(resumed.output, Catch::Contains("resuming from") && Catch::Contains("learning bit-widths"));
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    CAPTURE(epoch);
    CHECK(test::read_bytes(logbook.epoch_checkpoint(0, 0, epoch)) ==
          test::read_bytes(logbook.epoch_checkpoint(1, 0, epoch)));
  }
}

TEST_CASE("bad learned-bits keys and a bit penalty with nothing to penalize are one line each, exit 2, nothing "
          "created",
          "[qlhost][e2e][learnedbits][errors]") {
  test::TempDir home;
  const auto refused = [&](const std::vector<std::string>& options, const std::string& expected) {
    const auto result = test::run_process(fashionmnist(home.path(), options));
    INFO(result.output);
    CHECK(result.status == 2);
    const auto errors = test::error_lines(result.output);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::Contains(expected));
  };
  const test::QuickRun run{.train_samples = 300};
  refused(learned_bits_run(run, {"--set", "training.bit_penalty.cost=memory"}),
          "training.bit_penalty.cost: expected weights (the model size) or bops");
  refused(learned_bits_run(run, {"--set", "training.bit_penalty.target=408kiB"}),
          "training.bit_penalty.target: expected a positive model size in bytes");
  const auto rules = [](const std::string& learned_bits) {
    return "network.quantize.params.rules=[{select: {type: Linear}, weight: {algorithm: lsq, bits: learned, "
           "learned_bits: " + learned_bits + "}}]";
  };
  refused(learned_bits_run(run, {"--set", rules("{min: 6, max: 4}")}),
          "network.quantize.params.rules[0].weight.learned_bits.max: expected more bits than min (6)");
  refused(learned_bits_run(run, {"--set", rules("{init: 9}")}),
          "network.quantize.params.rules[0].weight.learned_bits.init: expected a number of bits in [min, max]");
  refused(learned_bits_run(run, {"--set", rules("{freeze: 3}")}),
          "network.quantize.params.rules[0].weight.learned_bits.freeze: unknown key");
  std::vector<std::string> fixed = test::quick_run(run);
  fixed.insert(fixed.end(), {"--set", "training.bit_penalty={cost: bops, target: 100M}"});
  refused(fixed, "training.bit_penalty: expected a recipe that learns bit-widths");
  CHECK((!fs::exists(logs(home.path())) || Logbook(logs(home.path())).list_experiments().empty()));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
