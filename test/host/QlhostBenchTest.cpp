// `qlhost bench` end to end: a tiny trained PACT W8A8 SimpleCNN timed as fp32,
// fake-quantized, exact integer and fast integer network, as JSON and as a
// table; a 12-bit network runs on the exact executor and the bench says so;
// bad input ends with one line and exit status 2.
#include <catch2/catch.hpp>

#include <regex>

#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

std::vector<std::string> train_args(const fs::path& home, const std::vector<std::string>& extra = {}) {
  auto options = test::quick_run({.train_samples = 320, .valid_samples = 100});
  options.insert(options.end(),
                 {"--config", std::string(QUANTLAB_SOURCE_DIR) + "/configs/fashionmnist/SimpleCNN.pact-w8a8.yaml",
                  "--set", "network.pretrained=null", "--set", "network.params.channels=[8, 16]", "--set",
                  "network.params.hidden=32"});
  options.insert(options.end(), extra.begin(), extra.end());
  return test::qlhost_command("fashionmnist", "SimpleCNN", home, options);
}

std::vector<std::string> bench_args(const fs::path& home, std::vector<std::string> extra) {
  std::vector<std::string> arguments{test::qlhost_path(), "bench",      "--plugin", test::plugin_path("fashionmnist"),
                                     "--topology",         "SimpleCNN",  "--home",   home.string()};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

double number_after(const std::string& text, const std::string& key) {
  const std::regex pattern("\"" + key + "\": \\{\"images_per_s\": ([0-9.]+), \"latency_ms\": ([0-9.]+)\\}");
  std::smatch match;
  REQUIRE(std::regex_search(text, match, pattern));
  CHECK(std::stod(match[2].str()) > 0);
  return std::stod(match[1].str());
}

TEST_CASE("qlhost bench times fp32, fake-quantized, exact and fast integer networks side by side",
          "[qlhost][e2e][deploy]") {
  test::TempDir home;
  const auto trained = test::run_process(train_args(home.path()));
  INFO(trained.output);
  REQUIRE(trained.status == 0);

  const auto json = test::run_process(bench_args(
      home.path(), {"--exp-id", "0", "--batch", "64", "--rounds", "1", "--threads", "1", "--format", "json"}));
  INFO(json.output);
  REQUIRE(json.status == 0);
  for (const std::string key : {"fp32", "fake_quantized", "integer_exact", "integer_fast"})
    CHECK(number_after(json.output, key) > 0);
  CHECK_THAT(json.output, Catch::Contains("\"batch\": 64"));
  CHECK_THAT(json.output, Catch::Contains("\"threads\": 1"));
  CHECK_THAT(json.output, Catch::Contains("\"fast_path\": "));

  const auto table = test::run_process(
      bench_args(home.path(), {"--exp-id", "0", "--batch", "32", "--rounds", "1", "--threads", "1"}));
  INFO(table.output);
  REQUIRE(table.status == 0);
  CHECK_THAT(table.output, Catch::Contains("fashionmnist/SimpleCNN exp0000 fold 0 best.ckpt: batch 32, 1 thread(s)"));
  for (const std::string name : {"fp32 ", "fake_quantized ", "integer_exact ", "integer_fast "})
    CHECK_THAT(table.output, Catch::Contains(name));
  CHECK_THAT(table.output, Catch::Contains("integer_fast: "));
}

TEST_CASE("qlhost bench says when a network wider than 8 bits runs on the exact executor", "[qlhost][e2e][deploy]") {
  test::TempDir home;
  const auto trained =
      test::run_process(train_args(home.path(), {"--set",
                                                 "network.quantize.params.rules=[{select: {type: [Conv2d, Linear]}, "
                                                 "weight: {algorithm: uniform, bits: 8, per_channel: true}}, "
                                                 "{select: {type: ReLU}, replace: {algorithm: pact, bits: 12}}]"}));
  INFO(trained.output);
  REQUIRE(trained.status == 0);
  const auto table = test::run_process(bench_args(home.path(), {"--exp-id", "0", "--batch", "16", "--rounds", "1"}));
  INFO(table.output);
  REQUIRE(table.status == 0);
  CHECK_THAT(table.output, Catch::Contains("on the exact executor:"));
  CHECK_THAT(table.output, Catch::Contains("needs more than 8 bits"));
}

TEST_CASE("qlhost bench refuses bad input with one line and exit status 2", "[qlhost][e2e][deploy]") {
  test::TempDir home;
  const auto trained = test::run_process(train_args(home.path()));
  REQUIRE(trained.status == 0);
  // A second experiment whose checkpoints are gone.
  REQUIRE(test::run_process(train_args(home.path())).status == 0);
  const fs::path saves = home / "problems" / "fashionmnist" / "logs" / "exp0001" / "fold0" / "saves";
  REQUIRE(fs::is_directory(saves));
  fs::remove_all(saves);
  struct Case {
    std::vector<std::string> arguments;
    std::string message;
  };
  for (const Case& c : {Case{{"--exp-id", "0", "--batch", "0"}, "--batch 0: expected a positive number of images"},
                        Case{{"--exp-id", "0", "--threads", "0"}, "--threads 0: expected a positive integer"},
                        Case{{"--exp-id", "0", "--format", "xml"}, "--format xml: expected table or json"},
                        Case{{"--exp-id", "7"}, "experiment 7 does not exist"},
                        Case{{"--exp-id", "1"}, "no best checkpoint"}}) {
    const auto refused = test::run_process(bench_args(home.path(), c.arguments));
    INFO(refused.output);
    CHECK(refused.status == 2);
    const auto errors = test::error_lines(refused.output);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::Contains(c.message));
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
