#include "quantlib/algorithms/lsq/LearnedBitsCost.h"

#include <map>

#include <torch/torch.h>

#include "quantlib/nn/QuantizedLayer.h"

namespace quantlib {

namespace {

std::map<const nn::Quantizer*, std::shared_ptr<nn::LearnedBitsQuantizer>> learned_quantizers(
    torch::nn::Module& network) {
  std::map<const nn::Quantizer*, std::shared_ptr<nn::LearnedBitsQuantizer>> found;
  for (const auto& module : network.modules(/*include_self=*/false))
    if (auto learned = std::dynamic_pointer_cast<nn::LearnedBitsQuantizer>(module)) found[learned.get()] = learned;
  return found;
}

}  // namespace

LearnedBitsCost::LearnedBitsCost(torch::nn::Module& network, const graph::NetworkSummary& summary, BitCostKind kind)
    : kind_(kind) {
  const auto learned = learned_quantizers(network);
  const auto learned_one = [&](const nn::Quantizer* quantizer) -> std::shared_ptr<nn::LearnedBitsQuantizer> {
    const auto found = learned.find(quantizer);
    return found == learned.end() ? nullptr : found->second;
  };
  if (kind == BitCostKind::WeightMemory) {
    double fixed_bits = static_cast<double>(summary.size_bits);
    for (const auto& module : network.modules(/*include_self=*/false)) {
      const auto* twin = dynamic_cast<const nn::QuantizedLayer*>(module.get());
      if (!twin) continue;
      const auto quantizer = learned_one(twin->weight_quantizer().get());
      const auto* weight = quantizer ? twin->original()->named_parameters(/*recurse=*/false).find("weight") : nullptr;
      if (!weight) continue;
      const auto elements = static_cast<double>(weight->numel());
      fixed_bits -= elements * static_cast<double>(quantizer->bits());
      terms_.push_back({elements / 8, {quantizer}});
    }
    fixed_ = fixed_bits / 8;
    return;
  }
  for (const auto& layer : summary.layers) {
    if (layer.macs == 0 || !layer.weight_bits || !layer.input_bits) continue;
    Term term{static_cast<double>(layer.macs), {}};
    for (const auto& [quantizer, bits] : {std::pair{layer.weight_quantizer, *layer.weight_bits},
                                          std::pair{layer.input_quantizer, *layer.input_bits}}) {
      if (auto one = learned_one(quantizer))
        term.learned.push_back(std::move(one));
      else
        term.constant *= static_cast<double>(bits);
    }
    if (term.learned.empty())
      fixed_ += term.constant;
    else
      terms_.push_back(std::move(term));
  }
}

torch::Tensor LearnedBitsCost::value() const {
  // Built from the bits, so that it lives on their device.
  torch::Tensor total;
  for (const auto& term : terms_) {
    torch::Tensor product = term.learned.front()->fractional_bits().to(torch::kDouble).sum() * term.constant;
    for (size_t i = 1; i < term.learned.size(); ++i)
      product = product * term.learned[i]->fractional_bits().to(torch::kDouble).sum();
    total = total.defined() ? total + product : product;
  }
  return total.defined() ? total + fixed_ : torch::full({}, fixed_, torch::kDouble);
}

}  // namespace quantlib
