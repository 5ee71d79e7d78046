// quantlab_gpu_train_bench: training-step throughput (images/s) of the
// ImageNet plugin's ResNet-18 on synthetic ImageNet-shaped batches, fp32
// (configs/imagenet/ResNet.yaml) and LSQ W4A4 QAT (ResNet.lsq-w4a4.yaml),
// built through the plugin and the network builder qlhost uses, on --device
// with AMP off and/or bf16. Its twin in PyTorch, composed of PyTorch ops, is
// bench/python/gpu_train_reference.py; bench/gpu_train.sh runs both and
// prints the ratios:
//   ours LSQ W4A4 / PyTorch composed LSQ W4A4 (images/s)   target >= 1.3
//   our LSQ W4A4 step / our fp32 step                      target <= 1.15
// A benchmark, not a test: it exits 0 whatever the numbers are, 1 when a
// trainee failed (the others are still timed and printed), 2 on errors.
//
// Timing: rounds of --round steps, the trainees (variant x AMP) alternating;
// each round is timed between two device synchronisations and the median
// round gives the step time. Warm-up steps first (cuDNN's algorithm search,
// LSQ's data-dependent step initialisation).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <ATen/autocast_mode.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "manager/config/ExperimentConfig.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/train/ComputeThreads.h"
#include "manager/train/InferenceTiming.h"
#include "manager/train/NetworkBuilder.h"
#include "manager/train/Optimizers.h"
#include "quantlab/Errors.h"
#include "quantlib/nn/Quantizer.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kSeed = 1;

struct Options {
  std::string device = "cuda";
  std::vector<std::string> amps{"off", "bf16"};
  std::vector<std::string> variants{"fp32", "lsq-w4a4"};
  std::int64_t batch = 128;
  std::int64_t image = 224;
  std::int64_t classes = 1000;
  int depth = 18;
  int steps = 30;
  int warmup = 5;
  int round = 5;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool cudnn_benchmark = true;
  std::filesystem::path plugin = QUANTLAB_BENCH_IMAGENET;
  std::filesystem::path configs = QUANTLAB_BENCH_CONFIGS "/imagenet";
  std::filesystem::path json;
};

const char* const kUsage =
    "usage: quantlab_gpu_train_bench [--device cuda|cpu] [--amp off,bf16] [--variants fp32,lsq-w4a4]\n"
    "                                [--batch N] [--image N] [--classes N] [--depth N] [--steps N]\n"
    "                                [--warmup N] [--round N] [--threads N] [--no-cudnn-benchmark]\n"
    "                                [--plugin LIB] [--configs DIR] [--json FILE]\n"
    "  --device D     where to train (default cuda)\n"
    "  --amp LIST     autocast modes, comma-separated: off, bf16 (default off,bf16)\n"
    "  --variants L   fp32 (ResNet.yaml), lsq-w4a4 (ResNet.lsq-w4a4.yaml) (default both)\n"
    "  --batch N      images per step (default 128)\n"
    "  --image N      image side (default 224)\n"
    "  --classes N    classes (default 1000)\n"
    "  --depth N      ResNet depth (default 18)\n"
    "  --steps N      timed steps per trainee (default 30)\n"
    "  --warmup N     untimed steps per trainee first (default 5)\n"
    "  --round N      steps per timed round; trainees alternate by round (default 5)\n"
    "  --threads N    intra-op threads (default: all cores)\n"
    "  --plugin LIB   the ImageNet plugin (default: this build's problems/libimagenet.so)\n"
    "  --configs DIR  folder holding ResNet.yaml and ResNet.lsq-w4a4.yaml (default: configs/imagenet)\n"
    "  --json FILE    also write one JSON line per trainee to FILE (bench/gpu_train.sh reads it)\n";

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "quantlab_gpu_train_bench: " << message << "\n" << kUsage;
  std::exit(2);
}

int positive(const std::string& flag, const std::string& text, int minimum) {
  try {
    std::size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used == text.size() && value >= minimum) return value;
  } catch (const std::exception&) {
  }
  usage_error(flag + " " + text + ": expected an integer >= " + std::to_string(minimum));
}

std::vector<std::string> split_list(const std::string& flag, const std::string& text,
                                    const std::vector<std::string>& allowed) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');) {
    if (std::find(allowed.begin(), allowed.end(), item) == allowed.end())
      usage_error(flag + " " + text + ": '" + item + "' is not one of " + fmt::format("{}", fmt::join(allowed, ", ")));
    items.push_back(item);
  }
  if (items.empty()) usage_error(flag + ": expected at least one value");
  return items;
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (flag == "--no-cudnn-benchmark") {
      options.cudnn_benchmark = false;
      continue;
    }
    if (i + 1 >= argc) usage_error(flag + ": unknown option or missing value");
    const std::string value = argv[++i];
    if (flag == "--device") options.device = value;
    else if (flag == "--amp") options.amps = split_list(flag, value, {"off", "bf16"});
    else if (flag == "--variants") options.variants = split_list(flag, value, {"fp32", "lsq-w4a4"});
    else if (flag == "--batch") options.batch = positive(flag, value, 1);
    else if (flag == "--image") options.image = positive(flag, value, 32);
    else if (flag == "--classes") options.classes = positive(flag, value, 2);
    else if (flag == "--depth") options.depth = positive(flag, value, 18);
    else if (flag == "--steps") options.steps = positive(flag, value, 1);
    else if (flag == "--warmup") options.warmup = positive(flag, value, 0);
    else if (flag == "--round") options.round = positive(flag, value, 1);
    else if (flag == "--threads") options.threads = positive(flag, value, 1);
    else if (flag == "--plugin") options.plugin = value;
    else if (flag == "--configs") options.configs = value;
    else if (flag == "--json") options.json = value;
    else usage_error(flag + ": unknown option");
  }
  return options;
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

// Autocast for one forward pass, as Python's `with torch.autocast(...)`:
// enabled with the dtype on entry, the cast cache cleared on leaving.
class AutocastScope {
 public:
  AutocastScope(torch::DeviceType device_type, std::optional<torch::ScalarType> dtype)
      : device_type_(device_type), active_(dtype.has_value()) {
    if (!active_) return;
    was_enabled_ = at::autocast::is_autocast_enabled(device_type_);
    previous_dtype_ = at::autocast::get_autocast_dtype(device_type_);
    at::autocast::set_autocast_enabled(device_type_, true);
    at::autocast::set_autocast_dtype(device_type_, *dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(device_type_, was_enabled_);
    at::autocast::set_autocast_dtype(device_type_, previous_dtype_);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  torch::DeviceType device_type_;
  bool active_;
  bool was_enabled_ = false;
  torch::ScalarType previous_dtype_ = torch::kFloat;
};

std::optional<torch::ScalarType> amp_dtype(const std::string& amp) {
  if (amp == "bf16") return torch::kBFloat16;
  return std::nullopt;
}

// One variant's network with its recipe applied, on the device, its
// optimizer, its controllers at the epoch where quantization is on, and fixed
// synthetic batches on the device.
class Trainee {
 public:
  Trainee(const quantlab::Topology& topology, const Options& options, const std::string& variant,
          const std::string& amp, const torch::Device& device)
      : variant_(variant), amp_(amp), device_(device), dtype_(amp_dtype(amp)) {
    const std::filesystem::path config_file =
        options.configs / (variant == "fp32" ? std::string("ResNet.yaml") : "ResNet." + variant + ".yaml");
    YAML::Node root = quantlab::load_config_file(config_file);
    // Step time does not depend on the weights: no fp32 experiment needed.
    quantlab::apply_override(root, "network.pretrained=null");
    quantlab::apply_override(root, "network.params.depth=" + std::to_string(options.depth));
    quantlab::apply_override(root, "network.params.classes=" + std::to_string(options.classes));
    const quantlab::ExperimentConfig config = quantlab::ExperimentConfig::parse(root, config_file.string());
    torch::manual_seed(kSeed);
    built_ = quantlab::build_network(topology, config);
    built_.network->to(device_);
    built_.network->train();
    optimizer_ = quantlab::make_optimizer(config.section("training.optimizer"), built_.network->parameters());
    epoch_ = std::max(0, config.n_epochs - 1);
    for (auto& controller : built_.controllers) controller->step_pre_training(epoch_, *optimizer_);

    auto generator = at::detail::createCPUGenerator(kSeed + 1);
    for (int i = 0; i < 2; ++i)
      batches_.emplace_back(torch::randn({options.batch, 3, options.image, options.image}, generator).to(device_),
                            torch::randint(0, options.classes, {options.batch}, generator).to(device_));
  }

  std::string name() const { return variant_ + " amp=" + amp_; }
  const std::string& variant() const { return variant_; }
  const std::string& amp() const { return amp_; }
  std::vector<double>& round_step_seconds() { return round_step_seconds_; }
  int timed_steps() const { return timed_steps_; }

  std::pair<int, int> quantizers() const {
    int present = 0;
    int enabled = 0;
    for (const auto& module : built_.network->modules(/*include_self=*/false))
      if (const auto quantizer = std::dynamic_pointer_cast<quantlib::nn::Quantizer>(module)) {
        ++present;
        enabled += quantizer->enabled() ? 1 : 0;
      }
    return {present, enabled};
  }

  // One training step as the trainer takes it: controllers, forward and loss
  // (under autocast when AMP is on), backward, optimizer step.
  void step() {
    const auto& [input, target] = batches_[static_cast<std::size_t>(steps_ % batches_.size())];
    for (auto& controller : built_.controllers) controller->step_pre_batch(epoch_, steps_ % 1000, 1000);
    optimizer_->zero_grad();
    torch::Tensor loss;
    {
      AutocastScope autocast(device_.type(), dtype_);
      loss = torch::nn::functional::cross_entropy(built_.network->forward(input), target);
    }
    loss.backward();
    optimizer_->step();
    ++steps_;
    last_loss_ = loss;
  }

  // `count` steps between two synchronisations; their mean step time.
  void timed_round(int count) {
    synchronize(device_);
    const auto start = Clock::now();
    for (int i = 0; i < count; ++i) step();
    synchronize(device_);
    round_step_seconds_.push_back(std::chrono::duration<double>(Clock::now() - start).count() / count);
    timed_steps_ += count;
  }

  double last_loss() const { return last_loss_.defined() ? last_loss_.item<double>() : 0.0; }

  // Why this trainee stopped (empty while it runs): one failing variant (say
  // LSQ under bf16 autocast) leaves the others timed.
  const std::string& failure() const { return failure_; }
  template <typename Action>
  void guarded(Action&& action) {
    if (!failure_.empty()) return;
    try {
      action();
    } catch (const c10::Error& error) {
      failure_ = error.what_without_backtrace();
    } catch (const std::exception& error) {
      failure_ = error.what();
    }
    if (!failure_.empty()) {
      failure_ = failure_.substr(0, failure_.find('\n'));
      std::cerr << "ours " << name() << ": failed: " << failure_ << "\n";
    }
  }

 private:
  std::string variant_;
  std::string amp_;
  torch::Device device_;
  std::optional<torch::ScalarType> dtype_;
  quantlab::BuiltNetwork built_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  int epoch_ = 0;
  std::int64_t steps_ = 0;
  int timed_steps_ = 0;
  torch::Tensor last_loss_;
  std::string failure_;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> batches_;
  std::vector<double> round_step_seconds_;
};

std::string json_escape(const std::string& text) {
  std::string escaped;
  for (const char c : text) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    escaped += c;
  }
  return escaped;
}

int run(const Options& options) {
  quantlab::configure_compute(options.threads);
  const torch::Device device(options.device);
  if (device.is_cuda() && !torch::cuda::is_available())
    throw quantlab::UserError("--device " + options.device + ": this LibTorch sees no CUDA device");
  at::globalContext().setBenchmarkCuDNN(options.cudnn_benchmark);
  const quantlab::LoadedPlugin plugin = quantlab::load_plugin(options.plugin);
  const auto topology = plugin.topology("ResNet");

  std::vector<Trainee> trainees;
  // Variants that could not even be built on the device: name and why.
  std::vector<std::pair<std::string, std::string>> unbuilt;
  for (const auto& variant : options.variants)
    for (const auto& amp : options.amps) {
      try {
        trainees.emplace_back(*topology, options, variant, amp, device);
      } catch (const c10::Error& error) {
        unbuilt.emplace_back(variant + " amp=" + amp, error.what_without_backtrace());
      } catch (const quantlab::UserError& error) {
        unbuilt.emplace_back(variant + " amp=" + amp, error.what());
      }
    }
  for (const auto& [name, why] : unbuilt) std::cerr << "ours " << name << ": cannot build: " << why << "\n";
  for (const auto& trainee : trainees) {
    const auto [present, enabled] = trainee.quantizers();
    std::cout << fmt::format("ours {}: {} quantizer module(s), {} enabled\n", trainee.name(), present, enabled);
  }
  std::cout << fmt::format("ResNet-{} training step, batch {}, {}x{} images, {} classes, device {}, LibTorch {}, "
                           "{} thread(s); {} warm-up + {} timed steps per trainee in rounds of {}\n",
                           options.depth, options.batch, options.image, options.image, options.classes,
                           device.str(), TORCH_VERSION, torch::get_num_threads(), options.warmup, options.steps,
                           options.round)
            << std::flush;
  for (auto& trainee : trainees)
    trainee.guarded([&] {
      for (int i = 0; i < options.warmup; ++i) trainee.step();
      synchronize(device);
    });
  bool left = true;
  while (left) {
    left = false;
    for (auto& trainee : trainees) {
      const int count = std::min(options.round, options.steps - trainee.timed_steps());
      if (count > 0) trainee.guarded([&] { trainee.timed_round(count); });
      left = left || (trainee.failure().empty() && trainee.timed_steps() < options.steps);
    }
  }

  std::ofstream json;
  if (!options.json.empty()) {
    json.open(options.json);
    if (!json) throw quantlab::UserError("--json " + options.json.string() + ": cannot write");
  }
  std::cout << "\n| impl | variant  | amp  | images/s | ms/step | steps | loss   |\n"
            << "| ---- | -------- | ---- | -------: | ------: | ----: | -----: |\n";
  const auto failed_row = [&](const std::string& variant, const std::string& amp, const std::string& why) {
    std::cout << fmt::format("| ours | {:<8} | {:<4} | failed: {} |\n", variant, amp, why);
    if (json)
      json << fmt::format("{{\"impl\": \"ours\", \"variant\": \"{}\", \"amp\": \"{}\", \"device\": \"{}\", "
                          "\"batch\": {}, \"image\": {}, \"error\": \"{}\"}}\n",
                          variant, amp, device.str(), options.batch, options.image, json_escape(why));
  };
  for (auto& trainee : trainees) {
    if (!trainee.failure().empty()) {
      failed_row(trainee.variant(), trainee.amp(), trainee.failure());
      continue;
    }
    const double step_s = quantlab::median(trainee.round_step_seconds());
    const double images_per_s = static_cast<double>(options.batch) / step_s;
    const double loss = trainee.last_loss();
    std::cout << fmt::format("| ours | {:<8} | {:<4} | {:>8.1f} | {:>7.2f} | {:>5} | {:>6.3f} |\n", trainee.variant(),
                             trainee.amp(), images_per_s, step_s * 1e3, trainee.timed_steps(), loss);
    if (json)
      json << fmt::format(
          "{{\"impl\": \"ours\", \"variant\": \"{}\", \"amp\": \"{}\", \"device\": \"{}\", \"batch\": {}, "
          "\"image\": {}, \"images_per_s\": {:.3f}, \"step_ms\": {:.4f}, \"steps\": {}, \"loss\": {:.5f}, "
          "\"torch\": \"{}\"}}\n",
          trainee.variant(), trainee.amp(), device.str(), options.batch, options.image, images_per_s, step_s * 1e3,
          trainee.timed_steps(), loss, TORCH_VERSION);
  }
  for (const auto& [name, why] : unbuilt) {
    const auto space = name.find(" amp=");
    failed_row(name.substr(0, space), name.substr(space + 5), why);
  }
  const bool any_failed =
      !unbuilt.empty() || std::any_of(trainees.begin(), trainees.end(), [](const Trainee& t) { return !t.failure().empty(); });
  return any_failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  try {
    return run(options);
  } catch (const quantlab::UserError& error) {
    std::cerr << "quantlab_gpu_train_bench: error: " << error.what() << "\n";
  } catch (const c10::Error& error) {
    std::cerr << "quantlab_gpu_train_bench: error: " << error.what_without_backtrace() << "\n";
  } catch (const std::exception& error) {
    std::cerr << "quantlab_gpu_train_bench: error: " << error.what() << "\n";
  }
  return 2;
}
