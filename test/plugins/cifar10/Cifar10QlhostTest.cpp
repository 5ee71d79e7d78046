// qlhost end to end on a tiny generated CIFAR-10 (the real one cannot be
// downloaded here): one epoch of each topology, test mode, the summary, and a
// damaged file named in one error line.
#include <catch2/catch.hpp>

#include <regex>
#include <sstream>

#include "manager/logbook/Logbook.h"
#include "plugins/cifar10/Cifar10Plugin.h"
#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace fs = std::filesystem;
using quantlab::test::qlhost_path;
using quantlab::test::run_process;

namespace {

std::vector<std::string> one_epoch() {
  return {"--set", "experiment.n_epochs=1", "--set", "experiment.seed=3", "--set", "data.bs_train=16",
          "--set", "data.bs_valid=16"};
}

// A home whose problems/cifar10/data holds 5 x 8 training and 12 test records.
fs::path make_home(const quantlab::test::TempDir& home) {
  const auto init = run_process({qlhost_path(), "problem", "init", "cifar10", "--home", home.path().string()});
  REQUIRE(init.status == 0);
  const fs::path data = home / "problems" / "cifar10" / "data";
  cifar10::test::write_cifar_data(data, 8, 12);
  return data;
}

}  // namespace

TEST_CASE("qlhost trains ResNet-20 and VGG8 for one epoch on a tiny CIFAR-10", "[cifar10][qlhost][e2e]") {
  quantlab::test::TempDir home;
  make_home(home);
  const fs::path logs = home / "problems" / "cifar10" / "logs";
  int experiment = 0;
  for (const std::string topology : {"ResNet", "VGG"}) {
    INFO(topology);
    const auto trained = run_process(quantlab::test::qlhost_command("cifar10", topology, home.path(), one_epoch()));
    INFO(trained.output);
    REQUIRE(trained.status == 0);
    CHECK_THAT(trained.output, Catch::Contains("top1_error") && Catch::Contains("airplane, automobile"));
    const quantlab::Logbook logbook(logs);
    CHECK(fs::exists(logbook.config_file(experiment)));
    const auto log = quantlab::test::read_text(logbook.log_file(experiment));
    CHECK_THAT(log, Catch::Contains("fold 0 epoch 1/1 done") && Catch::Contains("top1_error"));

    const auto tested =
        run_process(quantlab::test::qlhost_command("cifar10", topology, home.path(), {"--exp-id", std::to_string(experiment), "--mode", "test"}));
    INFO(tested.output);
    CHECK(tested.status == 0);
    CHECK_THAT(tested.output, Catch::Contains("12 samples") && Catch::Contains("top1_error"));
    ++experiment;
  }
}

TEST_CASE("qlhost summary counts ResNet-20 on CIFAR-10 before and after a recipe", "[cifar10][qlhost][summary]") {
  quantlab::test::TempDir home;
  make_home(home);
  const std::string pact = std::string(QUANTLAB_SOURCE_DIR) + "/configs/cifar10/ResNet.pact-w4a4.yaml";
  const auto result = run_process({qlhost_path(), "summary", "--plugin", quantlab::test::plugin_path("cifar10"),
                                   "--topology", "ResNet", "--home", home.path().string(), "--config", pact});
  INFO(result.output);
  REQUIRE(result.status == 0);
  CHECK_THAT(result.output, Catch::Contains("one sample of shape 3x32x32") && Catch::Contains("layer3.2.relu2"));
  // ResNet-20's 269,722 parameters, then one PACT clipping bound more per
  // ReLU: relu1 and two in each of the 9 blocks.
  static const std::regex totals(R"(parameters ([\d,]+), model size)");
  std::vector<std::string> counts;
  for (std::sregex_iterator match(result.output.begin(), result.output.end(), totals), end; match != end; ++match)
    counts.push_back((*match)[1]);
  REQUIRE(counts.size() == 2);
  CHECK(counts[0] == "269,722");
  CHECK(counts[1] == "269,741");

  // The topology's own config has no recipe: the same network twice.
  const auto plain = run_process({qlhost_path(), "summary", "--plugin", quantlab::test::plugin_path("cifar10"),
                                  "--topology", "ResNet", "--home", home.path().string()});
  INFO(plain.output);
  REQUIRE(plain.status == 0);
  CHECK_THAT(plain.output, Catch::Contains("parameters 269,722, model size") &&
                               Catch::Contains("after the recipe: none"));
}

TEST_CASE("qlhost names a CIFAR-10 file of the wrong size in one error line", "[cifar10][qlhost][errors]") {
  quantlab::test::TempDir home;
  const fs::path data = make_home(home);
  const std::string bytes = quantlab::test::read_bytes(data / "data_batch_3.bin");
  quantlab::test::write_bytes(data / "data_batch_3.bin", bytes.substr(0, bytes.size() - 100));
  const auto result = run_process(quantlab::test::qlhost_command("cifar10", "ResNet", home.path(), one_epoch()));
  INFO(result.output);
  CHECK(result.status == 2);
  const auto errors = quantlab::test::error_lines(result.output);
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::Contains((data / "data_batch_3.bin").string()) &&
                            Catch::Contains("not a positive multiple of 3073"));
  CHECK_FALSE(fs::exists(home / "problems" / "cifar10" / "logs" / "exp0000"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
