#include "manager/config/ExperimentConfig.h"

#include <algorithm>

#include <fstream>
#include <sstream>

namespace quantlab {

namespace {

// A fresh tree: yaml-cpp nodes are handles, and the base must not be edited in place.
bool names_another_class(const YAML::Node& base, const YAML::Node& over) {
  return base["class"] && over["class"] && base["class"].IsScalar() && over["class"].IsScalar() &&
         base["class"].Scalar() != over["class"].Scalar();
}

YAML::Node merged(const YAML::Node& base, const YAML::Node& over) {
  if (!base.IsMap() || !over.IsMap() || names_another_class(base, over)) return YAML::Clone(over);
  YAML::Node out = YAML::Clone(base);
  for (const auto& entry : over) {
    const std::string key = entry.first.as<std::string>();
    out[key] = out[key] ? merged(out[key], entry.second) : YAML::Clone(entry.second);
  }
  return out;
}

YAML::Node load_config_file(const std::filesystem::path& file, std::vector<std::filesystem::path>& chain) {
  YAML::Node root = load_yaml_file(file);
  if (!root.IsMap() || !root["base"]) return root;
  const YAML::Node base_key = root["base"];
  if (!base_key.IsScalar())
    throw ConfigError(file.string() + ": base: expected the file name of the config this one varies");
  const std::filesystem::path base = file.parent_path() / base_key.as<std::string>();
  for (const auto& seen : chain)
    if (std::filesystem::weakly_canonical(seen) == std::filesystem::weakly_canonical(base))
      throw ConfigError(file.string() + ": base: " + base_key.as<std::string>() +
                        ": expected a config that does not lead back to this one");
  chain.push_back(file);
  root.remove("base");
  return merged(load_config_file(base, chain), root);
}

}  // namespace

YAML::Node load_config_file(const std::filesystem::path& file) {
  std::vector<std::filesystem::path> chain;
  return load_config_file(file, chain);
}

void apply_override(YAML::Node& root, const std::string& assignment) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0)
    throw ConfigError("--set " + assignment + ": expected dotted.key=value");
  const std::string key = assignment.substr(0, equals);
  const YAML::Node value = parse_yaml(assignment.substr(equals + 1), "--set " + assignment);

  std::vector<std::string> parts;
  std::stringstream stream(key);
  for (std::string part; std::getline(stream, part, '.');) {
    if (part.empty()) throw ConfigError("--set " + assignment + ": expected dotted.key=value, got an empty key part");
    parts.push_back(part);
  }
  // yaml-cpp nodes are handles: walk down with fresh handles, creating maps.
  // yaml-cpp's operator[] would throw on a value and turn a list into a map.
  auto require_section = [&](const YAML::Node& node, const std::string& name) {
    if (node.IsScalar() || node.IsSequence())
      throw ConfigError("--set " + assignment + ": " + name + " is a " + (node.IsScalar() ? "value" : "list") +
                        ", not a section");
  };
  require_section(root, "the config's top level");
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node parent = chain.back();
    YAML::Node child = parent[parts[i]];
    if (child) require_section(child, parts[i]);
    if (!child || child.IsNull()) parent[parts[i]] = YAML::Node(YAML::NodeType::Map);
    chain.push_back(parent[parts[i]]);
  }
  chain.back()[parts.back()] = value;
}

Params ExperimentConfig::section(const std::string& dotted) const {
  Params params(root, "", source);
  std::stringstream stream(dotted);
  for (std::string part; std::getline(stream, part, '.');) params = params.at(part);
  return params;
}

namespace {

template <typename T>
T positive(const Params& params, const std::string& key, T fallback) {
  const T value = params.get<T>(key, fallback);
  if (value < 1) params.fail(key, "a positive integer");
  return value;
}

template <typename T>
std::optional<T> optional_positive(const Params& params, const std::string& key) {
  if (!params.has(key)) return std::nullopt;
  return positive<T>(params, key, 1);
}

void check_scheduler_section(const Params& scheduler) {
  scheduler.only({"class", "params", "step_metric", "warmup"});
  if (!scheduler.keys().empty()) scheduler.get<std::string>("class");
  scheduler.at("params");
}

// training.stages: each {epochs: [from, to), switch_on, lr_scheduler, lr,
// reset_optimizer}, the ranges in order, contiguous, from 0 to n_epochs.
std::vector<ExperimentConfig::Stage> read_stages(const Params& training, int n_epochs) {
  const std::string expected = "a non-empty list of stages {epochs: [from, to), switch_on, lr_scheduler, lr, "
                               "reset_optimizer}";
  const std::vector<Params> items = training.maps("stages", expected);
  if (training.has("stages") && items.empty()) training.fail("stages", expected);
  std::vector<ExperimentConfig::Stage> stages;
  for (const Params& item : items) {
    item.only({"epochs", "switch_on", "lr_scheduler", "lr", "reset_optimizer"});
    ExperimentConfig::Stage stage;
    stage.params = item;
    const auto epochs = item.get<std::vector<int>>("epochs");
    const int from = stages.empty() ? 0 : stages.back().end_epoch;
    if (epochs.size() != 2 || epochs[0] >= epochs[1])
      item.fail("epochs", "[from, to): the stage's first epoch and one past its last (0-based), from < to");
    if (epochs[0] != from)
      item.fail("epochs", "a range starting at epoch " + std::to_string(from) +
                              (stages.empty() ? " (the first stage starts the experiment)"
                                              : ", where the stage before ends (stages are in order, without "
                                                "gaps or overlaps)"));
    if (epochs[1] > n_epochs)
      item.fail("epochs", "a range ending at most at experiment.n_epochs (" + std::to_string(n_epochs) + ")");
    stage.first_epoch = epochs[0];
    stage.end_epoch = epochs[1];
    if (item.has("switch_on")) {
      const YAML::Node value = item.node()["switch_on"];
      stage.switch_on = value.IsScalar() ? std::vector<std::string>{item.get<std::string>("switch_on")}
                                         : item.get<std::vector<std::string>>("switch_on");
    }
    if (item.has("lr")) {
      stage.lr = item.get<double>("lr");
      if (*stage.lr < 0) item.fail("lr", "a non-negative number");
    }
    stage.reset_optimizer = item.get<bool>("reset_optimizer", false);
    check_scheduler_section(item.at("lr_scheduler"));
    stages.push_back(std::move(stage));
  }
  if (!stages.empty() && stages.back().end_epoch != n_epochs)
    stages.back().params.fail("epochs", "the last stage to end at experiment.n_epochs (" + std::to_string(n_epochs) +
                                            ")");
  return stages;
}

}  // namespace

bool is_device_name(const std::string& name) {
  if (name == "auto" || name == "cpu" || name == "cuda") return true;
  const std::string prefix = "cuda:";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0 || name.size() > prefix.size() + 4)
    return false;
  return std::all_of(name.begin() + prefix.size(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

ExperimentConfig ExperimentConfig::parse(YAML::Node root, std::string source) {
  ExperimentConfig config;
  config.source = source;
  config.root.reset(root);
  const Params top(root, "", source);
  top.only({"experiment", "data", "network", "training", "logging"});

  const Params experiment = top.at("experiment");
  experiment.only(
      {"n_folds", "n_epochs", "seed", "target_metric", "ckpt_every", "threads", "origin", "device", "deterministic"});
  config.n_folds = positive<int>(experiment, "n_folds", 1);
  config.n_epochs = positive<int>(experiment, "n_epochs", 1);
  if (experiment.has("seed")) {
    const auto seed = experiment.get<std::int64_t>("seed");
    if (seed < 0) experiment.fail("seed", "a non-negative integer");
    config.seed = static_cast<std::uint64_t>(seed);
  }
  if (experiment.has("target_metric")) config.target_metric = experiment.get<std::string>("target_metric");
  config.ckpt_every = positive<int>(experiment, "ckpt_every", 5);
  config.threads = optional_positive<int>(experiment, "threads");
  if (experiment.has("origin")) config.origin = experiment.get<std::string>("origin");
  config.device = experiment.get<std::string>("device", config.device);
  if (!is_device_name(config.device)) experiment.fail("device", kDeviceNames);
  config.deterministic = experiment.get<bool>("deterministic", false);

  const Params data = top.at("data");
  data.only({"bs_train", "bs_valid", "augment", "max_train_samples", "max_valid_samples", "workers", "prefetch",
             "on_bad_sample"});
  config.bs_train = positive<std::int64_t>(data, "bs_train", 128);
  config.bs_valid = positive<std::int64_t>(data, "bs_valid", config.bs_train);
  config.augment = data.get<bool>("augment", false);
  config.max_train_samples = optional_positive<std::int64_t>(data, "max_train_samples");
  config.max_valid_samples = optional_positive<std::int64_t>(data, "max_valid_samples");
  config.loader.workers = data.get<int>("workers", config.loader.workers);
  if (config.loader.workers < 0 || config.loader.workers > 256)
    data.fail("workers", "a number of worker threads from 0 (read batches in the training thread) to 256");
  config.loader.prefetch = positive<int>(data, "prefetch", config.loader.prefetch);
  const std::string on_bad_sample = data.get<std::string>("on_bad_sample", "stop");
  if (on_bad_sample != "stop" && on_bad_sample != "skip") data.fail("on_bad_sample", "stop or skip");
  config.loader.on_bad_sample = on_bad_sample == "skip" ? data::BadSamplePolicy::skip : data::BadSamplePolicy::stop;

  const Params network = top.at("network");
  network.only({"class", "params", "pretrained", "quantize"});
  config.network_class = network.get<std::string>("class");
  network.at("params");
  network.at("pretrained");
  network.at("quantize");

  const Params training = top.at("training");
  training.only(
      {"loss_function", "optimizer", "lr_scheduler", "stages", "quantize", "distributed", "distill", "bit_penalty",
       "amp"});
  for (const char* part : {"loss_function", "optimizer"}) {
    const Params section = training.at(part);
    section.only({"class", "params"});
    section.get<std::string>("class");
    section.at("params");
  }
  check_scheduler_section(training.at("lr_scheduler"));
  const std::string amp = training.get<std::string>("amp", "off");
  if (amp == "bf16") config.amp = ExperimentConfig::Amp::bf16;
  else if (amp == "fp16") config.amp = ExperimentConfig::Amp::fp16;
  else if (amp != "off") training.fail("amp", "off, bf16 or fp16");
  config.stages = read_stages(training, config.n_epochs);
  training.at("quantize");
  training.at("distill");      // read by the trainer (manager/train/Distillation)
  training.at("bit_penalty");  // read by the trainer (manager/train/LearnedBits)
  const Params distributed = training.at("distributed");
  distributed.only({"bucket_mb", "overlap", "sync_batch_norm", "scale_lr"});
  config.distributed.bucket_mb = distributed.get<double>("bucket_mb", config.distributed.bucket_mb);
  if (!(config.distributed.bucket_mb > 0 && config.distributed.bucket_mb <= 1024))
    distributed.fail("bucket_mb", "a bucket size in MiB in (0, 1024]");
  config.distributed.overlap = distributed.get<bool>("overlap", config.distributed.overlap);
  config.distributed.sync_batch_norm = distributed.get<bool>("sync_batch_norm", config.distributed.sync_batch_norm);
  config.distributed.scale_lr = distributed.get<bool>("scale_lr", config.distributed.scale_lr);

  const Params logging = top.at("logging");
  logging.only({"histograms", "monitor"});
  config.histograms = logging.get<bool>("histograms", false);
  logging.at("monitor");
  return config;
}

namespace {
YAML::Node experiment_section(ExperimentConfig& config) {
  if (!config.root["experiment"] || config.root["experiment"].IsNull())
    config.root["experiment"] = YAML::Node(YAML::NodeType::Map);
  return config.root["experiment"];
}
}  // namespace

void set_seed(ExperimentConfig& config, std::uint64_t seed) {
  experiment_section(config)["seed"] = seed;
  config.seed = seed;
}

void set_run_options(ExperimentConfig& config, int threads, std::optional<int> ckpt_every) {
  experiment_section(config)["threads"] = threads;
  config.threads = threads;
  if (ckpt_every) {
    experiment_section(config)["ckpt_every"] = *ckpt_every;
    config.ckpt_every = *ckpt_every;
  }
}

}  // namespace quantlab
