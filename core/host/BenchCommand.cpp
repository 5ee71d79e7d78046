// `qlhost bench --plugin P --topology T --exp-id N [--batch B] [--threads T]
// [--format table|json]`: inference speed of a trained experiment's networks
// measured side by side in one run (manager/train/InferenceTiming.h): the
// fp32 network (the same topology and network.params without the recipe; its
// speed does not depend on its weights), the fake-quantized network, the
// exact integer network and the fast integer network (oneDNN int8 kernels),
// each in images/s at batch B and in latency at batch 1. Nothing is written.
#include <iostream>
#include <thread>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <torch/torch.h>

#include "host/Commands.h"
#include "host/TrainedExperiment.h"
#include "manager/data/Batcher.h"
#include "manager/train/ComputeThreads.h"
#include "manager/train/InferenceTiming.h"
#include "manager/train/NetworkBuilder.h"
#include "quantlab/Errors.h"
#include "quantlab/Text.h"
#include "quantlib/deploy/FastIntegerNetwork.h"

namespace po = boost::program_options;

namespace quantlab {
namespace {

// The experiment's network without quantization.
std::shared_ptr<Network> fp32_network(const Topology& topology, const ExperimentConfig& config) {
  std::shared_ptr<Network> network = build_network(topology, without_recipe(config)).network;
  network->eval();
  return network;
}

// The first `batch` test samples (the test set repeated when it is smaller),
// pre-processed as for evaluation.
torch::Tensor test_batch(const TrainedExperiment& experiment, std::int64_t batch) {
  const std::int64_t available = experiment.test_data->size();
  if (available <= 0) throw DataError(experiment.description + ": the test set is empty");
  std::vector<std::int64_t> indices(static_cast<std::size_t>(batch));
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<std::int64_t>(i) % available;
  return data::read_batch(*experiment.test_data, *experiment.topology, indices, false, *experiment.config.seed).input;
}

}  // namespace

int bench_command(const Arguments& arguments) {
  TrainedExperimentOptions options;
  std::int64_t batch = 0;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int rounds = 5;
  std::string format = "table";
  po::options_description description(
      "usage: qlhost bench --plugin PATH --topology NAME --exp-id N [--batch B] [--threads T] [--format table|json]");
  description.add_options()("help,h", "this help");
  options.add_to(description, "to time");
  description.add_options()
      ("batch", po::value(&batch), "images per timed forward (default: the experiment's data.bs_valid)")
      ("threads", po::value(&threads), "intra-op threads (default: this machine's cores)")
      ("rounds", po::value(&rounds), "interleaved rounds; each network's median is reported (default 5)")
      ("format", po::value(&format), "table (default) or json");
  po::variables_map values;
  if (!parse_command_line(arguments, description, values)) return 0;
  if (values.count("batch") && batch <= 0)
    throw ConfigError("--batch " + std::to_string(batch) + ": expected a positive number of images");
  if (threads < 1) throw ConfigError("--threads " + std::to_string(threads) + ": expected a positive integer");
  if (rounds < 1) throw ConfigError("--rounds " + std::to_string(rounds) + ": expected a positive integer");
  if (format != "table" && format != "json") throw ConfigError("--format " + format + ": expected table or json");

  configure_compute(threads);
  TrainedExperiment experiment = open_trained_experiment(options);
  if (!values.count("batch")) batch = experiment.config.bs_valid;
  Network& network = *experiment.trained.network;
  const quantlib::deploy::IntegerNetwork integer =
      integerize_trained(network, *experiment.topology, experiment.config, *experiment.test_data,
                         "qlhost bench " + experiment.description);
  const quantlib::deploy::FastIntegerNetwork fast(integer);
  const std::shared_ptr<Network> fp32 = fp32_network(*experiment.topology, experiment.config);
  const torch::Tensor input = test_batch(experiment, batch);

  const std::vector<TimedForward> forwards{
      {"fp32", [&](const torch::Tensor& x) { return fp32->forward(x); }},
      {"fake_quantized", [&](const torch::Tensor& x) { return network.forward(x); }},
      {"integer_exact", [&](const torch::Tensor& x) { return integer.forward(x); }},
      {"integer_fast", [&](const torch::Tensor& x) { return fast.forward(x); }}};
  const std::vector<InferenceSpeed> speeds =
      time_inference(forwards, {input}, input.slice(0, 0, 1), {.rounds = rounds, .latency_repeats = 20});

  const std::string fast_path = fast.describe();
  const std::string what = fmt::format("{}/{} {} fold {} {}", experiment.plugin.name, experiment.topology->name(),
                                       Logbook::experiment_name(options.experiment_id), options.fold,
                                       experiment.checkpoint.filename().string());
  if (format == "json") {
    std::cout << "{\"experiment\": " << json_string(what) << ", \"batch\": " << batch << ", \"threads\": " << threads
              << ", \"rounds\": " << rounds << ", \"fast_path\": " << json_string(fast_path);
    for (std::size_t i = 0; i < forwards.size(); ++i)
      std::cout << fmt::format(", \"{}\": {{\"images_per_s\": {:.1f}, \"latency_ms\": {:.4f}}}", forwards[i].name,
                               speeds[i].images_per_s, speeds[i].latency_ms);
    std::cout << "}\n";
    return 0;
  }
  std::cout << fmt::format("{}: batch {}, {} thread(s), median of {} interleaved rounds\n", what, batch, threads,
                           rounds);
  std::cout << fmt::format("{:<16} {:>12} {:>9} {:>14}\n", "network", "images/s", "vs fp32", "latency (ms)");
  for (std::size_t i = 0; i < forwards.size(); ++i)
    std::cout << fmt::format("{:<16} {:>12.0f} {:>9.2f} {:>14.3f}\n", forwards[i].name, speeds[i].images_per_s,
                             speeds[i].images_per_s / speeds[0].images_per_s, speeds[i].latency_ms);
  std::cout << "integer_fast: " << fast_path << "\n";
  return 0;
}

}  // namespace quantlab
