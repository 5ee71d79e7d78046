// `qlhost sensitivity` and `qlhost select` end to end on the Fashion-MNIST
// SimpleCNN: the measurement and its file, the same under mpirun, configs
// whose costs are what `qlhost summary` counts and that fine-tune, and every
// refusal (exit 2, one line, nothing written).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "manager/compare/SensitivityFile.h"
#include "manager/sweep/SweepSpec.h"
#include "quantlab/AtomicFile.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

fs::path logs(const fs::path& home) { return home / "problems" / "fashionmnist" / "logs"; }

std::vector<std::string> command(const std::string& name, const fs::path& home, const std::vector<std::string>& extra) {
  std::vector<std::string> arguments{test::qlhost_path(), name,   "--plugin", test::plugin_path("fashionmnist"),
                                     "--topology",        "SimpleCNN", "--home",   home.string()};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

std::vector<std::string> sensitivity(const fs::path& home, std::vector<std::string> extra) {
  extra.insert(extra.begin(), {"--samples", "64", "--draws", "2", "--bits", "2,4,8", "--threads", "1"});
  return command("sensitivity", home, extra);
}

// exp0000: a full-precision SimpleCNN trained for one epoch on a little data.
void train_fp32(const fs::path& home, const std::vector<std::string>& extra = {}) {
  auto options = test::quick_run({.train_samples = 600, .valid_samples = 500});
  options.insert(options.end(), extra.begin(), extra.end());
  const auto result = test::run_process(test::qlhost_command("fashionmnist", "SimpleCNN", home, options));
  INFO(result.output);
  REQUIRE(result.status == 0);
}

int64_t digits(const std::string& text) {
  std::string kept;
  for (const char c : text)
    if (c != ',') kept += c;
  return std::stoll(kept);
}

std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path().filename());
  std::sort(files.begin(), files.end());
  return files;
}

TEST_CASE("sensitivity of a trained SimpleCNN, then select: configs that cost what summary counts, and fine-tune",
          "[qlhost][e2e][select]") {
  test::TempDir home;
  train_fp32(home.path());

  const auto measured = test::run_process(sensitivity(home.path(), {"--exp-id", "0", "--format", "json"}));
  INFO(measured.output);
  REQUIRE(measured.status == 0);
  const fs::path file = logs(home.path()) / "exp0000" / "sensitivity.json";
  REQUIRE(fs::exists(file));
  CHECK(*read_whole_file(file) == measured.output);
  const auto report = compare::read_sensitivity_file(file);
  CHECK(report.samples == 64);
  CHECK(report.bits == std::vector<int>{2, 4, 8});
  REQUIRE(report.layers.size() == 4);
  CHECK(report.layers[0].name == "conv1");
  CHECK(report.layers[0].activation_kind == "none");
  CHECK(report.layers[0].activations.empty());
  CHECK_FALSE(report.layers[0].activation);
  CHECK(report.layers[1].activation == "relu1");
  CHECK(report.layers[2].activation == "relu2");
  CHECK(report.layers[3].activation == "relu3");
  double trace_sum = 0;
  for (const auto& layer : report.layers) {
    INFO(layer.name);
    REQUIRE(layer.weights.size() == 3);
    // More bits, less perturbation and more signal to noise.
    CHECK(*layer.weights[0].perturbation > *layer.weights[1].perturbation);
    CHECK(*layer.weights[1].perturbation > *layer.weights[2].perturbation);
    CHECK(*layer.weights[0].sqnr_db < *layer.weights[2].sqnr_db);
    if (layer.activation_kind == "relu") {
      REQUIRE(layer.activations.size() == 3);
      CHECK(*layer.activations[0].sqnr_db < *layer.activations[2].sqnr_db);
    }
    trace_sum += layer.hessian_trace.value();
  }
  // The blocks' estimates sum to v^T H v, and a ReLU network's cross-entropy
  // Hessian is positive semi-definite.
  CHECK(trace_sum > 0);
  CHECK(fs::exists(logs(home.path()) / "exp0000" / "sensitivity"));

  test::TempDir out;
  const auto selected = test::run_process(
      command("select", home.path(), {"--exp-id", "0", "--budget", "weights=300KiB",
                                      "--budget", "weights=600KiB,bops=150M", "--act-bits", "4,8", "--fix", "conv1=8",
                                      "--out", out.path().string(), "--sweep", "picked"}));
  INFO(selected.output);
  REQUIRE(selected.status == 0);
  CHECK_THAT(selected.output, !Catch::Contains("note:"));  // the built networks cost what was predicted
  const fs::path config = out.path() / "SimpleCNN.select-weights-300KiB.yaml";
  REQUIRE(files_in(out.path()) == std::vector<fs::path>{"SimpleCNN.select-weights-300KiB.yaml",
                                                        "SimpleCNN.select-weights-600KiB-bops-150M.yaml",
                                                        "picked.yaml"});
  // Within budget, as summary counts it.
  std::smatch match;
  const std::string output = selected.output;
  REQUIRE(std::regex_search(output, match, std::regex(R"(model size (\d+) B)")));
  const int64_t size = std::stoll(match[1].str());
  CHECK(size <= 300 * 1024);
  const auto summary = test::run_process(command("summary", home.path(), {"--config", config.string()}));
  INFO(summary.output);
  REQUIRE(summary.status == 0);
  std::smatch sizes;
  const std::string summary_output = summary.output;
  REQUIRE(std::regex_search(summary_output, sizes, std::regex(R"(model size ([\d,]+) -> ([\d,]+) bytes)")));
  CHECK(digits(sizes[2].str()) == size);
  // conv1 kept at 8 bits, as --fix said.
  const std::string text = *read_whole_file(config);
  CHECK_THAT(text, Catch::Contains("origin: select weights=300KiB"));
  CHECK(std::regex_search(text, std::regex(R"(pretrained:\s+exp_id: 0\s+fold: 0\s+checkpoint: best)")));
  CHECK(std::regex_search(text, std::regex(R"(name: conv1\s+weight:\s+algorithm: lsq\s+bits: 8)")));

  // The sweep expands to one point per budget.
  const auto sweep = sweep::SweepSpec::load(out.path() / "picked.yaml");
  CHECK(sweep.points.size() == 2);

  // The config fine-tunes from exp0000's weights.
  auto options = test::quick_run({.train_samples = 300, .valid_samples = 300});
  options.insert(options.end(), {"--config", config.string()});
  const auto tuned = test::run_process(test::qlhost_command("fashionmnist", "SimpleCNN", home.path(), options));
  INFO(tuned.output);
  CHECK(tuned.status == 0);
}

TEST_CASE("sensitivity under mpirun splits the samples and measures what one rank measures",
          "[qlhost][e2e][select][mpi]") {
  test::TempDir home;
  train_fp32(home.path());
  const auto one = test::run_process(sensitivity(home.path(), {"--exp-id", "0", "--format", "json"}));
  REQUIRE(one.status == 0);
  auto arguments = sensitivity(home.path(), {"--exp-id", "0", "--format", "json"});
  arguments.insert(arguments.begin(), {"timeout", "300", "mpirun", "-np", "2", "--oversubscribe"});
  const auto two = test::run_process(arguments);
  INFO(two.output);
  REQUIRE(two.status == 0);
  const auto single = compare::parse_sensitivity(one.output, "one rank");
  const auto split = compare::read_sensitivity_file(logs(home.path()) / "exp0000" / "sensitivity.json");
  CHECK(split.samples == single.samples);
  CHECK(*split.baseline_loss == Approx(*single.baseline_loss).epsilon(1e-5));
  CHECK(*split.baseline_metric == Approx(*single.baseline_metric).margin(1e-9));
  REQUIRE(split.layers.size() == single.layers.size());
  for (size_t i = 0; i < split.layers.size(); ++i) {
    INFO(split.layers[i].name);
    CHECK(*split.layers[i].hessian_trace == Approx(*single.layers[i].hessian_trace).epsilon(1e-4));
    for (size_t k = 0; k < split.layers[i].weights.size(); ++k) {
      CHECK(*split.layers[i].weights[k].loss_delta == Approx(*single.layers[i].weights[k].loss_delta).margin(1e-5));
      CHECK(*split.layers[i].weights[k].metric_delta == Approx(*single.layers[i].weights[k].metric_delta).margin(1e-9));
    }
    CHECK(split.layers[i].activations.size() == single.layers[i].activations.size());
  }
}

TEST_CASE("sensitivity and select refuse bad input with one line, exit 2, writing nothing", "[qlhost][e2e][select]") {
  test::TempDir home;
  train_fp32(home.path());
  const fs::path experiment = logs(home.path()) / "exp0000";
  // exp0001: a quantized network; exp0002: a config without any checkpoint.
  train_fp32(home.path(), {"--set", "network.quantize={recipe: rules, params: {rules: [{select: {type: Conv2d}, "
                                    "weight: {algorithm: lsq, bits: 4}}]}}"});
  fs::create_directories(logs(home.path()) / "exp0002");
  fs::copy_file(experiment / "config.yaml", logs(home.path()) / "exp0002" / "config.yaml");

  const auto refused = [&](const std::vector<std::string>& arguments, const std::string& expected) {
    const auto before = files_in(experiment);
    const auto result = test::run_process(arguments);
    INFO(result.output);
    CHECK(result.status == 2);
    const auto errors = test::error_lines(result.output);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::Contains(expected));
    CHECK(files_in(experiment) == before);
  };
  refused(command("sensitivity", home.path(), {"--exp-id", "0", "--bits", "1,4"}), "--bits 1,4: '1' is not a bit-width");
  refused(sensitivity(home.path(), {"--exp-id", "0", "--format", "xml"}), "--format xml: expected table, csv or json");
  refused(sensitivity(home.path(), {"--exp-id", "1"}), "network.quantize: expected none");
  refused(sensitivity(home.path(), {"--exp-id", "2"}), "no best checkpoint");
  refused(sensitivity(home.path(), {"--exp-id", "7"}), "experiment 7 does not exist");

  test::TempDir out;
  const auto select = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), {"--out", out.path().string()});
    return command("select", home.path(), extra);
  };
  refused(select({"--exp-id", "0", "--budget", "weights=300KiB"}), "no sensitivity measured (run qlhost sensitivity");
  REQUIRE(test::run_process(sensitivity(home.path(), {"--exp-id", "0"})).status == 0);
  refused(select({"--exp-id", "0", "--budget", "weights=100KiB"}),
          "weights 102400 B (100.0 KiB) is below the smallest network the bit choices allow");
  refused(select({"--exp-id", "0", "--budget", "weights=5MiB"}), "is above fp32's");
  refused(select({"--exp-id", "0", "--budget", "memory=300KiB"}), "unknown budget kind 'memory'");
  refused(select({"--exp-id", "0", "--budget", "weights=300kiB"}), "expected a positive size in bytes");
  refused(select({"--exp-id", "0", "--budget", "bops=3X"}), "expected a positive count");
  refused(select({"--exp-id", "0", "--budget", "weights=300KiB", "--fix", "conv9=8"}),
          "--fix conv9=8: no quantizable layer 'conv9'");
  refused(select({"--exp-id", "0", "--budget", "weights=300KiB", "--bits", "3"}), "3 bits was not measured");
  CHECK(files_in(out.path()).empty());
  // An existing file is kept.
  std::ofstream(out.path() / "SimpleCNN.select-weights-300KiB.yaml") << "mine\n";
  refused(select({"--exp-id", "0", "--budget", "weights=300KiB"}), "exists (pass --force to overwrite it)");
  CHECK(*read_whole_file(out.path() / "SimpleCNN.select-weights-300KiB.yaml") == "mine\n");
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
