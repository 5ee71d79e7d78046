// The collector on a logbook made by hand: event files of a fold trained,
// killed and resumed, an experiment without a config, one of another
// topology, and a config that is not ours to parse.
#include <catch2/catch.hpp>

#include "manager/compare/LeaderboardCollector.h"
#include "manager/config/ExperimentConfig.h"
#include "manager/tensorboard/EventWriter.h"
#include "plugins/fashionmnist/FashionMnistPlugin.h"
#include "support/TempDir.h"
#include "support/Files.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
using namespace quantlab::compare;
namespace fs = std::filesystem;

namespace {

void write_config(const fs::path& experiment, const std::string& topology, int n_epochs,
                  const std::vector<std::string>& overrides = {}) {
  YAML::Node root = load_config_file(fs::path(QUANTLAB_SOURCE_DIR) / "configs" / "fashionmnist" / (topology + ".yaml"));
  apply_override(root, "experiment.n_epochs=" + std::to_string(n_epochs));
  apply_override(root, "experiment.seed=5");
  for (const auto& assignment : overrides) apply_override(root, assignment);
  fs::create_directories(experiment);
  YAML::Emitter text;
  text << root;
  test::write_bytes(experiment / "config.yaml", text.c_str());
}

// One run of a fold: an event file opened at `opened`, one validation value per epoch, 10 s apart.
void write_run(const fs::path& stats, double opened, int first_epoch, const std::vector<double>& values) {
  double now = opened;
  tensorboard::EventWriter writer(stats, "", [&now] { return now; });
  for (std::size_t i = 0; i < values.size(); ++i) {
    now += 10;
    writer.add_scalar("valid/top1_error", values[i], first_epoch + static_cast<int>(i));
  }
}

}  // namespace

TEST_CASE("the collector reads curves and train time from every run of a fold and leaves out what it cannot read",
          "[compare]") {
  test::TempDir home;
  const fs::path logs = home / "problems" / "fashionmnist" / "logs";
  write_config(logs / "exp0000", "SimpleCNN", 3);
  // Epochs 1-2, killed before epoch 2's checkpoint; resumed, epochs 2-3 again.
  write_run(logs / "exp0000" / "fold0" / "stats", 1000, 1, {30, 20});
  write_run(logs / "exp0000" / "fold0" / "stats", 2000, 2, {25, 15});
  fs::create_directories(logs / "exp0001");  // no config.yaml yet
  write_config(logs / "exp0002", "MLP", 1, {"experiment.origin=select weights=300KiB"});
  // A sensitivity file for exp0002; a damaged one in exp0000.
  test::write_bytes(logs / "exp0002" / "sensitivity.json",
                    "{\"experiment\": 2, \"fold\": 0, \"checkpoint\": \"best\", \"samples\": 8, \"metric\": "
                    "\"top1_error\", \"higher_is_better\": false, \"bits\": [4], \"layers\": []}\n");
  test::write_bytes(logs / "exp0000" / "sensitivity.json", "{\"experiment\": 0, \"fold\": 0}\n");
  fs::create_directories(logs / "exp0003");
  test::write_bytes(logs / "exp0003" / "config.yaml", "experiment: {n_epochs: many}\n");

  const auto& plugin = fashionmnist::test::plugin();
  const StorageMap storage(home.path());
  const Leaderboard board = collect_leaderboard(plugin, storage, {});
  CHECK(board.problem == "fashionmnist");
  CHECK(board.metric == "top1_error");
  CHECK_FALSE(board.higher_is_better);
  REQUIRE(board.rows.size() == 2);
  const LeaderboardRow& cnn = board.rows[0];
  CHECK(cnn.id() == "exp0000");
  CHECK(cnn.topology == "SimpleCNN");
  REQUIRE(cnn.curve.size() == 3);
  CHECK(cnn.curve[1].value == 25);  // the resumed run's epoch 2
  CHECK(*cnn.best == 15);
  CHECK(*cnn.best_epoch == 3);
  CHECK(*cnn.train_seconds == Approx(40));  // 20 s in each run
  CHECK(cnn.epochs_done == 0);              // no checkpoint
  CHECK(cnn.status == "incomplete");
  CHECK(cnn.recipe == "none");
  CHECK(cnn.bits == "W32 A32");
  CHECK(cnn.origin == "fp32");  // no experiment.origin: its precision
  CHECK(*cnn.bops == 4755292160);  // as qlhost summary counts SimpleCNN at 32 bits
  // The MLP never logged an epoch: last, with nothing measured but its cost.
  CHECK(board.rows[1].id() == "exp0002");
  CHECK_FALSE(board.rows[1].best);
  CHECK(board.rows[1].train_seconds == std::nullopt);
  CHECK(board.rows[1].origin == "select weights=300KiB");
  REQUIRE(board.sensitivities.size() == 1);
  CHECK(board.sensitivities[0].experiment == 2);
  CHECK(board.differing_keys.size() > 0);

  std::string notes;
  for (const auto& note : board.notes) notes += note + "\n";
  CHECK_THAT(notes, Catch::Contains("exp0001: left out: it has no config.yaml"));
  CHECK_THAT(notes, Catch::Contains("exp0003: left out:") && Catch::Contains("experiment.n_epochs"));
  CHECK_THAT(notes, Catch::Contains("exp0000/sensitivity.json: checkpoint: expected a value (the key is missing) "
                                    "(its sensitivity is not shown)"));

  SECTION("a topology, ids and an unknown id") {
    Selection mlp;
    mlp.topology = "MLP";
    const Leaderboard only = collect_leaderboard(plugin, storage, mlp);
    REQUIRE(only.rows.size() == 1);
    CHECK(only.rows[0].topology == "MLP");
    Selection first;
    first.exp_ids = {0, 0};
    CHECK(collect_leaderboard(plugin, storage, first).rows.size() == 1);
    Selection unknown;
    unknown.exp_ids = {7};
    CHECK_THROWS_AS(collect_leaderboard(plugin, storage, unknown), StorageError);
    Selection none;
    none.topology = "ResNet";
    CHECK_THROWS_WITH(collect_leaderboard(plugin, storage, none),
                      Catch::StartsWith("no experiments of problem fashionmnist of topology ResNet in "));
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
