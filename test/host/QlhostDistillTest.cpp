#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

#include "manager/logbook/Logbook.h"
#include "manager/tensorboard/EventReader.h"
#include "support/CheckpointTensors.h"
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

std::vector<std::string> with(std::vector<std::string> options, const std::vector<std::string>& more) {
  options.insert(options.end(), more.begin(), more.end());
  return options;
}

std::vector<std::string> distilling(const std::string& distill, const test::QuickRun& run) {
  return with(test::quick_run(run), {"--set", "training.distill=" + distill});
}

std::vector<double> scalar_values(const fs::path& stats_dir, const std::string& tag) {
  std::vector<double> values;
  for (const auto& file : tensorboard::EventReader::find_event_files(stats_dir))
    for (const auto& point : tensorboard::EventReader(file).scalars(tag)) values.push_back(point.value);
  return values;
}

// exp0000: a teacher trained for one epoch on a little data.
void train_teacher(const fs::path& home, const std::vector<std::string>& extra = {}) {
  const auto teacher = test::run_process(fashionmnist(home, with(test::quick_run({.train_samples = 600}), extra)));
  INFO(teacher.output);
  REQUIRE(teacher.status == 0);
}

TEST_CASE("a student learns from a trained teacher: the loss's terms are logged apart, the teacher's metric "
          "once, and alpha 0 trains exactly as without a teacher",
          "[qlhost][e2e][distill]") {
  test::TempDir home;
  train_teacher(home.path());
  const test::QuickRun run{.train_samples = 600};

  const auto student = test::run_process(
      fashionmnist(home.path(), distilling("{teacher: {exp_id: 0}, temperature: 2.0, alpha: 0.7}", run)));
  INFO(student.output);
  REQUIRE(student.status == 0);
  CHECK_THAT(student.output,
             Catch::Contains("fold 0: distilling from teacher exp0000 fold 0 (best.ckpt, epoch 1, SimpleCNN): "
                             "valid loss") &&
                 Catch::Contains("| train loss ") && Catch::Contains(" (distill ") && Catch::Contains(" label "));
  const Logbook logbook(logs(home.path()));
  const auto stats = logbook.stats_dir(1, 0);
  const auto total = scalar_values(stats, "train_loss");
  const auto distill = scalar_values(stats, "train_loss/distill");
  const auto label = scalar_values(stats, "train_loss/label");
  REQUIRE(total.size() == 1);
  REQUIRE(distill.size() == 1);
  REQUIRE(label.size() == 1);
  CHECK(distill[0] > 0);
  CHECK(total[0] == Approx(0.7 * distill[0] + 0.3 * label[0]).epsilon(1e-5));

  // The teacher runs without gradients and without touching the student's
  // random stream, so with alpha 0 the student is the plain run's to the bit.
  const auto weighted_out =
      test::run_process(fashionmnist(home.path(), distilling("{teacher: {exp_id: 0}, alpha: 0.0, loss: mse}", run)));
  const auto plain = test::run_process(fashionmnist(home.path(), test::quick_run(run)));
  REQUIRE(weighted_out.status == 0);
  REQUIRE(plain.status == 0);
  CHECK(test::identical(test::simple_cnn_tensors(logbook.epoch_checkpoint(2, 0, 1)),
                        test::simple_cnn_tensors(logbook.epoch_checkpoint(3, 0, 1))));
  CHECK_FALSE(test::identical(test::simple_cnn_tensors(logbook.epoch_checkpoint(1, 0, 1)),
                              test::simple_cnn_tensors(logbook.epoch_checkpoint(3, 0, 1))));
}

TEST_CASE("a distilling run killed and resumed reloads its teacher and ends like an uninterrupted one",
          "[qlhost][e2e][distill][resume]") {
  test::TempDir home;
  train_teacher(home.path());
  const int epochs = 3;
  const auto options =
      with(distilling("{teacher: {exp_id: 0}, alpha: 0.5}", {.epochs = epochs, .train_samples = 1200}),
           {"--ckpt-every", "1"});
  const auto straight = test::run_process(fashionmnist(home.path(), options));
  INFO(straight.output);
  REQUIRE(straight.status == 0);

  const Logbook logbook(logs(home.path()));
  const fs::path output = home / "killed.txt";
  test::run_until_killed(fashionmnist(home.path(), options), output, logbook.epoch_checkpoint(2, 0, 1));
  REQUIRE_FALSE(fs::exists(logbook.epoch_checkpoint(2, 0, epochs)));

  const auto resumed = test::run_process(fashionmnist(home.path(), {"--exp-id", "2", "--ckpt-every", "1"}));
  INFO(resumed.output);
  REQUIRE(resumed.status == 0);
  CHECK_THAT(resumed.output, Catch::Contains("resuming from") && Catch::Contains("distilling from teacher exp0000"));
  CHECK(test::identical(test::simple_cnn_tensors(logbook.epoch_checkpoint(1, 0, epochs)),
                        test::simple_cnn_tensors(logbook.epoch_checkpoint(2, 0, epochs))));
}

TEST_CASE("k-fold students under mpirun distil each fold from the teacher's same fold", "[qlhost][e2e][distill][mpi]") {
  test::TempDir home;
  train_teacher(home.path(), {"--set", "experiment.n_folds=2", "--set", "data.max_train_samples=300"});
  auto command = fashionmnist(home.path(), with(distilling("{teacher: {exp_id: 0}}", {.train_samples = 300}),
                                                {"--set", "experiment.n_folds=2"}));
  command.insert(command.begin(), {"timeout", "300", "mpirun", "-np", "2", "--oversubscribe"});
  const auto student = test::run_process(command);
  INFO(student.output);
  REQUIRE(student.status == 0);
  CHECK_THAT(student.output, Catch::Contains("fold 0: distilling from teacher exp0000 fold 0 (best.ckpt") &&
                                 Catch::Contains("fold 1: distilling from teacher exp0000 fold 1 (best.ckpt"));
}

TEST_CASE("a teacher that does not exist or has no checkpoint, and bad distillation keys, are one line each, "
          "exit 2, nothing created",
          "[qlhost][e2e][distill]") {
  test::TempDir home;
  train_teacher(home.path());
  const Logbook logbook(logs(home.path()));
  const test::QuickRun run{.train_samples = 300};
  const auto refused = [&](const std::string& distill, const std::string& expected) {
    const auto before = logbook.list_experiments();
    const auto result = test::run_process(fashionmnist(home.path(), distilling(distill, run)));
    INFO(result.output);
    CHECK(result.status == 2);
    const auto errors = test::error_lines(result.output);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::Contains(expected));
    CHECK(logbook.list_experiments() == before);
  };
  refused("{teacher: {exp_id: 5}}", "training.distill.teacher.exp_id: expected the id of an existing experiment");
  refused("{teacher: {exp_id: 0, fold: 3}}", "training.distill.teacher.fold: expected a fold of exp0000");
  refused("{teacher: {exp_id: 0}, alpha: 1.5}", "training.distill.alpha: expected a number in [0, 1]");
  refused("{teacher: {exp_id: 0}, loss: l1}", "training.distill.loss: expected kl or mse");
  refused("{teacher: {exp_id: 0}, temprature: 2}", "training.distill.temprature: unknown key");
  refused("{alpha: 0.5}", "training.distill.teacher: expected {exp_id: N, fold: K} or {checkpoint: PATH");
  refused("{teacher: {checkpoint: " + (home / "none.ckpt").string() + ", topology: SimpleCNN}}",
          "training.distill.teacher.checkpoint: expected a checkpoint file that exists");
  refused("{teacher: {checkpoint: " + logbook.best_checkpoint(0, 0).string() + ", topology: ResNet}}",
          "training.distill.teacher.topology: expected a topology of this problem");

  // A teacher given as a checkpoint file and topology works as well.
  const auto from_file = test::run_process(fashionmnist(
      home.path(),
      distilling("{teacher: {checkpoint: " + logbook.best_checkpoint(0, 0).string() + ", topology: SimpleCNN}}", run)));
  INFO(from_file.output);
  CHECK(from_file.status == 0);
  CHECK_THAT(from_file.output, Catch::Contains("distilling from teacher " + logbook.best_checkpoint(0, 0).string()));

  for (const auto& entry : fs::directory_iterator(logbook.saves_dir(0, 0))) fs::remove(entry.path());
  refused("{teacher: {exp_id: 0}}", "training.distill.teacher.checkpoint: expected a checkpoint that exists");
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
