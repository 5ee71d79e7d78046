#include "quantlib/algorithms/StageSwitchController.h"

#include <algorithm>
#include <set>

#include <c10/util/Exception.h>

#include "quantlib/graph/Rule.h"
#include "quantlib/nn/QuantizedLayer.h"

namespace quantlib {

std::vector<NamedQuantizer> named_quantizers(torch::nn::Module& network) {
  std::set<const nn::Quantizer*> weight_quantizers;
  const auto modules = network.named_modules("", /*include_self=*/false);
  for (const auto& item : modules)
    if (const auto* twin = dynamic_cast<const nn::QuantizedLayer*>(item.value().get()))
      if (twin->weight_quantizer()) weight_quantizers.insert(twin->weight_quantizer().get());
  std::vector<NamedQuantizer> quantizers;
  for (const auto& item : modules)
    if (auto quantizer = std::dynamic_pointer_cast<nn::Quantizer>(item.value())) {
      const bool weight = weight_quantizers.count(quantizer.get()) > 0;
      quantizers.push_back({item.key(), std::move(quantizer), weight});
    }
  return quantizers;
}

std::vector<NamedQuantizer> quantizers_matching(const std::vector<NamedQuantizer>& quantizers,
                                                const std::string& pattern) {
  const graph::Rule glob = graph::Rule::name(pattern);
  std::vector<NamedQuantizer> matching;
  for (const auto& quantizer : quantizers) {
    graph::Layer layer;
    layer.name = quantizer.name;
    const bool matches = pattern == "weights"       ? quantizer.weight
                         : pattern == "activations" ? !quantizer.weight
                                                    : glob.matches(layer);
    if (matches) matching.push_back(quantizer);
  }
  return matching;
}

StageSwitchController::StageSwitchController(std::vector<Switch> switches) : switches_(std::move(switches)) {
  for (const auto& item : switches_) {
    TORCH_CHECK(item.quantizer != nullptr, "StageSwitchController: null quantizer");
    TORCH_CHECK(item.first_epoch >= 0, "StageSwitchController: first epoch must be >= 0, got ", item.first_epoch);
  }
}

void StageSwitchController::apply(int epoch) {
  for (const auto& item : switches_) item.quantizer->set_enabled(epoch >= item.first_epoch);
}

void StageSwitchController::step_pre_training(int epoch, torch::optim::Optimizer& /*optimizer*/) { apply(epoch); }

void StageSwitchController::step_pre_validation(int epoch) { apply(epoch); }

int StageSwitchController::final_epoch() const {
  int last = 0;
  for (const auto& item : switches_) last = std::max(last, item.first_epoch);
  return last;
}

int StageSwitchController::switched_on_at(int epoch) const {
  int count = 0;
  for (const auto& item : switches_) count += item.first_epoch == epoch ? 1 : 0;
  return count;
}

}  // namespace quantlib
