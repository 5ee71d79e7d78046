#include "manager/train/LearnedBits.h"

#include <cmath>
#include <regex>

#include <fmt/format.h>
#include <torch/torch.h>

#include "manager/train/Device.h"
#include "quantlab/Text.h"
#include "quantlib/algorithms/StageSwitchController.h"
#include "quantlib/graph/NetworkSummary.h"

namespace quantlab {
namespace {

constexpr const char* kSection = "training.bit_penalty";

// training.bit_penalty.target read by `read` (quantlab/Text.h).
double amount_of(const Params& section, std::optional<double> (*read)(std::string_view), const std::string& expected) {
  if (const auto value = read(section.get<std::string>("target"))) return *value;
  section.fail("target", expected);
}

std::string cost_text(quantlib::BitCostKind kind, double value) {
  return kind == quantlib::BitCostKind::WeightMemory ? fmt::format("{:.1f} KiB", value / 1024) : with_unit(value);
}

}  // namespace

std::optional<BitPenalty> BitPenalty::parse(const Params& section) {
  if (section.keys().empty()) return std::nullopt;
  section.only({"cost", "target", "strength"});
  BitPenalty penalty;
  const std::string cost = section.get<std::string>("cost");
  if (cost == "weights")
    penalty.cost = quantlib::BitCostKind::WeightMemory;
  else if (cost == "bops")
    penalty.cost = quantlib::BitCostKind::Bops;
  else
    section.fail("cost", "weights (the model size) or bops (bit-operations per sample)");
  if (penalty.cost == quantlib::BitCostKind::WeightMemory)
    penalty.target = amount_of(section, byte_amount, "a positive model size in bytes, e.g. 417587 or 407.8KiB "
                                                     "(units B, kB, KiB, MB, MiB, GB, GiB)");
  else
    penalty.target = amount_of(section, count_amount, "a positive number of bit-operations per sample, e.g. 2.5e8 "
                                                      "or 250M (units k, M, G, T)");
  penalty.strength = section.get<double>("strength", 1.0);
  if (!(penalty.strength >= 0)) section.fail("strength", "a number >= 0");
  return penalty;
}

std::optional<LearnedBits> LearnedBits::make(const ExperimentConfig& config, torch::nn::Module& network) {
  const Params section = config.section(kSection);
  LearnedBits learned;
  learned.penalty_ = BitPenalty::parse(section);
  for (const auto& named : quantlib::named_quantizers(network))
    if (auto quantizer = std::dynamic_pointer_cast<quantlib::nn::LearnedBitsQuantizer>(named.quantizer))
      learned.quantizers_.emplace_back(named.name, std::move(quantizer));
  if (learned.quantizers_.empty()) {
    if (learned.penalty_)
      config.section("training").fail("bit_penalty", "a recipe that learns bit-widths (a quantizer with bits: "
                                                     "learned); this network's quantizers all have fixed bits");
    return std::nullopt;
  }
  return learned;
}

void LearnedBits::measure(Network& network, const torch::Tensor& sample) {
  if (!penalty_) return;
  cost_.emplace(network, quantlib::graph::NetworkSummary::of(network, sample.to(network_device(network))),
                penalty_->cost);
}

torch::Tensor LearnedBits::penalty() const {
  TORCH_CHECK(penalty_ && cost_, "LearnedBits: penalty() before measure() or without training.bit_penalty");
  const torch::Tensor ratio = cost_->value() / penalty_->target;
  return (penalty_->strength * torch::relu(ratio - 1.0)).to(torch::kFloat);
}

double LearnedBits::cost() const {
  torch::NoGradGuard no_grad;
  return cost_ ? cost_->value().item<double>() : 0.0;
}

std::vector<std::pair<std::string, double>> LearnedBits::bits() const {
  std::vector<std::pair<std::string, double>> bits;
  for (const auto& [name, quantizer] : quantizers_)
    bits.emplace_back(name, quantizer->fractional_bits().item<double>());
  return bits;
}

std::string LearnedBits::describe() const {
  std::string text;
  for (const auto& [name, value] : bits())
    text += fmt::format("{}{} {:.2f}", text.empty() ? "" : ", ", name, value);
  if (penalty_ && cost_)
    text += fmt::format(" | {} {} (target {})",
                        penalty_->cost == quantlib::BitCostKind::WeightMemory ? "weight memory" : "BOPs",
                        cost_text(penalty_->cost, cost()), cost_text(penalty_->cost, penalty_->target));
  return text;
}

}  // namespace quantlab
