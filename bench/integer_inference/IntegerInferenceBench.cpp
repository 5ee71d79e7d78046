// Integer-path inference throughput of Fashion-MNIST's SimpleCNN, measured
// side by side in one run: the fp32 network (SimpleCNN.fp32.yaml), the
// fake-quantized network and its integerized network (pact-w8a8, pact-w4a4,
// lsq-w4a4), on the same batches of 1000 images. Throughput does not depend on
// the trained weights, so the networks are built fresh (quantizers set by one
// forward); accuracy comes from `qlhost --mode test --exp-id N --integer` on
// trained experiments.
//   bench_integer_inference [threads]
#include <chrono>
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

// Images per second, best of `rounds` passes over the batches.
template <class Forward>
double throughput(const std::vector<torch::Tensor>& batches, Forward forward, int rounds = 3) {
  torch::NoGradGuard no_grad;
  forward(batches[0]);
  double best = 0;
  for (int r = 0; r < rounds; ++r) {
    const auto start = Clock::now();
    for (const auto& batch : batches) forward(batch);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    best = std::max(best, static_cast<double>(batches.size() * kBatch) / seconds);
  }
  return best;
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

  auto fp32 = build(*topology, "fp32");
  const double fp32_rate = throughput(batches, [&](const torch::Tensor& x) { return fp32.network->forward(x); });
  std::cout << fmt::format("fp32 SimpleCNN: {:.0f} images/s ({} intra-op thread(s), batch {})\n", fp32_rate,
                           torch::get_num_threads(), kBatch);
  for (const std::string variant : {"pact-w8a8", "pact-w4a4", "lsq-w4a4"}) {
    auto built = build(*topology, variant);
    auto& network = *built.network;
    const auto forward = [&](const torch::Tensor& x) { return network.forward(x); };
    {
      torch::NoGradGuard no_grad;
      forward(batches[0]);  // LSQ/TQT set their steps from the first batch
    }
    const auto integer = quantlib::deploy::integerize(network, forward, batches[0].slice(0, 0, 2), input);
    const double fake_rate = throughput(batches, forward);
    const double integer_rate = throughput(batches, [&](const torch::Tensor& x) { return integer.forward(x); });
    std::cout << fmt::format(
        "{:<10} fake-quantized {:>7.0f} images/s | integer {:>7.0f} images/s | integer / fp32 = {:.3f} | "
        "integer / fake-quantized = {:.3f}\n",
        variant, fake_rate, integer_rate, integer_rate / fp32_rate, integer_rate / fake_rate);
  }
  return 0;
}
