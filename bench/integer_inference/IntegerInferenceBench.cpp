// Integer-path inference throughput of Fashion-MNIST's SimpleCNN, measured
// side by side in one run: the fp32 network (SimpleCNN.fp32.yaml), the
// fake-quantized network and its integerized network (pact-w8a8, pact-w4a4,
// lsq-w4a4), on the same batches of 1000 images. Throughput does not depend on
// the trained weights, so the networks are built fresh (quantizers set by one
// forward); accuracy comes from `qlhost --mode test --exp-id N --integer` on
// trained experiments.
//   bench_integer_inference [threads]
#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>

#include "manager/config/ExperimentConfig.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/train/ComputeThreads.h"
#include "manager/train/NetworkBuilder.h"
#include "quantlib/deploy/Integerize.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kBatch = 1000;

quantlab::BuiltNetwork build(const quantlab::Topology& topology, const std::string& variant) {
  const std::string file = std::string(QUANTLAB_BENCH_CONFIGS) + "/SimpleCNN." + variant + ".yaml";
  YAML::Node root = quantlab::load_config_file(file);
  quantlab::apply_override(root, "network.pretrained=null");
  const quantlab::ExperimentConfig config = quantlab::ExperimentConfig::parse(root, file);
  torch::manual_seed(1);
  quantlab::BuiltNetwork built = quantlab::build_network(topology, config);
  for (auto& controller : built.controllers) controller->step_pre_validation(std::max(0, config.n_epochs - 1));
  built.network->eval();
  return built;
}

// Images per second of one pass over the batches.
double one_pass(const std::vector<torch::Tensor>& batches, const std::function<torch::Tensor(const torch::Tensor&)>& forward) {
  torch::NoGradGuard no_grad;
  const auto start = Clock::now();
  for (const auto& batch : batches) forward(batch);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(batches.size() * kBatch) / seconds;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  quantlab::configure_compute(argc > 1 ? std::stoi(argv[1]) : 1);
  const quantlab::LoadedPlugin plugin = quantlab::load_plugin(QUANTLAB_BENCH_PLUGIN);
  const auto topology = plugin.topology("SimpleCNN");
  // Normalized 8-bit pixels, as the plugin feeds them.
  std::vector<torch::Tensor> batches;
  for (int i = 0; i < 3; ++i)
    batches.push_back(torch::randint(0, 256, {kBatch, 1, 28, 28}).div(255.0).sub(0.2860).div(0.3530));
  const auto input = quantlib::deploy::infer_input_quantization(batches[0]);

  // Every network first, then rounds that time each of them once in turn, so
  // drift of the machine weighs on all alike; medians over the rounds.
  struct Measured {
    std::string name;
    std::function<torch::Tensor(const torch::Tensor&)> forward;
    std::vector<double> rates;
  };
  std::vector<quantlab::BuiltNetwork> built;
  std::vector<quantlib::deploy::IntegerNetwork> integers;
  built.reserve(4);
  integers.reserve(3);
  std::vector<Measured> measured;
  built.push_back(build(*topology, "fp32"));
  measured.push_back({"fp32", [net = built.back().network](const torch::Tensor& x) { return net->forward(x); }, {}});
  const std::vector<std::string> variants{"pact-w8a8", "pact-w4a4", "lsq-w4a4"};
  for (const auto& variant : variants) {
    built.push_back(build(*topology, variant));
    auto net = built.back().network;
    const auto forward = [net](const torch::Tensor& x) { return net->forward(x); };
    {
      torch::NoGradGuard no_grad;
      forward(batches[0]);  // LSQ/TQT set their steps from the first batch
    }
    integers.push_back(quantlib::deploy::integerize(*net, forward, batches[0].slice(0, 0, 2), input));
    const quantlib::deploy::IntegerNetwork* integer = &integers.back();
    measured.push_back({variant + " fake-quantized", forward, {}});
    measured.push_back({variant + " integer", [integer](const torch::Tensor& x) { return integer->forward(x); }, {}});
  }
  for (auto& m : measured) one_pass(batches, m.forward);  // warm-up: kernels, allocator
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round)
    for (auto& m : measured) m.rates.push_back(one_pass(batches, m.forward));

  const double fp32_rate = median(measured[0].rates);
  std::cout << fmt::format("SimpleCNN, batch {}, {} intra-op thread(s), median of {} interleaved rounds\n", kBatch,
                           torch::get_num_threads(), kRounds);
  std::cout << fmt::format("fp32 {:>7.0f} images/s\n", fp32_rate);
  for (std::size_t v = 0; v < variants.size(); ++v) {
    const double fake_rate = median(measured[1 + 2 * v].rates);
    const double integer_rate = median(measured[2 + 2 * v].rates);
    std::cout << fmt::format(
        "{:<10} fake-quantized {:>7.0f} images/s | integer {:>7.0f} images/s | integer / fp32 = {:.3f} | "
        "integer / fake-quantized = {:.3f}\n",
        variants[v], fake_rate, integer_rate, integer_rate / fp32_rate, integer_rate / fake_rate);
  }
  return 0;
}
