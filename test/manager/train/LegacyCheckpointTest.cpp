// Checkpoints written by QuantLab's builds on Debian's LibTorch 1.13 still
// load with the LibTorch this build uses. The fixture and its expected values
// come from test/fixtures/checkpoints/make_checkpoint_1_13.cpp (built against
// LibTorch 1.13): the fashionmnist MLP {hidden: [16], dropout: 0.0} and SGD
// (lr 0.05, momentum 0.9) after one step, so momentum buffers exist.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "manager/plugin/PluginLoader.h"
#include "manager/train/Checkpoint.h"
#include "manager/train/LrSchedule.h"
#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(QUANTLAB_SOURCE_DIR) / "test" / "fixtures" / "checkpoints";
const fs::path kCheckpoint = kFixtures / "mlp-hidden16-libtorch-1.13.ckpt";

// "key value" lines; '#' starts a comment line.
std::map<std::string, double> expected_values() {
  std::ifstream file(kFixtures / "mlp-hidden16-libtorch-1.13.expected");
  REQUIRE(file);
  std::map<std::string, double> values;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string key, value;
    fields >> key >> value;
    values[key] = std::stod(value);
  }
  return values;
}

// Element by element in storage order, as the generator summed.
double ordered_sum(const torch::Tensor& tensor) {
  const torch::Tensor values = tensor.detach().contiguous().to(torch::kDouble);
  const double* data = values.data_ptr<double>();
  double sum = 0;
  for (std::int64_t i = 0; i < values.numel(); ++i) sum += data[i];
  return sum;
}

std::shared_ptr<Network> mlp(const LoadedPlugin& plugin) {
  return plugin.topology("MLP")->network(Params(YAML::Load("{hidden: [16], dropout: 0.0}"), "network.params", "test"));
}

void check_weights(torch::nn::Module& network, const std::map<std::string, double>& expected) {
  const auto parameters = network.named_parameters();
  CHECK(parameters.size() == 4);
  for (const auto& item : parameters) {
    INFO(item.key());
    REQUIRE(expected.count("sum." + item.key()) == 1);
    CHECK(ordered_sum(item.value()) == expected.at("sum." + item.key()));
  }
}

// load_checkpoint sets the global CPU generator; other tests get theirs back.
struct KeepGlobalRng {
  torch::Tensor state = torch::globalContext().defaultGenerator(torch::kCPU).get_state();
  ~KeepGlobalRng() {
    auto generator = torch::globalContext().defaultGenerator(torch::kCPU);
    generator.set_state(state);
  }
};

}  // namespace

TEST_CASE("a checkpoint written with LibTorch 1.13 loads weights, optimizer state and progress", "[checkpoint]") {
  const auto expected = expected_values();
  const auto plugin = load_plugin(test::plugin_path("fashionmnist"));
  KeepGlobalRng keep_rng;

  SECTION("load_network restores the weights exactly") {
    auto network = mlp(plugin);
    load_network(kCheckpoint, *network);
    check_weights(*network, expected);
  }

  SECTION("read_progress reads the progress") {
    const FoldProgress progress = read_progress(kCheckpoint);
    CHECK(progress.fold == expected.at("fold"));
    CHECK(progress.epochs_done == expected.at("epochs_done"));
    CHECK(progress.best_epoch == expected.at("best_epoch"));
    CHECK(progress.best_metric == expected.at("best_metric"));
  }

  SECTION("load_checkpoint restores network, SGD momentum, LR schedule and RNG") {
    auto network = mlp(plugin);
    torch::optim::SGD optimizer(network->parameters(), torch::optim::SGDOptions(0.1).momentum(0.5));
    StagedLrSchedule schedule(
        LrSchedule::make(Params(YAML::Load("{}"), "training.lr_scheduler", "test"), 0.05, "top1_error", false));
    quantlib::Controllers controllers;
    const FoldProgress progress =
        load_checkpoint(kCheckpoint, TrainingState{*network, optimizer, schedule, controllers});

    CHECK(progress.fold == expected.at("fold"));
    CHECK(progress.epochs_done == expected.at("epochs_done"));
    CHECK(progress.best_epoch == expected.at("best_epoch"));
    CHECK(progress.best_metric == expected.at("best_metric"));
    check_weights(*network, expected);

    // The group's options come from the file (the optimizer was made with others).
    const auto& options = static_cast<const torch::optim::SGDOptions&>(optimizer.param_groups().at(0).options());
    CHECK(options.lr() == 0.05);
    CHECK(options.momentum() == 0.9);

    // Every parameter has its own momentum buffer back, keyed by its TensorImpl.
    const auto parameters = network->parameters();
    REQUIRE(parameters.size() == 4);
    CHECK(optimizer.state().size() == parameters.size());
    for (size_t i = 0; i < parameters.size(); ++i) {
      INFO("parameter " << i);
      const auto found = optimizer.state().find(parameters[i].unsafeGetTensorImpl());
      REQUIRE(found != optimizer.state().end());
      REQUIRE(found->second != nullptr);
      const auto& buffer = static_cast<const torch::optim::SGDParamState&>(*found->second).momentum_buffer();
      REQUIRE(buffer.defined());
      REQUIRE(buffer.sizes() == parameters[i].sizes());
      CHECK(ordered_sum(buffer) == expected.at("momentum_sum." + std::to_string(i)));
      CHECK(ordered_sum(buffer.abs()) == expected.at("momentum_abs_sum." + std::to_string(i)));
    }

    CHECK(schedule.state() == std::vector<double>{1.0, 0.0, 0.0, 0.0, 0.0});
    CHECK(schedule.learning_rate(progress.epochs_done) == 0.05);

    const torch::Tensor rng = torch::globalContext().defaultGenerator(torch::kCPU).get_state();
    CHECK(rng.numel() == expected.at("rng_numel"));
    CHECK(ordered_sum(rng) == expected.at("rng_sum"));

    // Training goes on from the restored state.
    torch::manual_seed(1);
    optimizer.zero_grad();
    torch::nn::functional::cross_entropy(network->forward(torch::rand({4, 1, 28, 28})),
                                         torch::randint(0, 10, {4}, torch::kLong))
        .backward();
    optimizer.step();
    for (const auto& parameter : parameters) CHECK(torch::isfinite(parameter).all().item<bool>());
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
