// qlhost sweep end to end on Fashion-MNIST subsets: a 2x2 grid, killed
// during its second point and resumed; a changed sweep file; bad points.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>

#include "manager/logbook/Logbook.h"
#include "manager/sweep/SweepIndex.h"
#include "manager/train/Checkpoint.h"
#include "quantlab/Clock.h"
#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

namespace {

// 1 epoch per point on a few thousand samples: long enough to be killed
// while training, short enough for a test.
const char* kSweep = R"(name: lr-hidden
topology: MLP
set:
  experiment.n_epochs: 1
  experiment.seed: 3
  data.max_train_samples: 3000
  data.max_valid_samples: 300
  data.bs_train: 64
grid:
  training.optimizer.params.lr: [0.01, 0.05]
  network.params.hidden: [[64], [32, 32]]
)";

std::vector<std::string> sweep_run(const fs::path& home, const fs::path& file, std::vector<std::string> extra = {}) {
  return test::sweep_command("fashionmnist", "MLP", file, home, extra);
}

fs::path logs(const fs::path& home) { return home / "problems" / "fashionmnist" / "logs"; }

// The files pointNNNN.<fingerprint>.exp_id of a point: the sweep writes one
// once the point's experiment exists.
std::vector<fs::path> point_id_files(const fs::path& sweep_folder, std::size_t slot) {
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "point%04zu.", slot);
  std::vector<fs::path> found;
  std::error_code error;  // the folder may not exist yet
  for (const auto& entry : fs::directory_iterator(sweep_folder, error))
    if (entry.path().filename().string().rfind(prefix, 0) == 0 && entry.path().extension() == ".exp_id")
      found.push_back(entry.path());
  return found;
}

// The sweep's line saying how a point begins ("sweep NAME: point N (...)
// starts" or "... resumes expNNNN"); empty if it did not begin it.
std::string start_line(const std::string& output, std::size_t slot) {
  std::istringstream lines(output);
  const std::string head = "sweep lr-hidden: point " + std::to_string(slot) + " (";
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(head, 0) == 0 && (line.find(") starts") != std::string::npos ||
                                     line.find(") resumes exp") != std::string::npos))
      return line;
  return "";
}

int runs_logged(const Logbook& logbook, int id) {
  const std::string log = test::read_text(logbook.log_file(id));
  int runs = 0;
  // Each run of qlhost opens its log with "experiment expNNNN of problem ...".
  for (auto at = log.find(" of problem "); at != std::string::npos; at = log.find(" of problem ", at + 1)) ++runs;
  return runs;
}

}  // namespace

TEST_CASE("a 2x2 sweep killed during its second point resumes without retraining what is done", "[qlhost][e2e][sweep]") {
  test::TempDir home;
  const fs::path file = home / "lr-hidden.yaml";
  test::write_bytes(file, kSweep);

  const fs::path output = home / "killed.txt";
  const pid_t pid = test::spawn_process(sweep_run(home.path(), file), output);
  const fs::path index_file = sweep::SweepIndex::path(logs(home.path()), "lr-hidden");
  test::wait_until(pid, output, "point 1 to start (its point0001.*.exp_id file)",
                   [&] { return !point_id_files(index_file.parent_path(), 1).empty(); });
  ::kill(pid, SIGKILL);
  REQUIRE(test::wait_process(pid) == 128 + SIGKILL);
  INFO(test::read_text(output));

  // The signal lands wherever point 1 is: starting, training, writing a
  // checkpoint, or done with point 2 begun. Whatever the moment, the sweep
  // leaves an index that reads back, its points in order: done ones (point 0
  // at least), then at most the one it was running, dead now that its sweep
  // is gone, then pending ones.
  const Logbook logbook(logs(home.path()));
  const auto killed = sweep::SweepIndex::read(index_file);
  REQUIRE(killed.points.size() == 4);
  std::size_t done = 0;
  while (done < killed.points.size() && killed.points[done].status == sweep::PointStatus::Done) ++done;
  CHECK(done >= 1);
  std::optional<std::size_t> running;
  if (done < killed.points.size() && killed.points[done].status == sweep::PointStatus::Running) {
    running = done;
    CHECK(killed.points[done].dead(unix_now()));
  }
  for (std::size_t slot = done + (running ? 1 : 0); slot < killed.points.size(); ++slot) {
    CAPTURE(slot);
    CHECK(killed.points[slot].status == sweep::PointStatus::Pending);
  }
  // Nor is any checkpoint half written.
  for (const auto& entry : fs::recursive_directory_iterator(logs(home.path())))
    if (entry.path().extension() == ".ckpt") CHECK_NOTHROW(read_progress(entry.path()));

  std::map<std::size_t, fs::file_time_type> done_checkpoints;
  for (std::size_t slot = 0; slot < done; ++slot) {
    REQUIRE(killed.points[slot].exp_id);
    const auto checkpoint = logbook.epoch_checkpoint(*killed.points[slot].exp_id, 0, 1);
    REQUIRE(fs::exists(checkpoint));
    done_checkpoints[slot] = fs::last_write_time(checkpoint);
  }
  // The killed point's experiment, if it had made one: the index may not
  // have learnt it yet, its id file says it all the same.
  std::optional<int> killed_experiment;
  if (running) {
    killed_experiment = killed.points[*running].exp_id;
    const auto id_files = point_id_files(index_file.parent_path(), *running);
    if (!killed_experiment && !id_files.empty()) killed_experiment = std::stoi(test::read_text(id_files.front()));
  }

  const auto resumed = test::run_process(sweep_run(home.path(), file));
  INFO(resumed.output);
  REQUIRE(resumed.status == 0);
  CHECK_THAT(resumed.output, Catch::Contains("4 done"));
  const auto index = sweep::SweepIndex::read(index_file);
  REQUIRE(index.points.size() == 4);
  std::vector<int> experiments;
  for (const auto& point : index.points) {
    CAPTURE(point.point);
    CHECK(point.status == sweep::PointStatus::Done);
    REQUIRE(point.exp_id);
    CHECK(fs::exists(logbook.epoch_checkpoint(*point.exp_id, 0, 1)));
    experiments.push_back(*point.exp_id);
  }
  // One experiment per point: the done ones untouched, the killed one resumed
  // in place, the pending ones started.
  std::sort(experiments.begin(), experiments.end());
  CHECK(logbook.list_experiments() == experiments);
  for (const auto& [slot, written] : done_checkpoints) {
    CAPTURE(slot);
    CHECK(fs::last_write_time(logbook.epoch_checkpoint(*index.points[slot].exp_id, 0, 1)) == written);
    CHECK(runs_logged(logbook, *index.points[slot].exp_id) == 1);
    CHECK(start_line(resumed.output, slot).empty());
  }
  if (running) {
    CAPTURE(*running);
    // Its first run may have died before it logged a line.
    CHECK(runs_logged(logbook, *index.points[*running].exp_id) >= 1);
    if (killed_experiment) {
      CHECK(index.points[*running].exp_id == killed_experiment);
      CHECK_THAT(start_line(resumed.output, *running),
                 Catch::EndsWith(") resumes " + Logbook::experiment_name(*killed_experiment)));
    } else {
      CHECK_THAT(start_line(resumed.output, *running), Catch::EndsWith(") starts"));
    }
  }
  for (std::size_t slot = done + (running ? 1 : 0); slot < index.points.size(); ++slot) {
    CAPTURE(slot);
    CHECK_THAT(start_line(resumed.output, slot), Catch::EndsWith(") starts"));
  }
  // Each point trained what it says: the grid's values are in its config.
  CHECK_THAT(test::read_text(logbook.config_file(*index.points[3].exp_id)),
             Catch::Contains("lr: 0.05") && Catch::Contains("[32, 32]"));

  SECTION("running it again trains nothing") {
    const auto again = test::run_process(sweep_run(home.path(), file));
    CHECK(again.status == 0);
    CHECK(logbook.list_experiments().size() == 4);
  }
  SECTION("a changed sweep file is refused unless --force-new") {
    std::string changed = kSweep;
    changed.replace(changed.find("0.05"), 4, "0.10");
    test::write_bytes(file, changed);
    const auto refused = test::run_process(sweep_run(home.path(), file));
    CHECK(refused.status == 2);
    CHECK_THAT(refused.output, Catch::Contains("lr-hidden.yaml: expected the sweep that") &&
                                   Catch::Contains("--force-new"));
    CHECK(logbook.list_experiments().size() == 4);
    CHECK(sweep::SweepIndex::read(index_file).fingerprint == index.fingerprint);

    const auto renewed =
        test::run_process(sweep_run(home.path(), file, {"--force-new", "--set", "data.max_train_samples=300"}));
    INFO(renewed.output);
    CHECK(renewed.status == 0);
    CHECK(logbook.list_experiments().size() == 8);
    bool kept_aside = false;
    for (const auto& entry : fs::directory_iterator(index_file.parent_path()))
      kept_aside = kept_aside || entry.path().filename().string().rfind("index.replaced-", 0) == 0;
    CHECK(kept_aside);
  }
}

TEST_CASE("a sweep with a bad point is refused before anything runs", "[qlhost][e2e][sweep]") {
  test::TempDir home;
  const fs::path file = home / "bad.yaml";
  test::write_bytes(file, "grid:\n  training.optimizer.params.lr: [0.01, -1]\n  data.bs_train: [32, 0]\n");
  const auto result = test::run_process(sweep_run(home.path(), file));
  CHECK(result.status == 2);
  CHECK_THAT(result.output, Catch::Contains("bad.yaml: point 1 (") && Catch::Contains("data.bs_train"));
  CHECK_FALSE(fs::exists(logs(home.path()) / "sweeps"));
  CHECK(Logbook(logs(home.path())).list_experiments().empty());

  test::write_bytes(file, "grid: {training.optimizer.params.lr: [0.1]}\ntopology: SimpleCNN\n");
  const auto wrong_topology = test::run_process(sweep_run(home.path(), file));
  CHECK(wrong_topology.status == 2);
  CHECK_THAT(wrong_topology.output,
             Catch::Contains("bad.yaml: topology: expected the --topology it is run with (MLP)"));
}

TEST_CASE("median pruning and successive halving stop a point worse than the finished ones", "[qlhost][e2e][sweep]") {
  // Halving with eta 2 at rungs 1, 2, 4: of the 2 finished points and lr 5, one goes on.
  const std::string method = GENERATE(as<std::string>{}, "median", "halving, eta: 2");
  CAPTURE(method);
  test::TempDir home;
  const fs::path file = home / "prune.yaml";
  // Two sane learning rates finish first; lr 5 diverges and is judged from epoch 1 on.
  // It trains on 30 times the samples, so each of its epochs takes seconds:
  // the sweep, which looks at its points about once a second, judges it at
  // the epochs the finished points have, however fast the machine.
  test::write_bytes(file, R"(topology: MLP
set: {experiment.n_epochs: 8, experiment.seed: 1, data.max_valid_samples: 300, training.lr_scheduler.params.T_max: 8}
zip:
  - training.optimizer.params.lr: [0.001, 0.002, 5.0]
    data.max_train_samples: [2000, 2000, 60000]
prune: {method: )" + method + R"(, after_epoch: 1, min_finished: 2}
)");
  const auto result = test::run_process(sweep_run(home.path(), file));
  INFO(result.output);
  REQUIRE(result.status == 0);
  const auto index = sweep::SweepIndex::read(sweep::SweepIndex::path(logs(home.path()), "prune"));
  REQUIRE(index.points.size() == 3);
  CHECK(index.points[0].status == sweep::PointStatus::Done);
  CHECK(index.points[1].status == sweep::PointStatus::Done);
  CHECK(index.points[2].status == sweep::PointStatus::Pruned);
  CHECK_THAT(index.points[2].message, Catch::Contains(method == "median" ? "is worse than the median" : "go on"));
  // Stopped early: its experiment never reached its last epoch.
  CHECK_FALSE(fs::exists(Logbook(logs(home.path())).epoch_checkpoint(*index.points[2].exp_id, 0, 8)));
  CHECK_THAT(result.output, Catch::Contains("2 done, 1 pruned"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
