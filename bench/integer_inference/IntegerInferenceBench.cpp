// Inference throughput measured side by side in one run
// (manager/train/InferenceTiming.h): the fp32 network, the fake-quantized
// network, its exact integer network and its fast integer network (oneDNN
// int8 kernels, quantlib/deploy/FastIntegerNetwork.h), for
//   - Fashion-MNIST's SimpleCNN at batch 1000 (1x28x28): pact-w8a8, pact-w4a4, lsq-w4a4;
//   - ImageNet's ResNet-18 at batch 16 (3x224x224, synthetic pixels): pact-w8a8.
// Networks are built fresh (test/support/CalibratedNetwork.h); accuracies come
// from `qlhost --mode test --exp-id N --integer` on trained experiments.
//   bench_integer_inference [threads] [rounds]
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <torch/torch.h>

#include "manager/train/ComputeThreads.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/train/InferenceTiming.h"
#include "quantlib/deploy/FastIntegerNetwork.h"
#include "manager/train/TrainedNetwork.h"
#include "support/CalibratedNetwork.h"

namespace {

namespace fs = std::filesystem;
using quantlab::InferenceSpeed;
using quantlab::TimedForward;

struct Problem {
  const char* plugin;
  std::string topology;
  fs::path fp32_config;
  std::vector<std::string> variants;  // configs/<problem>/<topology>.<variant>.yaml
  std::string config_stem;
  std::vector<std::int64_t> sample_shape;
  std::int64_t batch;
};

void time_problem(const Problem& problem, int rounds) {
  const quantlab::LoadedPlugin plugin = quantlab::load_plugin(problem.plugin);
  const auto topology = plugin.topology(problem.topology);
  std::vector<std::int64_t> batch_shape{problem.batch};
  batch_shape.insert(batch_shape.end(), problem.sample_shape.begin(), problem.sample_shape.end());
  std::vector<std::int64_t> calibration_shape = batch_shape;
  calibration_shape[0] = std::min<std::int64_t>(problem.batch, 64);

  std::vector<quantlab::BuiltNetwork> built;
  std::vector<quantlib::deploy::IntegerNetwork> exact;
  std::vector<quantlib::deploy::FastIntegerNetwork> fast;
  built.reserve(1 + problem.variants.size());
  exact.reserve(problem.variants.size());
  fast.reserve(problem.variants.size());
  built.push_back(quantlab::test::calibrated_network(*topology, problem.fp32_config, calibration_shape, {}, 10));
  std::vector<TimedForward> forwards{
      {"fp32", [net = built.back().network](const torch::Tensor& x) { return net->forward(x); }}};
  for (const auto& variant : problem.variants) {
    built.push_back(quantlab::test::calibrated_network(
        *topology, problem.config_stem + "." + variant + ".yaml", calibration_shape, {}, 10));
    auto net = built.back().network;
    exact.push_back(quantlab::integerize_trained(*net, quantlab::test::pixels(calibration_shape), problem.topology));
    fast.emplace_back(exact.back());
    const auto* integer = &exact.back();
    const auto* fast_integer = &fast.back();
    forwards.push_back({variant + " fake-quantized", [net](const torch::Tensor& x) { return net->forward(x); }});
    forwards.push_back({variant + " integer exact", [integer](const torch::Tensor& x) { return integer->forward(x); }});
    forwards.push_back(
        {variant + " integer fast", [fast_integer](const torch::Tensor& x) { return fast_integer->forward(x); }});
  }
  torch::manual_seed(11);
  const std::vector<torch::Tensor> batches{quantlab::test::pixels(batch_shape),
                                           quantlab::test::pixels(batch_shape)};
  const std::vector<InferenceSpeed> speeds = quantlab::time_inference(
      forwards, batches, batches[0].slice(0, 0, 1), {.rounds = rounds, .latency_repeats = 10});

  std::cout << fmt::format("\n{} at batch {}, {} intra-op thread(s), median of {} interleaved rounds\n",
                           problem.topology, problem.batch, torch::get_num_threads(), rounds);
  std::cout << fmt::format("{:<28} {:>10} {:>9} {:>13}\n", "network", "images/s", "vs fp32", "latency (ms)");
  for (std::size_t i = 0; i < forwards.size(); ++i)
    std::cout << fmt::format("{:<28} {:>10.1f} {:>9.2f} {:>13.3f}\n", forwards[i].name, speeds[i].images_per_s,
                             speeds[i].images_per_s / speeds[0].images_per_s, speeds[i].latency_ms);
  for (std::size_t v = 0; v < problem.variants.size(); ++v)
    std::cout << problem.variants[v] << " fast path: " << fast[v].describe() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  quantlab::configure_compute(argc > 1 ? std::stoi(argv[1]) : 1);
  const int rounds = argc > 2 ? std::stoi(argv[2]) : 5;
  const fs::path configs = QUANTLAB_BENCH_CONFIGS;
  time_problem({QUANTLAB_BENCH_FASHIONMNIST, "SimpleCNN", configs / "fashionmnist/SimpleCNN.fp32.yaml",
                {"pact-w8a8", "pact-w4a4", "lsq-w4a4"}, (configs / "fashionmnist/SimpleCNN").string(), {1, 28, 28},
                1000},
               rounds);
  time_problem({QUANTLAB_BENCH_IMAGENET, "ResNet", configs / "imagenet/ResNet.yaml", {"pact-w8a8"},
                (configs / "imagenet/ResNet").string(), {3, 224, 224}, 16},
               rounds);
  return 0;
}
