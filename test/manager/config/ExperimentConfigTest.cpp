#include <catch2/catch.hpp>

#include "manager/config/ExperimentConfig.h"
#include "support/ErrorMessage.h"
#include "support/Files.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;

namespace {

const char* kValid = R"(
experiment: {n_folds: 3, n_epochs: 4, seed: 11, ckpt_every: 2}
data: {bs_train: 32, bs_valid: 64, augment: true, max_train_samples: 100}
network: {class: SimpleCNN, params: {width: 8}}
training:
  loss_function: {class: CrossEntropyLoss}
  optimizer: {class: SGD, params: {lr: 0.1}}
  lr_scheduler: {class: StepLR, params: {step_size: 2}}
logging: {histograms: true}
)";

ExperimentConfig parse_text(const std::string& text) { return ExperimentConfig::parse(parse_yaml(text, "c.yaml"), "c.yaml"); }

std::string error_of(const std::string& text) {
  return test::error_message_of<ConfigError>([&] { parse_text(text); });
}

}  // namespace

TEST_CASE("a valid config is read into typed values", "[config]") {
  const auto config = parse_text(kValid);
  CHECK(config.n_folds == 3);
  CHECK(config.n_epochs == 4);
  REQUIRE(config.seed);
  CHECK(*config.seed == 11);
  CHECK(config.ckpt_every == 2);
  CHECK(config.bs_train == 32);
  CHECK(config.bs_valid == 64);
  CHECK(config.augment);
  REQUIRE(config.max_train_samples);
  CHECK(*config.max_train_samples == 100);
  CHECK_FALSE(config.max_valid_samples);
  CHECK(config.network_class == "SimpleCNN");
  CHECK(config.histograms);
  CHECK(config.section("network.params").get<int>("width") == 8);
  CHECK(config.section("training.optimizer.params").path("lr") == "training.optimizer.params.lr");
}

TEST_CASE("unknown keys and wrong types name the file, the key and the expectation", "[config]") {
  std::string text = kValid;
  CHECK(error_of(text + "extra: 1\n").find("c.yaml: extra: unknown key; expected one of") == 0);
  CHECK(error_of(R"(
experiment: {n_epoch: 3}
network: {class: X}
training: {optimizer: {class: SGD}, loss_function: {class: CrossEntropyLoss}}
)").find("c.yaml: experiment.n_epoch: unknown key; expected one of n_folds, n_epochs") == 0);
  const auto wrong_type = error_of(R"(
experiment: {n_epochs: ten}
network: {class: X}
training: {optimizer: {class: SGD}, loss_function: {class: CrossEntropyLoss}}
)");
  CHECK(wrong_type == "c.yaml: experiment.n_epochs: expected an integer, got ten");
  CHECK(error_of(R"(
experiment: {n_epochs: 0}
network: {class: X}
training: {optimizer: {class: SGD}, loss_function: {class: CrossEntropyLoss}}
)") == "c.yaml: experiment.n_epochs: expected a positive integer, got 0");
  CHECK(error_of("experiment: {n_epochs: 2}\ntraining: {optimizer: {class: SGD}}\n") ==
        "c.yaml: network.class: expected a value for this required key, found none");
  CHECK(error_of(R"(
network: {class: X}
data: [1, 2]
training: {optimizer: {class: SGD}, loss_function: {class: CrossEntropyLoss}}
)") == "c.yaml: data: expected a map of keys to values, got [1, 2]");
}

TEST_CASE("training.distributed: defaults, values and bad values", "[config]") {
  const auto defaults = parse_text(kValid);
  CHECK(defaults.distributed.bucket_mb == 4.0);
  CHECK(defaults.distributed.overlap);
  CHECK_FALSE(defaults.distributed.sync_batch_norm);
  CHECK_FALSE(defaults.distributed.scale_lr);
  const std::string base =
      "network: {class: SimpleCNN}\ntraining:\n  loss_function: {class: CrossEntropyLoss}\n  optimizer: {class: SGD}\n"
      "  distributed: ";
  const auto set = parse_text(base + "{bucket_mb: 0.5, overlap: false, sync_batch_norm: true, scale_lr: true}\n");
  CHECK(set.distributed.bucket_mb == 0.5);
  CHECK_FALSE(set.distributed.overlap);
  CHECK(set.distributed.sync_batch_norm);
  CHECK(set.distributed.scale_lr);
  CHECK(error_of(base + "{bucket_mb: 0}\n") ==
        "c.yaml: training.distributed.bucket_mb: expected a bucket size in MiB in (0, 1024], got 0");
  CHECK(error_of(base + "{buckets: 2}\n").find("c.yaml: training.distributed.buckets: unknown key") == 0);
  CHECK(error_of(base + "{overlap: sometimes}\n").find("c.yaml: training.distributed.overlap: expected") == 0);
}

TEST_CASE("training.stages: ranges in order covering the epochs, and each bad range names its stage", "[config][stages]") {
  const std::string base = "experiment: {n_epochs: 8}\nnetwork: {class: SimpleCNN}\ntraining:\n"
                           "  loss_function: {class: CrossEntropyLoss}\n  optimizer: {class: SGD}\n  stages: ";
  CHECK(parse_text(kValid).stages.empty());
  const auto staged = parse_text(base + "[{epochs: [0, 3], switch_on: activations, lr: 0.01}, "
                                        "{epochs: [3, 8], switch_on: [conv2.weight_quantizer, 'fc*'], "
                                        "reset_optimizer: true}]\n");
  REQUIRE(staged.stages.size() == 2);
  CHECK(staged.stages[0].first_epoch == 0);
  CHECK(staged.stages[0].end_epoch == 3);
  CHECK(staged.stages[0].switch_on == std::vector<std::string>{"activations"});
  CHECK(staged.stages[0].lr == 0.01);
  CHECK_FALSE(staged.stages[0].reset_optimizer);
  CHECK(staged.stages[1].first_epoch == 3);
  CHECK(staged.stages[1].end_epoch == 8);
  CHECK(staged.stages[1].switch_on == std::vector<std::string>{"conv2.weight_quantizer", "fc*"});
  CHECK_FALSE(staged.stages[1].lr);
  CHECK(staged.stages[1].reset_optimizer);
  CHECK(staged.stages[1].params.path("switch_on") == "training.stages[1].switch_on");

  // A gap, an overlap, stages out of order, a range past n_epochs, a last stage ending early.
  CHECK(error_of(base + "[{epochs: [0, 3]}, {epochs: [4, 8]}]\n") ==
        "c.yaml: training.stages[1].epochs: expected a range starting at epoch 3, where the stage before ends "
        "(stages are in order, without gaps or overlaps), got [4, 8]");
  CHECK(error_of(base + "[{epochs: [0, 3]}, {epochs: [2, 8]}]\n").find("c.yaml: training.stages[1].epochs: expected "
                                                                     "a range starting at epoch 3") == 0);
  CHECK(error_of(base + "[{epochs: [3, 8]}, {epochs: [0, 3]}]\n") ==
        "c.yaml: training.stages[0].epochs: expected a range starting at epoch 0 (the first stage starts the "
        "experiment), got [3, 8]");
  CHECK(error_of(base + "[{epochs: [0, 9]}]\n") ==
        "c.yaml: training.stages[0].epochs: expected a range ending at most at experiment.n_epochs (8), got [0, 9]");
  CHECK(error_of(base + "[{epochs: [0, 3]}, {epochs: [3, 6]}]\n") ==
        "c.yaml: training.stages[1].epochs: expected the last stage to end at experiment.n_epochs (8), got [3, 6]");
  // Malformed stages.
  CHECK(error_of(base + "[{epochs: [4, 4]}]\n").find("c.yaml: training.stages[0].epochs: expected [from, to)") == 0);
  CHECK(error_of(base + "[{epochs: [0]}]\n").find("c.yaml: training.stages[0].epochs: expected [from, to)") == 0);
  CHECK(error_of(base + "[{switch_on: weights}]\n") ==
        "c.yaml: training.stages[0].epochs: expected a value for this required key, found none");
  CHECK(error_of(base + "[{epochs: [0, 8], switch: weights}]\n").find("c.yaml: training.stages[0].switch: unknown "
                                                                       "key") == 0);
  CHECK(error_of(base + "[{epochs: [0, 8], lr: -1}]\n") ==
        "c.yaml: training.stages[0].lr: expected a non-negative number, got -1");
  CHECK(error_of(base + "[{epochs: [0, 8], lr_scheduler: {params: {T_max: 2}}}]\n") ==
        "c.yaml: training.stages[0].lr_scheduler.class: expected a value for this required key, found none");
  CHECK(error_of(base + "[]\n").find("c.yaml: training.stages: expected a non-empty list of stages") == 0);
  CHECK(error_of(base + "[[0, 8]]\n").find("(training.stages[0] is not a map)") != std::string::npos);
}

TEST_CASE("data pipeline keys: defaults, values and bad values", "[config]") {
  const auto defaults = parse_text(kValid);
  CHECK(defaults.loader.workers == 2);
  CHECK(defaults.loader.prefetch == 4);
  CHECK(defaults.loader.on_bad_sample == quantlab::data::BadSamplePolicy::stop);
  const std::string base =
      "network: {class: SimpleCNN}\ntraining:\n  loss_function: {class: CrossEntropyLoss}\n  optimizer: {class: SGD}\n"
      "data: ";
  const auto set = parse_text(base + "{workers: 0, prefetch: 9, on_bad_sample: skip}\n");
  CHECK(set.loader.workers == 0);
  CHECK(set.loader.prefetch == 9);
  CHECK(set.loader.on_bad_sample == quantlab::data::BadSamplePolicy::skip);
  CHECK(error_of(base + "{workers: -1}\n") ==
        "c.yaml: data.workers: expected a number of worker threads from 0 (read batches in the training thread) to "
        "256, got -1");
  CHECK(error_of(base + "{prefetch: 0}\n") == "c.yaml: data.prefetch: expected a positive integer, got 0");
  CHECK(error_of(base + "{on_bad_sample: ignore}\n") ==
        "c.yaml: data.on_bad_sample: expected stop or skip, got ignore");
}

TEST_CASE("malformed YAML is refused with its line", "[config]") {
  try {
    parse_yaml("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml");
    FAIL("no error");
  } catch (const ConfigError& error) {
    CHECK(std::string(error.what()).find("bad.yaml:") == 0);
    CHECK(std::string(error.what()).find("malformed YAML") != std::string::npos);
  }
  CHECK_THROWS_AS(load_yaml_file("/nonexistent/config.yaml"), ConfigError);
}

TEST_CASE("overrides from --set are typed by YAML and create missing sections", "[config]") {
  YAML::Node root = parse_yaml(kValid, "c.yaml");
  apply_override(root, "experiment.n_epochs=7");
  apply_override(root, "training.lr_scheduler.params.gamma=0.5");
  apply_override(root, "training.lr_scheduler.class=MultiStepLR");
  apply_override(root, "training.lr_scheduler.params={milestones: [1, 3]}");
  apply_override(root, "data.max_train_samples=null");
  apply_override(root, "network.quantize.recipe=ste");
  const auto config = ExperimentConfig::parse(root, "c.yaml");
  CHECK(config.n_epochs == 7);
  CHECK_FALSE(config.max_train_samples);
  CHECK(config.section("training.lr_scheduler.params").get<std::vector<int>>("milestones") == std::vector<int>{1, 3});
  CHECK(config.section("network.quantize").get<std::string>("recipe") == "ste");

  CHECK_THROWS_WITH(apply_override(root, "experiment.n_epochs.x=1"),
                    "--set experiment.n_epochs.x=1: n_epochs is a value, not a section");
  CHECK_THROWS_WITH(apply_override(root, "training.optimizer.params.lr.x=1"),
                    "--set training.optimizer.params.lr.x=1: lr is a value, not a section");
  apply_override(root, "data.list=[1, 2]");
  CHECK_THROWS_WITH(apply_override(root, "data.list.x=1"), "--set data.list.x=1: list is a list, not a section");
  // A config file whose top level is a value (found by the config fuzz target).
  YAML::Node scalar = parse_yaml("'just text'", "c.yaml");
  CHECK_THROWS_WITH(apply_override(scalar, "experiment.n_epochs=2"),
                    "--set experiment.n_epochs=2: the config's top level is a value, not a section");
  YAML::Node empty = parse_yaml("", "c.yaml");
  apply_override(empty, "experiment.n_epochs=2");
  CHECK(empty["experiment"]["n_epochs"].as<int>() == 2);
  CHECK_THROWS_WITH(apply_override(root, "novalue"), "--set novalue: expected dotted.key=value");
  CHECK_THROWS_WITH(apply_override(root, "a..b=1"), Catch::Contains("empty key part"));
}

TEST_CASE("setting the seed writes it into the snapshot tree", "[config]") {
  auto config = parse_text("network: {class: X}\ntraining: {optimizer: {class: SGD}, loss_function: {class: L}}\n");
  CHECK_FALSE(config.seed);
  set_seed(config, 1234);
  CHECK(config.root["experiment"]["seed"].as<int>() == 1234);
  const auto again = ExperimentConfig::parse(config.root, "c.yaml");
  CHECK(*again.seed == 1234);
}

TEST_CASE("assigning Params rebinds instead of overwriting the tree", "[config]") {
  YAML::Node root = parse_yaml("a: {x: 1}\nb: {y: 2}\n", "t.yaml");
  Params params(root, "", "t.yaml");
  Params a = params.at("a");
  a = params.at("b");
  CHECK(a.get<int>("y") == 2);
  CHECK(root["a"]["x"].as<int>() == 1);
  CHECK_FALSE(root["a"]["y"]);
}

TEST_CASE("a config with a base is laid over it, maps merged key by key", "[config]") {
  test::TempDir dir;
  test::write_bytes(dir.path() / "base.yaml", kValid);
  test::write_bytes(dir.path() / "middle.yaml",
             "base: base.yaml\nexperiment: {n_epochs: 9}\ntraining: {optimizer: {params: {momentum: 0.5}}}\n");
  test::write_bytes(dir.path() / "variant.yaml", "base: middle.yaml\nlogging: {histograms: false}\nnetwork: {params: null}\n"
             "training: {lr_scheduler: {class: HandScheduler, params: {schedule: {0: 1.0}}}}\n");
  const YAML::Node root = load_config_file(dir.path() / "variant.yaml");
  CHECK_FALSE(root["base"]);
  const auto config = ExperimentConfig::parse(root, "variant.yaml");
  CHECK(config.n_epochs == 9);                  // from the middle file
  CHECK(config.n_folds == 3);                   // kept from the base
  CHECK_FALSE(config.histograms);               // from the variant
  CHECK(config.section("training.optimizer.params").get<double>("lr") == 0.1);  // merged, not replaced
  CHECK(config.section("training.optimizer.params").get<double>("momentum") == 0.5);
  CHECK(config.section("network.params").keys().empty());  // null replaces the map
  // Another class replaces the section whole: StepLR's step_size does not leak into HandScheduler.
  CHECK(config.section("training.lr_scheduler.params").keys() == std::vector<std::string>{"schedule"});
  // The base file itself is untouched by the merge.
  CHECK(load_config_file(dir.path() / "base.yaml")["experiment"]["n_epochs"].as<int>() == 4);
}

TEST_CASE("a base that is missing or leads back to the config is refused", "[config]") {
  test::TempDir dir;
  test::write_bytes(dir.path() / "a.yaml", "base: b.yaml\n");
  test::write_bytes(dir.path() / "b.yaml", "base: a.yaml\n");
  test::write_bytes(dir.path() / "c.yaml", "base: missing.yaml\n");
  const auto cycle = test::error_message_of<ConfigError>([&] { load_config_file(dir.path() / "a.yaml"); });
  CHECK_THAT(cycle, Catch::Contains("base: a.yaml") && Catch::Contains("does not lead back"));
  const auto missing = test::error_message_of<ConfigError>([&] { load_config_file(dir.path() / "c.yaml"); });
  CHECK_THAT(missing, Catch::Contains("missing.yaml") && Catch::Contains("cannot read"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
