#include <catch2/catch.hpp>

#include "manager/compare/Leaderboard.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::compare;

namespace {

FoldRecord fold(int index, std::vector<double> values, int epochs_done, double seconds = 10) {
  FoldRecord record;
  record.fold = index;
  for (std::size_t e = 0; e < values.size(); ++e) record.curve.push_back({static_cast<int>(e + 1), values[e]});
  record.epochs_done = epochs_done;
  if (!values.empty()) record.train_seconds = seconds;
  return record;
}

ExperimentRecord experiment(int id, double lr, std::vector<FoldRecord> folds, int n_epochs = 3) {
  ExperimentRecord record;
  record.id = id;
  record.topology = "SimpleCNN";
  record.config = flatten_config(YAML::Load("experiment: {seed: " + std::to_string(id) +
                                            "}\ntraining: {lr: " + std::to_string(lr) + "}\n"));
  record.n_epochs = n_epochs;
  record.recipe = "none";
  record.folds = std::move(folds);
  return record;
}

std::vector<std::string> ids(const Leaderboard& board) {
  std::vector<std::string> out;
  for (const auto& row : board.rows) out.push_back(row.id());
  return out;
}

}  // namespace

TEST_CASE("a curve's best and last value and epoch of best follow the metric's direction", "[compare]") {
  const std::vector<CurvePoint> curve{{1, 30}, {2, 12}, {3, 12}, {4, 20}};
  const CurveSummary lower = summarize_curve(curve, false);
  CHECK(*lower.best == 12);
  CHECK(*lower.best_epoch == 2);  // the first of equal values, as best.ckpt keeps it
  CHECK(*lower.last == 20);
  const CurveSummary higher = summarize_curve(curve, true);
  CHECK(*higher.best == 30);
  CHECK(*higher.best_epoch == 1);
  CHECK_FALSE(summarize_curve({}, true).best);
  // A diverged epoch is never the best.
  const CurveSummary diverged = summarize_curve({{1, std::nan("")}, {2, 5}}, false);
  CHECK(*diverged.best == 5);
  CHECK(*diverged.best_epoch == 2);
}

TEST_CASE("mean and sample standard deviation over folds", "[compare]") {
  const auto stats = mean_std({2, 4, 6});
  REQUIRE(stats);
  CHECK(stats->mean == Approx(4));
  CHECK(*stats->std == Approx(2));
  CHECK_FALSE(mean_std({5})->std);
  CHECK_FALSE(mean_std({}));
}

TEST_CASE("rows are ranked best first with the metric's direction", "[compare]") {
  const std::vector<ExperimentRecord> records{experiment(0, 0.1, {fold(0, {20, 15, 18}, 3)}),
                                              experiment(1, 0.2, {fold(0, {14, 12, 13}, 3)}),
                                              experiment(2, 0.3, {fold(0, {}, 0)}),
                                              experiment(3, 0.4, {fold(0, {30, 25}, 2)})};
  const Leaderboard lower = make_leaderboard(records, "top1_error", false);
  CHECK(ids(lower) == std::vector<std::string>{"exp0001", "exp0000", "exp0003", "exp0002"});
  CHECK(lower.differing_keys == std::vector<std::string>{"training.lr"});
  CHECK(lower.rows[0].values == std::vector<std::string>{"0.2"});
  CHECK(*lower.rows[0].best == 12);
  CHECK(*lower.rows[0].last == 13);
  CHECK(*lower.rows[0].best_epoch == 2);
  CHECK(lower.rows[0].status == "done");
  CHECK(lower.rows[2].status == "incomplete");
  // Without a value an experiment comes last, whichever the direction.
  const Leaderboard higher = make_leaderboard(records, "accuracy", true);
  CHECK(ids(higher) == std::vector<std::string>{"exp0003", "exp0000", "exp0001", "exp0002"});
}

TEST_CASE("rows carry their experiment's origin, and sensitivities follow the ranking", "[compare]") {
  std::vector<ExperimentRecord> records{experiment(0, 0.1, {fold(0, {20}, 1)}, 1),
                                        experiment(1, 0.2, {fold(0, {10}, 1)}, 1),
                                        experiment(2, 0.3, {fold(0, {15}, 1)}, 1)};
  records[1].origin = "select weights=300KiB";
  for (const int id : {0, 1}) {
    records[id].sensitivity = Sensitivity{};
    records[id].sensitivity->experiment = id;
  }
  const Leaderboard board = make_leaderboard(records, "top1_error", false);
  CHECK(board.rows[0].origin == "select weights=300KiB");
  CHECK(board.rows[1].origin.empty());
  REQUIRE(board.sensitivities.size() == 2);
  CHECK(board.sensitivities[0].experiment == 1);
  CHECK(board.sensitivities[1].experiment == 0);
}

TEST_CASE("a k-fold experiment has a mean row followed by its folds", "[compare]") {
  const std::vector<ExperimentRecord> records{
      experiment(0, 0.1, {fold(0, {10, 8}, 2, 5), fold(1, {12, 12}, 2, 6), fold(2, {9, 10}, 2, 7)}, 2),
      experiment(1, 0.2, {fold(0, {11, 11.5}, 2)}, 2)};
  const Leaderboard board = make_leaderboard(records, "top1_error", false);
  REQUIRE(ids(board) ==
          std::vector<std::string>{"exp0000 (3 folds)", "exp0000/fold0", "exp0000/fold1", "exp0000/fold2", "exp0001"});
  const LeaderboardRow& folds = board.rows[0];
  CHECK(folds.kind == LeaderboardRow::Kind::Folds);
  CHECK(*folds.best == Approx((8 + 12 + 9) / 3.0));
  CHECK(*folds.best_std == Approx(2.081666).epsilon(1e-5));
  CHECK(*folds.last == Approx(10));
  CHECK(*folds.last_std == Approx(2));
  CHECK_FALSE(folds.best_epoch);
  CHECK(*folds.train_seconds == Approx(18));
  CHECK(folds.status == "done");
  CHECK(board.rows[1].kind == LeaderboardRow::Kind::Fold);
  CHECK(*board.rows[2].fold == 1);
  CHECK(*board.rows[2].best == 12);
}

TEST_CASE("a sweep's status overrides done and incomplete", "[compare]") {
  auto dead = experiment(0, 0.1, {fold(0, {20}, 1)});
  dead.sweep_status = "dead";
  auto failed = experiment(1, 0.2, {fold(0, {}, 0)});
  failed.sweep_status = "failed";
  const Leaderboard board = make_leaderboard({dead, failed, experiment(2, 0.3, {fold(0, {1, 2, 3}, 3)})}, "m", false);
  CHECK(board.rows[0].status == "done");
  CHECK(board.rows[1].status == "dead");
  CHECK(board.rows[2].status == "failed");
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
