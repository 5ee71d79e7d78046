// qlhost end to end on Fashion-MNIST subsets: a short training, kill and
// resume, test mode, k-fold, and mpirun.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <torch/torch.h>

#include "manager/config/ExperimentConfig.h"
#include "manager/logbook/ExperimentLock.h"
#include "manager/logbook/Logbook.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/tensorboard/EventReader.h"
#include "manager/train/Checkpoint.h"
#include "support/CheckpointTensors.h"
#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

namespace {

// qlhost on Fashion-MNIST's SimpleCNN, unless a test names another topology.
std::vector<std::string> fashionmnist(const fs::path& home, const std::vector<std::string>& extra,
                                      const std::string& topology = "SimpleCNN") {
  return test::qlhost_command("fashionmnist", topology, home, extra);
}

// The same under mpirun with `ranks` ranks, ended by `timeout` should it hang.
std::vector<std::string> under_mpirun(int ranks, std::vector<std::string> arguments) {
  arguments.insert(arguments.begin(),
                   {"timeout", "300", "mpirun", "-np", std::to_string(ranks), "--oversubscribe"});
  return arguments;
}

fs::path logs(const fs::path& home) { return home / "problems" / "fashionmnist" / "logs"; }

// Starts a new experiment of `epochs` epochs checkpointing every epoch, and
// returns once its first epoch checkpoint exists (the process still running).
pid_t start_until_first_checkpoint(const fs::path& home, int epochs) {
  auto options = test::quick_run({.epochs = epochs, .train_samples = 1500});
  options.insert(options.end(), {"--ckpt-every", "1"});
  const fs::path output = home / "first.txt";
  const pid_t pid = test::spawn_process(fashionmnist(home, options), output);
  const fs::path first = logs(home) / "exp0000" / "fold0" / "saves" / "epoch0001.ckpt";
  test::wait_until(pid, output, "its first epoch checkpoint, " + first.string(), [&] { return fs::exists(first); });
  return pid;
}

std::vector<double> scalar_values(const fs::path& stats_dir, const std::string& tag) {
  std::vector<double> values;
  for (const auto& file : tensorboard::EventReader::find_event_files(stats_dir))
    for (const auto& point : tensorboard::EventReader(file).scalars(tag)) values.push_back(point.value);
  return values;
}

// Parameters and buffers of a checkpoint of `topology`, as named in it.
std::map<std::string, torch::Tensor> named_tensors(const fs::path& checkpoint, const std::string& topology,
                                                   const std::string& params_yaml) {
  const auto plugin = load_plugin(test::plugin_path("fashionmnist"));
  auto network = plugin.topology(topology)->network(Params(YAML::Load(params_yaml), "network.params", "test"));
  load_network(checkpoint, *network);
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& item : network->named_parameters()) tensors[item.key()] = item.value().detach().clone();
  for (const auto& item : network->named_buffers()) tensors[item.key()] = item.value().detach().clone();
  return tensors;
}

// The number after "top1_error" on the first line holding `marker`.
std::string metric_after(const std::string& output, const std::string& marker) {
  const auto line = output.find(marker);
  if (line == std::string::npos) return "";
  const auto at = output.find("top1_error ", line);
  if (at == std::string::npos) return "";
  const auto begin = at + std::string("top1_error ").size();
  return output.substr(begin, output.find_first_of(" \n", begin) - begin);
}

pid_t parent_of(pid_t pid) {
  std::string status;
  try {
    status = test::read_text("/proc/" + std::to_string(pid) + "/status");
  } catch (const std::exception&) {
    return 0;  // gone
  }
  const auto at = status.find("\nPPid:\t");
  return at == std::string::npos ? 0 : static_cast<pid_t>(std::stol(status.substr(at + 7)));
}

// Whether process `pid` has ended: gone, or a zombie nobody reaped yet.
bool ended(pid_t pid) {
  std::string stat;
  try {
    stat = test::read_text("/proc/" + std::to_string(pid) + "/stat");
  } catch (const std::exception&) {
    return true;  // gone
  }
  // "pid (name) state ...", where the name may hold spaces and parentheses.
  const auto name_end = stat.rfind(')');
  return name_end != std::string::npos && stat.compare(name_end, 3, ") Z") == 0;
}

// A descendant of `ancestor` whose environment says it is MPI rank `rank`; -1 if none.
pid_t rank_process(pid_t ancestor, int rank) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string environment;
    try {
      environment = "\n" + test::read_text(entry.path() / "environ");
    } catch (const std::exception&) {
      continue;  // gone, or not ours to read
    }
    std::replace(environment.begin(), environment.end(), '\0', '\n');
    if (environment.find("\nOMPI_COMM_WORLD_RANK=" + std::to_string(rank) + "\n") == std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(name));
    for (pid_t up = pid; up > 1; up = parent_of(up))
      if (up == ancestor) return pid;
  }
  return -1;
}

}  // namespace

TEST_CASE("a short training logs, checkpoints and learns far beyond chance", "[qlhost][e2e]") {
  test::TempDir home;
  const auto result = test::run_process(fashionmnist(home.path(), test::quick_run({.epochs = 2})));
  INFO(result.output);
  REQUIRE(result.status == 0);
  CHECK_THAT(result.output, Catch::Contains("storage: no storage/hard_folders.yaml"));

  const Logbook logbook(logs(home.path()));
  REQUIRE(logbook.list_experiments() == std::vector<int>{0});
  const auto config = YAML::LoadFile(logbook.config_file(0).string());
  CHECK(config["experiment"]["seed"].as<int>() == 7);
  CHECK(config["experiment"]["n_epochs"].as<int>() == 2);
  CHECK(fs::exists(logbook.epoch_checkpoint(0, 0, 2)));
  CHECK(fs::exists(logbook.best_checkpoint(0, 0)));
  CHECK_THAT(test::read_text(logbook.log_file(0)), Catch::Contains("fold 0 epoch 2/2 done"));

  const auto stats = logbook.stats_dir(0, 0);
  for (const char* tag : {"train_loss", "train_metric", "valid_loss", "valid_metric", "learning_rate"})
    CHECK(scalar_values(stats, tag).size() == 2);
  const auto valid_error = scalar_values(stats, "valid_metric");
  REQUIRE(valid_error.size() == 2);
  CHECK(valid_error.back() < 40.0);  // top-1 error in percent; chance is 90
  const auto progress = read_progress(logbook.best_checkpoint(0, 0));
  CHECK(progress.best_metric == Approx(*std::min_element(valid_error.begin(), valid_error.end())).epsilon(1e-6));

  std::vector<std::string> hparams_tags;
  for (const auto& file : tensorboard::EventReader::find_event_files(stats)) {
    const tensorboard::EventReader reader(file);
    for (const auto& record : reader.hparams()) hparams_tags.push_back(record.tag);
  }
  CHECK(hparams_tags == std::vector<std::string>{"_hparams_/session_start_info", "_hparams_/session_end_info"});

  SECTION("test mode evaluates the best checkpoint on the test set") {
    const auto tested = test::run_process(fashionmnist(home.path(), {"--exp-id", "0", "--mode", "test"}));
    INFO(tested.output);
    CHECK(tested.status == 0);
    CHECK_THAT(tested.output, Catch::Contains("test fold 0 (best.ckpt") && Catch::Contains("top1_error"));
  }
  SECTION("re-running a complete experiment trains nothing") {
    const auto again = test::run_process(fashionmnist(home.path(), {"--exp-id", "0"}));
    CHECK(again.status == 0);
    CHECK_THAT(again.output, Catch::Contains("exp0000 is complete"));
  }
}

TEST_CASE("a run killed with SIGKILL and resumed ends exactly like an uninterrupted one", "[qlhost][e2e][resume]") {
  test::TempDir home;
  const int epochs = 4;
  auto options = test::quick_run({.epochs = epochs, .train_samples = 1500});
  options.insert(options.end(), {"--ckpt-every", "1"});

  const auto straight = test::run_process(fashionmnist(home.path(), options));
  INFO(straight.output);
  REQUIRE(straight.status == 0);

  const Logbook logbook(logs(home.path()));
  // Kill the second run at different moments: mid-epoch after a checkpoint, and
  // as soon as the first checkpoint appears (possibly while writing it).
  for (const int kill_after_checkpoint : {2, 1}) {
    const fs::path output = home / ("killed" + std::to_string(kill_after_checkpoint) + ".txt");
    const pid_t pid = test::spawn_process(fashionmnist(home.path(), options), output);
    const int id = static_cast<int>(logbook.list_experiments().size());  // the id it is about to take
    const fs::path checkpoint = logbook.epoch_checkpoint(id, 0, kill_after_checkpoint);
    test::wait_until(pid, output, checkpoint.string(), [&] { return fs::exists(checkpoint); });
    ::kill(pid, SIGKILL);
    REQUIRE(test::wait_process(pid) == 128 + SIGKILL);
    REQUIRE_FALSE(fs::exists(logbook.epoch_checkpoint(id, 0, epochs)));

    const auto resumed =
        test::run_process(fashionmnist(home.path(), {"--exp-id", std::to_string(id), "--ckpt-every", "1"}));
    INFO(test::read_text(output) + resumed.output);
    REQUIRE(resumed.status == 0);
    CHECK_THAT(resumed.output, Catch::Contains("resuming from"));

    CHECK(test::identical(test::simple_cnn_tensors(logbook.epoch_checkpoint(0, 0, epochs)),
                    test::simple_cnn_tensors(logbook.epoch_checkpoint(id, 0, epochs))));
    const auto a = read_progress(logbook.epoch_checkpoint(0, 0, epochs));
    const auto b = read_progress(logbook.epoch_checkpoint(id, 0, epochs));
    CHECK(a.best_metric == b.best_metric);
    CHECK(a.best_epoch == b.best_epoch);
    // The last epoch's validation metric, as logged by each run.
    CHECK(scalar_values(logbook.stats_dir(0, 0), "valid_metric").back() ==
          scalar_values(logbook.stats_dir(id, 0), "valid_metric").back());
  }
}

// configs/fashionmnist/SimpleCNN.binary-staged.yaml from scratch: binary
// activations in epochs 1-2, binary weights too in epochs 3-4 with Adam's
// moments cleared as they start.
TEST_CASE("a staged run killed at a stage boundary or inside a stage resumes exactly",
          "[qlhost][e2e][resume][stages]") {
  test::TempDir home;
  const int epochs = 4;
  auto options = test::quick_run({.epochs = epochs, .train_samples = 1000});
  options.insert(options.end(), {"--config", std::string(QUANTLAB_SOURCE_DIR) +
                                                 "/configs/fashionmnist/SimpleCNN.binary-staged.yaml",
                                 "--set", "network.pretrained=null", "--ckpt-every", "1"});
  const auto straight = test::run_process(fashionmnist(home.path(), options));
  INFO(straight.output);
  REQUIRE(straight.status == 0);
  CHECK_THAT(straight.output, Catch::Contains("fold 0: stage 0 (epochs 1-2): switching on 3 quantizer(s), lr 0.001\n"));
  CHECK_THAT(straight.output, Catch::Contains("fold 0: stage 1 (epochs 3-4): switching on 2 quantizer(s), lr 0.0005, "
                                              "optimizer state cleared"));
  const Logbook logbook(logs(home.path()));
  CHECK(scalar_values(logbook.stats_dir(0, 0), "stage") == std::vector<double>{0, 0, 1, 1});
  const auto lr = scalar_values(logbook.stats_dir(0, 0), "learning_rate");
  REQUIRE(lr.size() == 4);
  CHECK(lr[0] == Approx(0.001));
  CHECK(lr[1] == Approx(0.0005));  // cosine over stage 0's 2 epochs
  CHECK(lr[2] == Approx(0.0005));  // stage 1's own rate, its cosine restarted
  CHECK(lr[3] == Approx(0.00025));

  // Killed once its epoch-2 checkpoint exists (the resume starts exactly at
  // stage 1, which must clear the optimizer's state), and once its epoch-3
  // checkpoint exists (inside stage 1, which must not).
  for (const int kill_after_checkpoint : {2, 3}) {
    CAPTURE(kill_after_checkpoint);
    const fs::path output = home / ("killed" + std::to_string(kill_after_checkpoint) + ".txt");
    const pid_t pid = test::spawn_process(fashionmnist(home.path(), options), output);
    const int id = static_cast<int>(logbook.list_experiments().size());
    const fs::path checkpoint = logbook.epoch_checkpoint(id, 0, kill_after_checkpoint);
    test::wait_until(pid, output, checkpoint.string(), [&] { return fs::exists(checkpoint); });
    ::kill(pid, SIGKILL);
    REQUIRE(test::wait_process(pid) == 128 + SIGKILL);
    REQUIRE_FALSE(fs::exists(logbook.epoch_checkpoint(id, 0, kill_after_checkpoint + 1)));

    const auto resumed =
        test::run_process(fashionmnist(home.path(), {"--exp-id", std::to_string(id), "--ckpt-every", "1"}));
    INFO(test::read_text(output) + resumed.output);
    REQUIRE(resumed.status == 0);
    if (kill_after_checkpoint == 2) {
      CHECK_THAT(resumed.output, Catch::Contains("stage 1 (epochs 3-4): switching on 2 quantizer(s), lr 0.0005, "
                                                 "optimizer state cleared"));
    } else {
      CHECK_THAT(resumed.output,
                 Catch::Contains("fold 0: resuming inside stage 1 (epochs 3-4) at epoch 4, lr 0.00025"));
      CHECK_THAT(resumed.output, !Catch::Contains("optimizer state cleared"));
    }
    // Network, optimizer state, schedules, progress and RNG, to the byte.
    CHECK(test::read_bytes(logbook.epoch_checkpoint(0, 0, epochs)) ==
          test::read_bytes(logbook.epoch_checkpoint(id, 0, epochs)));
  }
}

TEST_CASE("a second writer of a training experiment is refused naming the first, until it ends",
          "[qlhost][e2e][resume]") {
  test::TempDir home;
  const pid_t first = start_until_first_checkpoint(home.path(), 30);
  const fs::path lock = logs(home.path()) / "exp0000" / ".writer.lock";
  const fs::path first_checkpoint = logs(home.path()) / "exp0000" / "fold0" / "saves" / "epoch0001.ckpt";
  REQUIRE(fs::exists(first_checkpoint));
  const Logbook logbook(logs(home.path()));
  const std::string holder = ":" + std::to_string(first) + "\n";
  CHECK_THAT(test::read_text(lock), Catch::EndsWith(holder));

  // Two resumes while it trains: both refused, one line, exit 2, nothing written.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto second = test::run_process(fashionmnist(home.path(), {"--exp-id", "0"}));
    INFO(second.output);
    CHECK(second.status == 2);
    const auto errors = test::error_lines(second.output);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::Contains("exp0000 is being trained by ") &&
                              Catch::Contains(":" + std::to_string(first) + " "));
  }
  CHECK(logbook.list_experiments().size() == 1);
  // Reading it is fine meanwhile.
  const auto tested = test::run_process(fashionmnist(home.path(), {"--exp-id", "0", "--mode", "test"}));
  INFO(tested.output);
  CHECK(tested.status == 0);

  ::kill(first, SIGKILL);
  REQUIRE(test::wait_process(first) == 128 + SIGKILL);
  // The kernel released the lock with the process: a writer may take it now.
  CHECK_NOTHROW(ExperimentLock(logbook.experiment_dir(0)));
}

TEST_CASE("a resume keeps the first run's --ckpt-every and thread count unless told otherwise",
          "[qlhost][e2e][resume]") {
  test::TempDir home;
  const pid_t first = start_until_first_checkpoint(home.path(), 3);  // --threads 1, --ckpt-every 1
  const fs::path output = home / "first.txt";
  const fs::path saves = logs(home.path()) / "exp0000" / "fold0" / "saves";
  ::kill(first, SIGKILL);
  REQUIRE(test::wait_process(first) == 128 + SIGKILL);
  REQUIRE_FALSE(fs::exists(saves / "epoch0003.ckpt"));

  const Logbook logbook(logs(home.path()));
  const auto saved = ExperimentConfig::parse(load_yaml_file(logbook.config_file(0)), "config.yaml");
  CHECK(saved.ckpt_every == 1);
  CHECK(saved.threads == 1);

  // Neither --ckpt-every nor --threads: the experiment's own (this machine's
  // default would be 5 and every core).
  const auto resumed = test::run_process({test::qlhost_path(), "--plugin", test::plugin_path("fashionmnist"),
                                          "--topology", "SimpleCNN", "--home", home.path().string(), "--exp-id", "0"});
  INFO(test::read_text(output) + resumed.output);
  REQUIRE(resumed.status == 0);
  CHECK_THAT(resumed.output, Catch::Contains("1 rank(s), 1 thread(s) each"));
  CHECK(fs::exists(saves / "epoch0002.ckpt"));
  CHECK(fs::exists(saves / "epoch0003.ckpt"));

  // Another count is allowed, and said to break bit-identity.
  const auto other = test::run_process({test::qlhost_path(), "--plugin", test::plugin_path("fashionmnist"),
                                        "--topology", "SimpleCNN", "--home", home.path().string(), "--exp-id", "0",
                                        "--threads", "2"});
  INFO(other.output);
  CHECK(other.status == 0);
  CHECK_THAT(other.output, Catch::Contains("--threads 2: the experiment trained with 1 thread(s) so far"));
}

TEST_CASE("two identical runs write byte-identical checkpoints", "[qlhost][e2e][resume]") {
  test::TempDir home;
  auto options = test::quick_run({.epochs = 2, .train_samples = 600});
  options.insert(options.end(), {"--ckpt-every", "1"});
  for (int run = 0; run < 2; ++run) {
    const auto result = test::run_process(fashionmnist(home.path(), options));
    INFO(result.output);
    REQUIRE(result.status == 0);
  }
  const Logbook logbook(logs(home.path()));
  for (int epoch : {1, 2}) {
    CAPTURE(epoch);
    const std::string a = test::read_text(logbook.epoch_checkpoint(0, 0, epoch));
    const std::string b = test::read_text(logbook.epoch_checkpoint(1, 0, epoch));
    CHECK(a.size() > 100000);
    CHECK(a == b);
  }
}

TEST_CASE("k-fold experiments train every fold on its own split", "[qlhost][e2e]") {
  test::TempDir home;
  auto options = test::quick_run({.train_samples = 600});
  options.insert(options.end(), {"--set", "experiment.n_folds=2", "--set", "logging.histograms=true"});
  const auto result = test::run_process(fashionmnist(home.path(), options));
  INFO(result.output);
  REQUIRE(result.status == 0);
  const Logbook logbook(logs(home.path()));
  CHECK(logbook.folds_present(0) == std::vector<int>{0, 1});
  for (int fold : {0, 1}) {
    CHECK(fs::exists(logbook.epoch_checkpoint(0, fold, 1)));
    std::set<std::string> histograms;
    for (const auto& file : tensorboard::EventReader::find_event_files(logbook.stats_dir(0, fold))) {
      const tensorboard::EventReader reader(file);
      for (const auto& histogram : reader.histograms()) histograms.insert(histogram.tag);
    }
    CHECK(histograms.count("weights/conv1.weight") == 1);
    CHECK(histograms.count("weights/fc2.bias") == 1);
  }
  CHECK_THAT(result.output, Catch::Contains("fold 1: 600 training samples, 1000 validation samples"));
}

TEST_CASE("mpirun with two ranks trains one experiment", "[qlhost][e2e][mpi]") {
  test::TempDir home;
  auto options = test::quick_run({.train_samples = 1000});
  options.insert(options.end(), {"--set", "training.distributed.scale_lr=true"});
  const auto result = test::run_process(under_mpirun(2, fashionmnist(home.path(), options)));
  INFO(result.output);
  REQUIRE(result.status == 0);
  const Logbook logbook(logs(home.path()));
  CHECK(logbook.list_experiments() == std::vector<int>{0});
  CHECK(fs::exists(logbook.epoch_checkpoint(0, 0, 1)));
  CHECK_THAT(result.output, Catch::Contains("2 rank(s)"));
  // SimpleCNN.yaml's lr 0.1 (at the cosine's first epoch), times 2 ranks.
  CHECK_THAT(result.output, Catch::Contains("| lr 0.2 |"));
  const auto rates = scalar_values(logbook.stats_dir(0, 0), "learning_rate");
  REQUIRE(rates.size() == 1);
  CHECK(rates[0] == Approx(0.2).epsilon(1e-6));  // TensorBoard keeps float32
}

TEST_CASE("mpirun resumes a k-fold experiment whose first fold is complete", "[qlhost][e2e][mpi]") {
  test::TempDir home;
  auto options = test::quick_run({.train_samples = 400});
  options.insert(options.end(), {"--set", "experiment.n_folds=2"});
  REQUIRE(test::run_process(fashionmnist(home.path(), options)).status == 0);
  const Logbook logbook(logs(home.path()));
  fs::remove_all(logbook.saves_dir(0, 1));  // as if killed before fold 1 checkpointed

  // Every rank must skip fold 0 and train fold 1 together; a rank that
  // disagreed would leave the others waiting in a collective until the timeout.
  const auto result = test::run_process(under_mpirun(2, fashionmnist(home.path(), {"--exp-id", "0"})));
  INFO(result.output);
  REQUIRE(result.status == 0);
  CHECK_THAT(result.output, Catch::Contains("fold 0: complete"));
  CHECK(fs::exists(logbook.epoch_checkpoint(0, 1, 1)));
}

// One training step on a global batch of 64: 1 rank with batch 64, 2 ranks
// with 32 each. Data-parallel training must give the same weights (dropout
// off, no augmentation: nothing random differs between the ranks).
TEST_CASE("one step on 2 ranks with batch B equals one step on 1 rank with batch 2B", "[qlhost][e2e][mpi]") {
  struct Case {
    std::string topology;
    std::string params;
    std::vector<std::string> distributed;
  };
  // MLP has no batch norm; SimpleCNN's are synchronized, so its training-mode
  // statistics are those of the whole batch of 64, as on one rank.
  const std::vector<Case> cases{
      {"MLP", "{dropout: 0.0}", {"training.distributed.bucket_mb=0.05", "training.distributed.overlap=true"}},
      {"SimpleCNN", "{dropout: 0.0}",
       {"training.distributed.sync_batch_norm=true", "training.distributed.overlap=false"}}};
  // Plain SGD, so that one step is w1 = w0 - lr * g, linear in the averaged
  // gradient g: what data-parallelism must preserve. (Adam's first step,
  // g / (sqrt(g^2) + eps), turns float noise in a near-zero gradient into a
  // step of lr, whatever the machine; momentum and Nesterov only scale g.)
  const double lr = 0.05;
  for (const auto& item : cases) {
    CAPTURE(item.topology);
    test::TempDir home;
    auto options = test::quick_run({.train_samples = 64});
    options.insert(options.end(), {"--set", "network.params=" + item.params, "--set", "data.augment=false", "--set",
                                   "training.optimizer.class=SGD", "--set",
                                   "training.optimizer.params={lr: " + std::to_string(lr) + "}"});
    for (const auto& assignment : item.distributed) options.insert(options.end(), {"--set", assignment});
    auto one_rank = options;
    one_rank.insert(one_rank.end(), {"--set", "data.bs_train=64"});
    // exp0: the same step with lr 0, whose weights are the initial ones.
    auto standing = one_rank;
    standing.insert(standing.end(), {"--set", "training.optimizer.params={lr: 0.0}"});
    const auto initial = test::run_process(fashionmnist(home.path(), standing, item.topology));
    INFO(initial.output);
    REQUIRE(initial.status == 0);
    const auto single = test::run_process(fashionmnist(home.path(), one_rank, item.topology));
    INFO(single.output);
    REQUIRE(single.status == 0);
    auto two_ranks = options;
    two_ranks.insert(two_ranks.end(), {"--set", "data.bs_train=32"});
    const auto parallel = test::run_process(under_mpirun(2, fashionmnist(home.path(), two_ranks, item.topology)));
    INFO(parallel.output);
    REQUIRE(parallel.status == 0);
    CHECK_THAT(parallel.output, Catch::Contains("gradients all-reduced in"));
    CHECK_THAT(parallel.output, Catch::Contains("waited on gradient all-reduce"));

    const Logbook logbook(logs(home.path()));
    const auto w0 = named_tensors(logbook.epoch_checkpoint(0, 0, 1), item.topology, item.params);
    const auto a = named_tensors(logbook.epoch_checkpoint(1, 0, 1), item.topology, item.params);
    const auto b = named_tensors(logbook.epoch_checkpoint(2, 0, 1), item.topology, item.params);
    REQUIRE(a.size() == b.size());
    bool any_step = false;
    for (const auto& [name, tensor] : a) {
      CAPTURE(name);
      REQUIRE(b.count(name) == 1);
      const torch::Tensor x = tensor.to(torch::kDouble), y = b.at(name).to(torch::kDouble);
      const torch::Tensor start = w0.at(name).to(torch::kDouble);
      // Each gradient element is a float32 sum of at most 64 x 28 x 28 terms
      // (a conv weight sums over every sample and position), taken in another
      // order on two ranks: the sums differ by at most n * 2^-24 (3e-3) of the
      // sum of the terms' magnitudes. Measured against the largest step of
      // the tensor, 1e-2 leaves room for cancellation; 1e-5 of the largest
      // value covers the rounding of w0 - lr * g and of the batch-norm
      // statistics, sums of as many terms.
      const double step = (x - start).abs().max().item<double>();
      const double bound = 1e-2 * step + 1e-5 * x.abs().max().item<double>();
      any_step |= step > 0;
      const double difference = (x - y).abs().max().item<double>();
      CAPTURE(step, difference, bound);
      CHECK(difference <= bound);
    }
    CHECK(any_step);
  }
}

TEST_CASE("a rank that dies ends the whole mpirun job and the experiment resumes under mpirun",
          "[qlhost][e2e][mpi][resume]") {
  test::TempDir home;
  const int epochs = 3;
  auto options = test::quick_run({.epochs = epochs, .train_samples = 1000});
  options.insert(options.end(), {"--ckpt-every", "1"});
  const auto straight = test::run_process(under_mpirun(2, fashionmnist(home.path(), options)));
  INFO(straight.output);
  REQUIRE(straight.status == 0);

  const Logbook logbook(logs(home.path()));
  const fs::path output = home / "killed.txt";
  const pid_t job = test::spawn_process(under_mpirun(2, fashionmnist(home.path(), options)), output);
  const fs::path first = logbook.epoch_checkpoint(1, 0, 1);
  test::wait_until(job, output, first.string(), [&] { return fs::exists(first); });
  const pid_t rank0 = rank_process(job, 0);
  const pid_t rank1 = rank_process(job, 1);
  REQUIRE(rank0 > 0);
  REQUIRE(rank1 > 0);
  ::kill(rank1, SIGKILL);
  const int status = test::wait_process(job);
  const std::string killed = test::read_text(output);
  INFO(killed);
  // mpirun itself ended the job (not `timeout`, whose status would be 124),
  // passing on how rank 1 died and naming it.
  CHECK(status == 128 + SIGKILL);
  CHECK_THAT(killed, Catch::Contains("mpirun noticed that process rank 1 ") &&
                         Catch::Contains("exited on signal 9 (Killed)"));
  // Rank 0, left waiting on its peer, does not outlive the job, nor does it
  // train on alone.
  test::wait_until("rank 0 (pid " + std::to_string(rank0) + ") to end with the job", [&] { return ended(rank0); });
  REQUIRE_FALSE(fs::exists(logbook.epoch_checkpoint(1, 0, epochs)));

  const auto resumed =
      test::run_process(under_mpirun(2, fashionmnist(home.path(), {"--exp-id", "1", "--ckpt-every", "1"})));
  INFO(resumed.output);
  REQUIRE(resumed.status == 0);
  CHECK_THAT(resumed.output, Catch::Contains("resuming from"));
  CHECK(test::identical(test::simple_cnn_tensors(logbook.epoch_checkpoint(0, 0, epochs)),
                  test::simple_cnn_tensors(logbook.epoch_checkpoint(1, 0, epochs))));
}

TEST_CASE("test mode under mpirun reports the accuracy one process reports", "[qlhost][e2e][mpi]") {
  test::TempDir home;
  REQUIRE(test::run_process(fashionmnist(home.path(), test::quick_run({.train_samples = 500}))).status == 0);
  const auto single = test::run_process(fashionmnist(home.path(), {"--exp-id", "0", "--mode", "test"}));
  const auto parallel =
      test::run_process(under_mpirun(2, fashionmnist(home.path(), {"--exp-id", "0", "--mode", "test"})));
  INFO(single.output + parallel.output);
  REQUIRE(single.status == 0);
  REQUIRE(parallel.status == 0);
  const std::string expected = metric_after(single.output, "test fold 0");
  CHECK_FALSE(expected.empty());
  CHECK(metric_after(parallel.output, "test fold 0") == expected);
}

// LSQ sets its steps from the first batch each rank sees, TQT its thresholds
// likewise, and batch norms keep per-rank statistics; the trainer re-aligns
// every rank on rank 0 at each epoch's first step and checks, after each
// epoch, that all ranks hold the same network to the bit.
TEST_CASE("ranks stay in step with quantizers that initialise from their data", "[qlhost][e2e][mpi]") {
  for (const std::string variant : {"lsq-w4a4", "tqt-w4a4"}) {
    CAPTURE(variant);
    test::TempDir home;
    auto options = test::quick_run({.epochs = 2, .train_samples = 1000});
    options.insert(options.end(), {"--config", std::string(QUANTLAB_SOURCE_DIR) + "/configs/fashionmnist/SimpleCNN." +
                                                   variant + ".yaml",
                                   "--set", "network.pretrained=null"});
    const auto result = test::run_process(under_mpirun(2, fashionmnist(home.path(), options)));
    INFO(result.output);
    REQUIRE(result.status == 0);
    CHECK_THAT(result.output, Catch::Contains("epoch 2/2 done"));
    CHECK_THAT(result.output, !Catch::Contains("differs from rank 0"));
  }
}

TEST_CASE("a run killed between the last best.ckpt and its epoch checkpoint gets the latter back",
          "[qlhost][e2e][resume]") {
  test::TempDir home;
  REQUIRE(test::run_process(fashionmnist(home.path(), test::quick_run({.train_samples = 300}))).status == 0);
  const Logbook logbook(logs(home.path()));
  const fs::path last = logbook.epoch_checkpoint(0, 0, 1);
  REQUIRE(fs::exists(logbook.best_checkpoint(0, 0)));
  fs::remove(last);  // as if killed right after best.ckpt was written
  const auto again = test::run_process(fashionmnist(home.path(), {"--exp-id", "0"}));
  INFO(again.output);
  REQUIRE(again.status == 0);
  CHECK_THAT(again.output, Catch::Contains("restored") && Catch::Contains("complete (1 epochs)"));
  REQUIRE(fs::exists(last));
  CHECK(test::read_bytes(last) == test::read_bytes(logbook.best_checkpoint(0, 0)));
}

TEST_CASE("a run killed between an earlier epoch's best.ckpt and its epoch checkpoint gets the latter back",
          "[qlhost][e2e][resume]") {
  test::TempDir home;
  auto options = test::quick_run({.epochs = 2, .train_samples = 300});
  options.insert(options.end(), {"--ckpt-every", "1"});
  REQUIRE(test::run_process(fashionmnist(home.path(), options)).status == 0);
  const Logbook logbook(logs(home.path()));
  // As if killed at epoch 2 of 3 right after its best.ckpt was written:
  // best.ckpt holds epoch 2, epoch0002.ckpt is missing, one epoch is to go.
  const fs::path second = logbook.epoch_checkpoint(0, 0, 2);
  fs::copy_file(second, logbook.best_checkpoint(0, 0), fs::copy_options::overwrite_existing);
  fs::remove(second);
  std::string config = test::read_text(logbook.config_file(0));
  const auto at = config.find("n_epochs: 2");
  REQUIRE(at != std::string::npos);
  config.replace(at, std::string("n_epochs: 2").size(), "n_epochs: 3");
  test::write_bytes(logbook.config_file(0), config);
  const std::string best = test::read_bytes(logbook.best_checkpoint(0, 0));

  const auto again = test::run_process(fashionmnist(home.path(), {"--exp-id", "0"}));
  INFO(again.output);
  REQUIRE(again.status == 0);
  CHECK_THAT(again.output, Catch::Contains("restored " + second.string() + " from best.ckpt"));
  REQUIRE(fs::exists(second));
  CHECK(test::read_bytes(second) == best);
  CHECK(fs::exists(logbook.epoch_checkpoint(0, 0, 3)));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
