// qlhost sweep end to end on Fashion-MNIST subsets: a 2x2 grid, killed
// during its second point and resumed; a changed sweep file; bad points.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <thread>

#include "manager/logbook/Logbook.h"
#include "manager/sweep/SweepIndex.h"
#include "quantlab/Clock.h"
#include "support/Process.h"

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
  // The sweep writes pointNNNN.<fingerprint>.exp_id once a point's experiment exists.
  const auto second_started = [&] {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(index_file.parent_path(), error))
      if (entry.path().filename().string().rfind("point0001.", 0) == 0 && entry.path().extension() == ".exp_id")
        return true;
    return false;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!second_started() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(pid, SIGKILL);
  REQUIRE(test::wait_process(pid) == 128 + SIGKILL);
  INFO(test::read_text(output));

  const Logbook logbook(logs(home.path()));
  {
    const auto index = sweep::SweepIndex::read(index_file);
    REQUIRE(index.points.size() == 4);
    CHECK(index.points[0].status == sweep::PointStatus::Done);
    CHECK(index.points[1].status == sweep::PointStatus::Running);  // its sweep is gone: dead
    CHECK(index.points[1].dead(unix_now()));
    CHECK(index.points[2].status == sweep::PointStatus::Pending);
  }
  const auto done_checkpoint = logbook.epoch_checkpoint(0, 0, 1);
  REQUIRE(fs::exists(done_checkpoint));
  const auto done_time = fs::last_write_time(done_checkpoint);

  const auto resumed = test::run_process(sweep_run(home.path(), file));
  INFO(resumed.output);
  REQUIRE(resumed.status == 0);
  CHECK_THAT(resumed.output, Catch::Contains("4 done"));
  const auto index = sweep::SweepIndex::read(index_file);
  for (const auto& point : index.points) {
    CAPTURE(point.point);
    CHECK(point.status == sweep::PointStatus::Done);
    REQUIRE(point.exp_id);
    CHECK(fs::exists(logbook.epoch_checkpoint(*point.exp_id, 0, 1)));
  }
  // One experiment per point; the done one untouched, the killed one resumed in place.
  CHECK(logbook.list_experiments() == std::vector<int>{0, 1, 2, 3});
  CHECK(fs::last_write_time(done_checkpoint) == done_time);
  CHECK(runs_logged(logbook, *index.points[0].exp_id) == 1);
  // The killed point ran again in its own experiment (its first run may have
  // died before it logged a line).
  CHECK(runs_logged(logbook, *index.points[1].exp_id) >= 1);
  CHECK_THAT(resumed.output, Catch::Contains("point 1 (") && Catch::Contains(") resumes exp0001"));
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
