#pragma once
// The experiment configuration: the original's sections (experiment, data,
// network, training) plus logging, read from YAML, overridden with --set, and
// validated before anything is written to disk.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "manager/config/Yaml.h"
#include "manager/config/BatcherOptions.h"
#include "quantlab/Params.h"

namespace quantlab {

// An experiment config file. A top-level `base: OTHER.yaml` (relative to the
// file's folder) makes it a variant: OTHER is read first (it may have a base
// itself) and this file's keys are laid over it, maps merged key by key,
// anything else replaced; a section naming another `class` (an optimizer, a
// scheduler) replaces the base's section whole, since its params differ.
// The result has no `base` key.
YAML::Node load_config_file(const std::filesystem::path& file);

// Applies "dotted.key=value" to `root`; the value is typed by YAML's rules
// ("3" is an integer, "[1, 2]" a list, "null" removes the value).
void apply_override(YAML::Node& root, const std::string& assignment);

// What experiment.device and --device accept.
inline constexpr const char* kDeviceNames = "auto, cpu, cuda or cuda:N (N a GPU index)";
bool is_device_name(const std::string& name);

struct ExperimentConfig {
  YAML::Node root;     // the whole tree, as snapshotted into config.yaml
  std::string source;  // file or description, for error messages

  int n_folds = 1;
  int n_epochs = 1;
  std::optional<std::uint64_t> seed;
  std::optional<std::string> target_metric;
  int ckpt_every = 5;
  // Intra-op threads per rank the experiment trains with: floating-point sums
  // split over threads differently give different results, so a resume keeps
  // the count of the first run unless told otherwise.
  std::optional<int> threads;
  // experiment.origin: what produced this config, e.g. "select weights=300KiB"
  // as `qlhost select` writes it; compare and report label the experiment with it.
  std::optional<std::string> origin;
  // experiment.device: auto (a GPU when there is one, else the CPU), cpu,
  // cuda (GPU local rank mod visible GPUs) or cuda:N; --device overrides it
  // for one run, so an experiment moves between machines (manager/train/Device.h).
  std::string device = "auto";
  // experiment.deterministic: deterministic GPU algorithms (cuDNN, cuBLAS,
  // scatter/index ops), so a run killed and resumed ends bit-identical.
  bool deterministic = false;

  std::int64_t bs_train = 128;
  std::int64_t bs_valid = 1000;
  bool augment = false;
  std::optional<std::int64_t> max_train_samples;
  std::optional<std::int64_t> max_valid_samples;
  data::BatcherOptions loader;  // data.workers, data.prefetch, data.on_bad_sample

  std::string network_class;
  bool histograms = false;

  // training.amp: automatic mixed precision of the float layers (quantizers
  // compute in float32); fp16 scales the loss (manager/train/Amp.h).
  enum class Amp { off, bf16, fp16 };
  Amp amp = Amp::off;

  // training.distributed: how ranks train together under mpirun.
  struct Distributed {
    double bucket_mb = 4.0;        // fused all-reduce buffer size
    bool overlap = true;           // reduce buckets during backward
    bool sync_batch_norm = false;  // batch statistics over all ranks
    bool scale_lr = false;         // learning rate x number of ranks
  } distributed;

  // training.stages: the epochs cut into contiguous ranges covering
  // [0, n_epochs), in order; empty when the config lists none.
  struct Stage {
    int first_epoch = 0;
    int end_epoch = 0;                   // one past its last epoch
    std::vector<std::string> switch_on;  // quantizer name globs, "weights" or "activations"
    std::optional<double> lr;            // its base rate; default training.optimizer.params.lr
    bool reset_optimizer = false;        // clear the optimizer's state as it starts
    Params params{YAML::Node(), "", ""};  // training.stages[k]: its lr_scheduler, and errors naming its keys
  };
  std::vector<Stage> stages;

  Params section(const std::string& dotted) const;  // e.g. "training.optimizer"

  // Validates the fixed sections and reads their values. Free maps
  // (network.params, *.quantize, optimizer and scheduler params) are checked
  // by whoever consumes them.
  static ExperimentConfig parse(YAML::Node root, std::string source);
};

// Writes the seed into the tree and the struct.
void set_seed(ExperimentConfig& config, std::uint64_t seed);
// Writes what a new experiment's first run decided (its thread count, and
// --ckpt-every when given) into the tree and the struct, so that config.yaml
// keeps them for every resume.
void set_run_options(ExperimentConfig& config, int threads, std::optional<int> ckpt_every);

}  // namespace quantlab
