#include "manager/compare/NetworkCost.h"

#include <set>

#include <torch/torch.h>

#include "manager/data/Batcher.h"
#include "manager/train/Checkpoint.h"
#include "manager/train/NetworkBuilder.h"
#include "quantlib/algorithms/lsq/LearnedBitsQuantizer.h"
#include "quantlab/Errors.h"

namespace quantlab::compare {

torch::Tensor summary_sample(const Dataset& data, const Topology& topology) {
  if (data.size() < 1) throw DataError(data.describe() + ": expected at least one test sample");
  return data::read_batch(data, topology, {0}, false, 0).input;
}

torch::Tensor measurement_sample(const Problem& problem, const std::filesystem::path& data_dir,
                                 const Topology& topology) {
  try {
    return summary_sample(*problem.dataset(Partition::test, data_dir), topology);
  } catch (const DataError&) {
    std::vector<std::int64_t> shape = topology.input_shape();
    if (shape.empty()) throw;
    shape.insert(shape.begin(), 1);
    auto generator = at::detail::createCPUGenerator(0);
    return torch::randn(shape, generator);
  }
}

namespace {

// Whether a quantizer of `network` learns its bit-width.
bool learns_bits(torch::nn::Module& network) {
  for (const auto& module : network.modules(/*include_self=*/false))
    if (std::dynamic_pointer_cast<quantlib::nn::LearnedBitsQuantizer>(module)) return true;
  return false;
}

struct MeasuredNetwork {
  quantlib::graph::NetworkSummary summary;
  bool learned_bits = false;  // it learns its bit-widths
};

MeasuredNetwork measure_network(const Topology& topology, const ExperimentConfig& config, const torch::Tensor& sample,
                                const std::filesystem::path& trained) {
  YAML::Node root = YAML::Clone(config.root);
  apply_override(root, "network.pretrained=null");
  const BuiltNetwork built = build_network(topology, ExperimentConfig::parse(root, config.source));
  MeasuredNetwork measured;
  measured.learned_bits = learns_bits(*built.network);
  if (measured.learned_bits && !trained.empty() && std::filesystem::exists(trained))
    load_network(trained, *built.network);
  measured.summary = quantlib::graph::NetworkSummary::of(*built.network, sample);
  return measured;
}

}  // namespace

NetworkCost network_cost(const Topology& topology, const ExperimentConfig& config, const torch::Tensor& sample,
                         const std::filesystem::path& trained) {
  const MeasuredNetwork measured = measure_network(topology, config, sample, trained);
  const auto& summary = measured.summary;
  return {summary.size_bytes(), summary.bops, bits_text(summary), precision_of(summary), measured.learned_bits};
}

quantlib::graph::NetworkSummary network_summary(const Topology& topology, const ExperimentConfig& config,
                                                const torch::Tensor& sample, const std::filesystem::path& trained) {
  return measure_network(topology, config, sample, trained).summary;
}

namespace {

// Bits of a tensor no quantizer touched (NetworkSummary.h).
constexpr std::int64_t kFloatBits = 32;

struct LayerBits {
  std::set<std::int64_t> weights, inputs;  // of the layers with weights
};

LayerBits layer_bits(const quantlib::graph::NetworkSummary& summary) {
  LayerBits bits;
  for (const auto& layer : summary.layers) {
    if (!layer.weight_bits) continue;
    bits.weights.insert(*layer.weight_bits);
    if (layer.input_bits) bits.inputs.insert(*layer.input_bits);
  }
  return bits;
}

}  // namespace

std::string precision_of(const quantlib::graph::NetworkSummary& summary) {
  LayerBits bits = layer_bits(summary);
  bits.inputs.erase(kFloatBits);
  if (bits.inputs.empty() && (bits.weights.empty() || bits.weights == std::set<std::int64_t>{kFloatBits}))
    return "fp32";
  return bits.weights.size() <= 1 && bits.inputs.size() <= 1 ? "uniform" : "mixed";
}

std::string bits_text(const quantlib::graph::NetworkSummary& summary) {
  const auto [weight_bits, input_bits] = layer_bits(summary);
  const auto join = [](const std::set<std::int64_t>& bits) {
    std::string text;
    for (const auto value : bits) text += (text.empty() ? "" : "/") + std::to_string(value);
    return text.empty() ? std::string("-") : text;
  };
  return "W" + join(weight_bits) + " A" + join(input_bits);
}

}  // namespace quantlab::compare
