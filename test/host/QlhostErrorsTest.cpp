// Every error a user can cause ends qlhost with one line naming the file, key
// or value, exit status 2, and nothing on disk lost.
#include <catch2/catch.hpp>

#include <fstream>

#include "manager/logbook/Logbook.h"
#include "support/Files.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

namespace {

struct Failure {
  int status;
  std::string line;  // the error line
  int error_lines;
};

Failure run(const std::vector<std::string>& arguments) {
  const auto result = test::run_process(arguments);
  Failure failure{result.status, "", 0};
  std::istringstream lines(result.output);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("qlhost: error: ", 0) == 0) {
      failure.line = line;
      ++failure.error_lines;
    }
  return failure;
}

std::vector<std::string> train(const fs::path& home, std::vector<std::string> extra,
                               const std::string& plugin = test::plugin_path("fashionmnist")) {
  std::vector<std::string> arguments{test::qlhost_path(), "--plugin", plugin, "--topology", "SimpleCNN",
                                     "--home", home.string(), "--threads", "1"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

std::vector<std::string> tiny() {
  return {"--set", "experiment.n_epochs=1", "--set", "data.max_train_samples=200", "--set",
          "data.max_valid_samples=200"};
}

fs::path logs(const fs::path& home) { return home / "problems" / "fashionmnist" / "logs"; }

int experiments(const fs::path& home) {
  return fs::exists(logs(home)) ? static_cast<int>(Logbook(logs(home)).list_experiments().size()) : 0;
}

#define CHECK_USER_ERROR(failure, text)         \
  do {                                          \
    const Failure f = (failure);                \
    INFO(f.line);                               \
    CHECK(f.status == 2);                       \
    CHECK(f.error_lines == 1);                  \
    CHECK_THAT(f.line, Catch::Contains(text));  \
  } while (false)

}  // namespace

TEST_CASE("bad configs and options are refused before an experiment is made", "[qlhost][errors]") {
  test::TempDir home;
  std::ofstream(home / "broken.yaml") << "experiment: {n_epochs: 2\nnetwork: [\n";
  CHECK_USER_ERROR(run(train(home.path(), {"--config", (home / "broken.yaml").string()})), "broken.yaml:");
  CHECK_USER_ERROR(run(train(home.path(), {"--config", (home / "missing.yaml").string()})), "missing.yaml");
  CHECK_USER_ERROR(run(train(home.path(), {"--set", "experiment.n_epoch=3"})),
                   "experiment.n_epoch: unknown key; expected one of");
  CHECK_USER_ERROR(run(train(home.path(), {"--set", "experiment.n_epochs=ten"})),
                   "experiment.n_epochs: expected an integer, got ten");
  CHECK_USER_ERROR(run(train(home.path(), {"--set", "network.params.widht=8"})),
                   "network.params.widht: unknown key");
  CHECK_USER_ERROR(run(train(home.path(), {"--set", "training.optimizer.class=LBFGS"})),
                   "training.optimizer.class: expected one of SGD, Adam");
  CHECK_USER_ERROR(run(train(home.path(), {"--set", "experiment.target_metric=accuracy"})),
                   "experiment.target_metric: expected a metric of the meter (top1_error, top5_error)");
  CHECK_USER_ERROR(run(train(home.path(), {"--set", "network.class=MLP"})),
                   "network.class: expected \"SimpleCNN\", the topology being run");
  CHECK_USER_ERROR(run(train(home.path(), {"--mode", "deploy"})), "--mode deploy: expected train or test");
  CHECK_USER_ERROR(run(train(home.path(), {"--mode", "test"})), "--mode test: expected --exp-id N");
  CHECK_USER_ERROR(run({test::qlhost_path(), "--plugin", test::plugin_path("fashionmnist"), "--topology", "SimpleCNN",
                        "--home", home.path().string(), "--threads", "0"}),
                   "--threads 0: expected a positive integer");
  CHECK_USER_ERROR(run(train(home.path(), {"--bogus"})), "unrecognised option '--bogus'");
  CHECK_USER_ERROR(run({test::qlhost_path(), "--plugin", test::plugin_path("fashionmnist"), "--topology", "ResNet",
                        "--home", home.path().string()}),
                   "topology \"ResNet\": not in plugin fashionmnist");
  CHECK_USER_ERROR(run({test::qlhost_path(), "frobnicate"}), "qlhost frobnicate: unknown command");
  // A folder given as the config; a key given twice; values nothing trains on.
  CHECK_USER_ERROR(run(train(home.path(), {"--config", home.path().string()})),
                   home.path().string() + ": is a folder (expected a YAML file)");
  std::ofstream(home / "twice.yaml") << "experiment: {n_epochs: 2}\nexperiment: {n_epochs: 3}\n";
  CHECK_USER_ERROR(run(train(home.path(), {"--config", (home / "twice.yaml").string()})),
                   "twice.yaml:2: key 'experiment' appears twice in one mapping (first on line 1)");
  CHECK_USER_ERROR(run(train(home.path(), {"--set", "training.optimizer.params.lr=.inf"})),
                   "training.optimizer.params.lr: expected a finite number, got .inf");
  CHECK_USER_ERROR(run(train(home.path(), {"--set", "training.optimizer.params.momentum=.nan"})),
                   "training.optimizer.params.momentum: expected a finite number, got .nan");
  CHECK_USER_ERROR(run(train(home.path(), {"--set", "experiment.n_folds=70000", "--set",
                                           "data.max_train_samples=2000"})),
                   "experiment.n_folds: expected at most 60000");
  CHECK(experiments(home.path()) == 0);
}

TEST_CASE("a bad training stage is refused naming its key before an experiment is made",
          "[qlhost][errors][stages]") {
  test::TempDir home;
  const std::vector<std::string> staged{
      "--config", std::string(QUANTLAB_SOURCE_DIR) + "/configs/fashionmnist/SimpleCNN.binary-staged.yaml", "--set",
      "network.pretrained=null"};
  auto with = [&](const std::string& stages) {
    auto arguments = staged;
    arguments.insert(arguments.end(), {"--set", "training.stages=" + stages});
    return train(home.path(), arguments);
  };
  CHECK_USER_ERROR(run(with("[{epochs: [0, 3]}, {epochs: [2, 4]}]")),
                   "training.stages[1].epochs: expected a range starting at epoch 3, where the stage before ends");
  CHECK_USER_ERROR(run(with("[{epochs: [2, 4]}, {epochs: [0, 2]}]")),
                   "training.stages[0].epochs: expected a range starting at epoch 0");
  CHECK_USER_ERROR(run(with("[{epochs: [0, 5]}]")),
                   "training.stages[0].epochs: expected a range ending at most at experiment.n_epochs (4)");
  CHECK_USER_ERROR(run(with("[{epochs: [0, 2]}, {epochs: [2, 4], switch_on: [fc1.weight_quantizer, conv9*]}]")),
                   "training.stages[1].switch_on: expected names of the recipe's quantizers (globs), weights or "
                   "activations (\"conv9*\" matches none of ");
  CHECK_USER_ERROR(
      run(with("[{epochs: [0, 2], switch_on: weights}, {epochs: [2, 4], switch_on: fc1.weight_quantizer}]")),
                   "training.stages[1].switch_on: expected quantizers no earlier stage switches on");
  CHECK_USER_ERROR(run(with("[{epochs: [0, 4], lr_scheduler: {class: CosineAnnealingLR, params: {T_max: 0}}}]")),
                   "training.stages[0].lr_scheduler.params.T_max: expected a positive integer");
  CHECK(experiments(home.path()) == 0);
}

TEST_CASE("a write that fails (a full disk) ends the run with one line, leaves no temporary and resumes",
          "[qlhost][errors]") {
  test::TempDir home;
  // Files may not grow past 1 MiB (SIGXFSZ ignored, so a write fails with
  // EFBIG as it would with ENOSPC); SimpleCNN's checkpoints hold 6 MB.
  std::string command = "trap '' XFSZ; ulimit -f 1024; exec";
  for (const auto& argument : train(home.path(), tiny())) command += " '" + argument + "'";
  const Failure full = run({"/bin/bash", "-c", command});
  INFO(full.line);
  CHECK(full.status == 2);
  CHECK(full.error_lines == 1);
  CHECK_THAT(full.line, Catch::Contains("cannot write " + logs(home.path()).string() + "/exp0000/fold0/saves/") &&
                            Catch::Contains(".ckpt: File too large (") && Catch::Contains(" MiB free in "));
  for (const auto& entry : fs::recursive_directory_iterator(logs(home.path()))) {
    INFO(entry.path());
    CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);
  }
  const auto resumed = test::run_process(train(home.path(), {"--exp-id", "0"}));
  INFO(resumed.output);
  CHECK(resumed.status == 0);
  CHECK(fs::exists(Logbook(logs(home.path())).epoch_checkpoint(0, 0, 1)));
}

TEST_CASE("a run whose loss diverges stops with one line, keeps its checkpoints and resumes once fixed",
          "[qlhost][errors]") {
  test::TempDir home;
  auto diverging = tiny();
  diverging.insert(diverging.end(), {"--set", "experiment.n_epochs=3", "--set", "experiment.ckpt_every=1", "--set",
                                     "data.max_train_samples=1000"});
  // One sane epoch, then a learning rate whose first step blows the weights up,
  // so that the next batch's loss is NaN.
  diverging.insert(diverging.end(), {"--set", "training.lr_scheduler={class: HandScheduler, params: {schedule: "
                                              "{1: 1.0e+30}}}"});
  const Failure diverged = run(train(home.path(), diverging));
  INFO(diverged.line);
  CHECK(diverged.status == 2);
  CHECK(diverged.error_lines == 1);
  CHECK_THAT(diverged.line, Catch::Contains("exp0000/config.yaml: fold 0 epoch 2 batch ") &&
                                Catch::Contains(": the training loss is ") && Catch::Contains("resume with --exp-id"));
  const Logbook logbook(logs(home.path()));
  CHECK(fs::exists(logbook.epoch_checkpoint(0, 0, 1)));
  CHECK_FALSE(fs::exists(logbook.epoch_checkpoint(0, 0, 2)));

  // The documented way on: edit the value in the experiment's config.yaml, resume.
  const fs::path config = logbook.config_file(0);
  std::string text = test::read_text(config);
  const auto at = text.find("1.0e+30");
  REQUIRE(at != std::string::npos);
  text.replace(at, std::string("1.0e+30").size(), "0.5");
  test::write_bytes(config, text);
  const auto resumed = test::run_process(train(home.path(), {"--exp-id", "0"}));
  INFO(resumed.output);
  CHECK(resumed.status == 0);
  CHECK_THAT(resumed.output, Catch::Contains("resuming from"));
  CHECK(fs::exists(logbook.epoch_checkpoint(0, 0, 3)));
}

TEST_CASE("bad plugins, storage maps and experiment ids are refused", "[qlhost][errors]") {
  test::TempDir home;
  const std::string fixture = std::string(QUANTLAB_BUILD_DIR) + "/test/fixtures/libabi_mismatch.so";
  CHECK_USER_ERROR(run(train(home.path(), {}, fixture)), "libabi_mismatch.so: built for plugin ABI");
  CHECK_USER_ERROR(run({test::qlhost_path(), "plugin", "info", fixture}), "built for plugin ABI");
  CHECK_USER_ERROR(run(train(home.path(), {}, "/nonexistent/libnothing.so")), "/nonexistent/libnothing.so: no such plugin");

  CHECK_USER_ERROR(run(train(home.path(), {"--exp-id", "3"})), "experiment 3 does not exist");

  REQUIRE(run(train(home.path(), tiny())).status == 0);
  CHECK_USER_ERROR(run(train(home.path(), {"--exp-id", "0", "--set", "experiment.n_epochs=5"})),
                   "--exp-id 0: the experiment's config.yaml is fixed");
  // An experiment whose log cannot be appended to (here a folder in its way;
  // a read-only logs folder fails the same way for a user who is not root).
  const fs::path log = logs(home.path()) / "exp0000" / "log.txt";
  fs::rename(log, home / "log.txt.saved");
  fs::create_directories(log);
  CHECK_USER_ERROR(run(train(home.path(), {"--exp-id", "0", "--mode", "test"})),
                   log.string() + ": cannot append to the experiment's log");
  CHECK_USER_ERROR(run(train(home.path(), {"--exp-id", "0"})), log.string() + ": cannot append to the experiment's log");
  fs::remove(log);
  fs::rename(home / "log.txt.saved", log);

  test::TempDir mapped;
  fs::create_directories(mapped / "storage");
  std::ofstream(mapped / "storage" / "hard_folders.yaml") << "data: /nonexistent/ssd\nlogs: /nonexistent/hdd\n";
  CHECK_USER_ERROR(run(train(mapped.path(), tiny())), "hard folder /nonexistent/ssd does not exist");
  std::ofstream(mapped / "storage" / "hard_folders.yaml") << "data: /tmp\nlogz: /tmp\n";
  CHECK_USER_ERROR(run(train(mapped.path(), tiny())), "logz");
  fs::remove(mapped / "storage" / "hard_folders.yaml");
  fs::create_directories(mapped / "storage" / "hard_folders.yaml");
  CHECK_USER_ERROR(run(train(mapped.path(), tiny())), "hard_folders.yaml: is a folder (expected a YAML file)");
}

TEST_CASE("damaged data and checkpoints are named and nothing is lost", "[qlhost][errors]") {
  test::TempDir home;
  const fs::path data = home / "problems" / "fashionmnist" / "data";
  REQUIRE(run({test::qlhost_path(), "problem", "init", "fashionmnist", "--home", home.path().string()}).status == 0);
  // A truncated copy of the training set in the problem's data folder.
  const std::string source = "/usr/share/datasets/fashion-mnist/";
  for (const std::string name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}) {
    const std::string bytes = test::read_bytes(source + name);
    test::write_bytes(data / name,
                      bytes.substr(0, name.find("labels") != std::string::npos ? bytes.size() / 2 : bytes.size()));
  }
  CHECK_USER_ERROR(run(train(home.path(), tiny())), "train-labels-idx1-ubyte.gz");
  CHECK(experiments(home.path()) == 0);
  fs::remove(data / "train-images-idx3-ubyte.gz");
  fs::remove(data / "train-labels-idx1-ubyte.gz");

  // A checkpoint overwritten with garbage is refused, and left where it is.
  auto options = tiny();
  options.insert(options.end(), {"--set", "experiment.n_epochs=2", "--ckpt-every", "1"});
  REQUIRE(run(train(home.path(), options)).status == 0);
  const Logbook logbook(logs(home.path()));
  fs::remove(logbook.epoch_checkpoint(0, 0, 2));
  fs::remove(logbook.best_checkpoint(0, 0));
  std::ofstream(logbook.epoch_checkpoint(0, 0, 1), std::ios::trunc) << "garbage";
  CHECK_USER_ERROR(run(train(home.path(), {"--exp-id", "0"})), "epoch0001.ckpt: not a readable checkpoint");
  CHECK(test::read_bytes(logbook.epoch_checkpoint(0, 0, 1)) == "garbage");
  CHECK(test::read_bytes(logbook.config_file(0)).find("n_epochs: 2") != std::string::npos);
}

TEST_CASE("network.pretrained starts from another experiment's weights and a bad one is refused", "[qlhost][errors]") {
  test::TempDir home;
  const std::string pact_w8a8 = std::string(QUANTLAB_SOURCE_DIR) + "/configs/fashionmnist/SimpleCNN.pact-w8a8.yaml";
  // No experiment 0 yet: refused naming the key, nothing made.
  CHECK_USER_ERROR(run(train(home.path(), {"--config", pact_w8a8})),
                   "network.pretrained.exp_id: expected the id of an existing experiment");
  CHECK(experiments(home.path()) == 0);
  const auto fp32 = test::run_process(train(home.path(), tiny()));
  REQUIRE(fp32.status == 0);
  CHECK_USER_ERROR(run(train(home.path(), {"--config", pact_w8a8, "--set", "network.pretrained.fold=3"})),
                   "network.pretrained.fold: expected a fold of exp0000 that was trained");
  CHECK_USER_ERROR(run(train(home.path(), {"--config", pact_w8a8, "--set", "network.pretrained.checkpoint=first"})),
                   "network.pretrained.checkpoint: expected best or last");
  CHECK(experiments(home.path()) == 1);
  std::vector<std::string> quantized = tiny();
  quantized.insert(quantized.begin(), {"--config", pact_w8a8});
  const auto run_quantized = test::run_process(train(home.path(), quantized));
  INFO(run_quantized.output);
  CHECK(run_quantized.status == 0);
  CHECK(experiments(home.path()) == 2);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
