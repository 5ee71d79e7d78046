// The real TensorBoard (Python, from QuantLab's environment) reads the event
// files of a training run, a k-fold run and a sweep: a format regression
// fails here rather than in a user's browser. What TensorBoard understood is
// compared with what the run wrote (our own reader) and with the run's config.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include <yaml-cpp/yaml.h>

#include "manager/logbook/Logbook.h"
#include "manager/sweep/SweepIndex.h"
#include "manager/tensorboard/EventReader.h"
#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

namespace {

// A quick MLP run of `epochs` epochs, then `extra`.
std::vector<std::string> mlp_run(const fs::path& home, int epochs, const std::vector<std::string>& extra) {
  auto options = test::quick_run({.epochs = epochs, .train_samples = 600, .valid_samples = 200, .seed = 5});
  options.insert(options.end(), extra.begin(), extra.end());
  return test::qlhost_command("fashionmnist", "MLP", home, options);
}

fs::path logs(const fs::path& home) { return home / "problems" / "fashionmnist" / "logs"; }

// read_tensorboard.py's JSON (JSON is YAML's flow style, so yaml-cpp reads it).
YAML::Node tensorboard_view(const fs::path& logdir) {
  const auto result = test::run_process({test::python_path(), test::client_script("read_tensorboard.py"), logdir.string()});
  INFO(result.output);
  REQUIRE(result.status == 0);
  const auto json_start = result.output.find("{\"runs\"");
  REQUIRE(json_start != std::string::npos);
  return YAML::Load(result.output.substr(json_start))["runs"];
}

// Every scalar and histogram our reader finds in `stats` is what TensorBoard
// shows for `run`: the same tags, steps and float32 values, the same counts.
void check_same_records(const YAML::Node& run, const fs::path& stats) {
  std::map<std::string, std::vector<std::pair<std::int64_t, double>>> scalars;
  std::map<std::string, std::vector<double>> histogram_counts;
  for (const auto& file : tensorboard::EventReader::find_event_files(stats)) {
    const tensorboard::EventReader reader(file);
    for (const auto& point : reader.scalars()) scalars[point.tag].emplace_back(point.step, point.value);
    for (const auto& histogram : reader.histograms()) histogram_counts[histogram.tag].push_back(histogram.num);
  }
  REQUIRE(!scalars.empty());
  CHECK(run["scalars"].size() == scalars.size());
  for (const auto& [tag, points] : scalars) {
    INFO("scalar " << tag);
    const YAML::Node seen = run["scalars"][tag];
    REQUIRE(seen.IsSequence());
    REQUIRE(seen.size() == points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
      CHECK(seen[i][0].as<std::int64_t>() == points[i].first);
      // Both are the event's float32; Python's repr reads back exactly.
      CHECK(seen[i][1].as<double>() == points[i].second);
    }
  }
  CHECK(run["histograms"].size() == histogram_counts.size());
  for (const auto& [tag, counts] : histogram_counts) {
    INFO("histogram " << tag);
    const YAML::Node seen = run["histograms"][tag];
    REQUIRE(seen.IsSequence());
    REQUIRE(seen.size() == counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i) {
      CHECK(seen[i]["num"].as<double>() == counts[i]);
      CHECK(seen[i]["buckets"].as<int>() > 0);
    }
  }
}

void check_fold_session(const YAML::Node& run, const std::string& group, int epochs) {
  const YAML::Node hparams = run["hparams"];
  REQUIRE(hparams["session_start"].IsMap());
  CHECK(hparams["session_start"]["group_name"].as<std::string>() == group);
  CHECK(hparams["session_start"]["hparams"]["experiment.n_epochs"].as<double>() == epochs);
  CHECK(hparams["session_start"]["hparams"]["network.class"].as<std::string>() == "MLP");
  REQUIRE(hparams["session_end"].IsMap());
  CHECK(hparams["session_end"]["status"].as<std::string>() == "STATUS_SUCCESS");
  CHECK(run["scalars"]["valid_metric"].size() == static_cast<std::size_t>(epochs));
}

}  // namespace

TEST_CASE("the real TensorBoard reads a training run and a k-fold run as written", "[qlhost][e2e][tensorboard]") {
  test::TempDir home;
  const auto single = test::run_process(mlp_run(home.path(), 2, {"--set", "logging.histograms=true"}));
  INFO(single.output);
  REQUIRE(single.status == 0);
  const auto kfold = test::run_process(mlp_run(home.path(), 1, {"--set", "experiment.n_folds=2"}));
  INFO(kfold.output);
  REQUIRE(kfold.status == 0);
  const Logbook logbook(logs(home.path()));

  const YAML::Node single_runs = tensorboard_view(logbook.experiment_dir(0));
  REQUIRE(single_runs.size() == 1);
  const YAML::Node run = single_runs["fold0/stats"];
  REQUIRE(run.IsMap());
  check_same_records(run, logbook.stats_dir(0, 0));
  CHECK(run["histograms"].size() > 0);
  check_fold_session(run, "exp0000/fold0", 2);

  const YAML::Node kfold_runs = tensorboard_view(logbook.experiment_dir(1));
  REQUIRE(kfold_runs.size() == 2);
  for (int fold : {0, 1}) {
    const YAML::Node fold_run = kfold_runs["fold" + std::to_string(fold) + "/stats"];
    REQUIRE(fold_run.IsMap());
    check_same_records(fold_run, logbook.stats_dir(1, fold));
    check_fold_session(fold_run, "exp0001/fold" + std::to_string(fold), 1);
  }
}

TEST_CASE("the real TensorBoard shows a sweep as an HParams experiment with one session per point",
          "[qlhost][e2e][tensorboard][sweep]") {
  test::TempDir home;
  const fs::path file = home / "lr.yaml";
  test::write_bytes(file, R"(name: lr
topology: MLP
set:
  experiment.n_epochs: 1
  experiment.seed: 3
  data.max_train_samples: 600
  data.max_valid_samples: 200
grid:
  training.optimizer.params.lr: [0.01, 0.05]
  network.params.hidden: [[32], [16, 16]]
)");
  const auto result = test::run_process(test::sweep_command("fashionmnist", "MLP", file, home.path()));
  INFO(result.output);
  REQUIRE(result.status == 0);

  const fs::path root = sweep::SweepIndex::path(logs(home.path()), "lr").parent_path();
  const YAML::Node runs = tensorboard_view(root);
  const YAML::Node experiment = runs["."]["hparams"]["experiment"];
  REQUIRE(experiment.IsMap());
  CHECK(experiment["metrics"].size() == 1);
  CHECK(experiment["metrics"][0].as<std::string>() == "valid_metric");
  std::map<std::string, YAML::Node> domains;
  for (const auto& info : experiment["hparams"]) domains[info["name"].as<std::string>()] = YAML::Node(info);
  REQUIRE(domains.count("training.optimizer.params.lr") == 1);
  CHECK(domains["training.optimizer.params.lr"]["type"].as<std::string>() == "DATA_TYPE_FLOAT64");
  const YAML::Node lrs = domains["training.optimizer.params.lr"]["domain_discrete"];
  REQUIRE(lrs.size() == 2);
  CHECK(lrs[0].as<double>() == 0.01);
  CHECK(lrs[1].as<double>() == 0.05);
  REQUIRE(domains.count("network.params.hidden") == 1);
  CHECK(domains["network.params.hidden"]["type"].as<std::string>() == "DATA_TYPE_STRING");
  CHECK(domains["network.params.hidden"]["domain_discrete"].size() == 2);

  std::set<std::string> groups;
  for (int point = 0; point < 4; ++point) {
    const std::string name = Logbook::experiment_name(point);
    const YAML::Node session = runs[name]["hparams"];
    INFO(name);
    REQUIRE(session["session_start"].IsMap());
    groups.insert(session["session_start"]["group_name"].as<std::string>());
    CHECK(session["session_start"]["hparams"]["training.optimizer.params.lr"].IsScalar());
    CHECK(session["session_end"]["status"].as<std::string>() == "STATUS_SUCCESS");
    CHECK(runs[name]["scalars"]["valid_metric"].size() == 1);
  }
  CHECK(groups.size() == 4);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
