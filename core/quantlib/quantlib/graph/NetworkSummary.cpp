#include "quantlib/graph/NetworkSummary.h"

#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <torch/torch.h>

#include "quantlib/graph/Layer.h"
#include "quantlib/nn/Block.h"
#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/nn/QuantLinear.h"
#include "quantlib/nn/Quantizer.h"

namespace quantlib::graph {

namespace {

constexpr int64_t kFullPrecisionBits = 32;

// MACs per output element of a conv/linear layer, and the quantizer on its
// weight (nullptr for a plain layer or an empty slot); nullopt for other layers.
struct WeightedLayer {
  int64_t macs_per_output = 0;
  const nn::Quantizer* weight_quantizer = nullptr;
};

std::optional<WeightedLayer> weighted_layer(const torch::nn::Module& module) {
  const auto macs = macs_per_output(module);
  if (!macs) return std::nullopt;
  const nn::Quantizer* quantizer = nullptr;
  if (const auto* twin = dynamic_cast<const nn::QuantizedLayer*>(&module)) quantizer = twin->weight_quantizer().get();
  return WeightedLayer{*macs, quantizer};
}

int64_t bits_or_full(const nn::Quantizer* quantizer) { return quantizer ? quantizer->bits() : kFullPrecisionBits; }

// Storage bits per element of the network's tensors: a twin's weight at its
// quantizer's bits, training-only state at none, anything else 32.
class TensorBits {
 public:
  explicit TensorBits(const std::vector<Layer>& layers) {
    for (const auto& layer : layers) {
      const auto* twin = dynamic_cast<const nn::QuantizedLayer*>(layer.module.get());
      if (!twin || !twin->weight_quantizer()) continue;
      const auto parameters = twin->original()->named_parameters(/*recurse=*/false);
      const auto* weight = parameters.find("weight");
      if (!weight) continue;
      weight_bits_[weight->unsafeGetTensorImpl()] = twin->weight_quantizer()->bits();
      // A buffer as large as the weight is training state (INQ's frozen
      // mask), not needed by the trained model: it would otherwise outweigh
      // the quantized weight itself.
      for (const auto& buffer : twin->weight_quantizer()->buffers())
        if (buffer.numel() == weight->numel()) weight_bits_[buffer.unsafeGetTensorImpl()] = 0;
    }
  }

  // Bits the tensor takes in the model.
  int64_t bits_of(const torch::Tensor& tensor) const {
    const auto found = weight_bits_.find(tensor.unsafeGetTensorImpl());
    return tensor.numel() * (found == weight_bits_.end() ? kFullPrecisionBits : found->second);
  }

 private:
  std::unordered_map<const c10::TensorImpl*, int64_t> weight_bits_;  // of the tensors not at 32 bits
};

// Adds the tensors of `module` (recursively) not yet counted to `row`.
void count_tensors(const torch::nn::Module& module, const TensorBits& bits,
                   std::unordered_set<const c10::TensorImpl*>& counted, LayerSummary& row) {
  for (const auto& parameter : module.parameters())
    if (counted.insert(parameter.unsafeGetTensorImpl()).second) {
      row.parameters += parameter.numel();
      row.memory_bits += bits.bits_of(parameter);
    }
  for (const auto& buffer : module.buffers())
    if (counted.insert(buffer.unsafeGetTensorImpl()).second) row.memory_bits += bits.bits_of(buffer);
}

// Follows the bits of the grid each tensor lies on, from layer to layer.
class SummaryObserver : public nn::LayerObserver {
 public:
  SummaryObserver(const std::vector<Layer>& layers, std::unordered_map<const torch::nn::Module*, size_t> rows,
                  std::vector<LayerSummary>& summaries, int64_t batch)
      : rows_(std::move(rows)), summaries_(summaries), batch_(batch) {
    for (const auto& layer : layers) layers_.emplace(layer.module.get(), &layer);
  }

  void observe(const torch::nn::Module& module, const torch::Tensor& input, const torch::Tensor& output) override {
    const auto found = layers_.find(&module);
    if (found == layers_.end()) return;  // a layer of another network
    const Layer& layer = *found->second;
    std::shared_ptr<nn::Quantizer> input_quantizer, output_quantizer;
    if (layer.parent) {
      input_quantizer = layer.parent->input_quantizer(layer.name_in_parent);
      output_quantizer = layer.parent->output_quantizer(layer.name_in_parent);
    }
    const Grid input_grid = input_quantizer ? Grid{input_quantizer->bits(), input_quantizer.get()} : grid_of(input);
    if (output_quantizer)
      remember(output, {output_quantizer->bits(), output_quantizer.get()});
    else if (keeps_grid(layer.type))
      remember(output, input_grid);
    else if (!dynamic_cast<const nn::Block*>(&module))  // a Block's output is its last layer's, already known
      remember(output, {kFullPrecisionBits, nullptr});

    const auto row = rows_.find(&module);
    if (row != rows_.end()) record(summaries_[row->second], module, input_grid, output);
  }

 private:
  // The bits of the grid a tensor lies on, and the quantizer that put it there.
  struct Grid {
    int64_t bits = kFullPrecisionBits;
    const nn::Quantizer* quantizer = nullptr;
  };

  void record(LayerSummary& summary, const torch::nn::Module& module, const Grid& input,
              const torch::Tensor& output) {
    if (summary.calls++ == 0 && output.dim() > 0)
      summary.output_shape.assign(output.sizes().begin() + 1, output.sizes().end());
    summary.input_bits = input.bits;
    summary.input_quantizer = input.quantizer;
    const auto weighted = weighted_layer(module);
    if (!weighted) return;
    const int64_t macs = output.numel() / batch_ * weighted->macs_per_output;
    summary.weight_bits = bits_or_full(weighted->weight_quantizer);
    summary.weight_quantizer = weighted->weight_quantizer;
    summary.macs += macs;
    summary.bops += macs * *summary.weight_bits * input.bits;
  }

  static const c10::StorageImpl* storage_of(const torch::Tensor& tensor) {
    return tensor.defined() && tensor.has_storage() ? tensor.storage().unsafeGetStorageImpl() : nullptr;
  }

  // Keyed by storage, so views (flatten, reshape without copy) keep the bits.
  // The storage is held so that its address cannot be reused by a later tensor.
  void remember(const torch::Tensor& tensor, const Grid& grid) {
    if (const auto* storage = storage_of(tensor)) grid_[storage] = {tensor.storage(), grid};
  }

  Grid grid_of(const torch::Tensor& tensor) const {
    const auto found = grid_.find(storage_of(tensor));
    return found == grid_.end() ? Grid{} : found->second.second;
  }

  std::unordered_map<const torch::nn::Module*, const Layer*> layers_;
  std::unordered_map<const torch::nn::Module*, size_t> rows_;
  std::vector<LayerSummary>& summaries_;
  int64_t batch_;
  std::unordered_map<const c10::StorageImpl*, std::pair<c10::Storage, Grid>> grid_;
};

// Evaluation mode with quantizers switched off for one forward, undone on
// destruction: shapes do not depend on values, and an enabled quantizer may
// need state (a recorded range) the fresh network does not have yet.
class MeasuringMode {
 public:
  explicit MeasuringMode(torch::nn::Module& network) : network_(network), network_training_(network.is_training()) {
    for (const auto& module : network.modules(/*include_self=*/false)) {
      modes_.emplace_back(module, module->is_training());
      if (auto quantizer = std::dynamic_pointer_cast<nn::Quantizer>(module)) {
        quantizers_.emplace_back(quantizer, quantizer->enabled());
        quantizer->set_enabled(false);
      }
    }
    network.eval();
  }
  ~MeasuringMode() {
    // Pre-order: a module's train() recurses, and its descendants come after it.
    network_.train(network_training_);
    for (const auto& [module, training] : modes_) module->train(training);
    for (const auto& [quantizer, enabled] : quantizers_) quantizer->set_enabled(enabled);
  }
  MeasuringMode(const MeasuringMode&) = delete;
  MeasuringMode& operator=(const MeasuringMode&) = delete;

 private:
  torch::nn::Module& network_;
  bool network_training_;
  std::vector<std::pair<std::shared_ptr<torch::nn::Module>, bool>> modes_;
  std::vector<std::pair<std::shared_ptr<nn::Quantizer>, bool>> quantizers_;
};

}  // namespace

std::optional<int64_t> macs_per_output(const torch::nn::Module& layer) {
  const auto conv_macs = [](const torch::nn::detail::ConvNdOptions<2>& options) {
    const auto& kernel = *options.kernel_size();
    return options.in_channels() / options.groups() * kernel[0] * kernel[1];
  };
  if (const auto* conv = dynamic_cast<const torch::nn::Conv2dImpl*>(&layer)) return conv_macs(conv->options);
  if (const auto* linear = dynamic_cast<const torch::nn::LinearImpl*>(&layer)) return linear->options.in_features();
  if (const auto* twin = dynamic_cast<const nn::QuantConv2dImpl*>(&layer)) return conv_macs(twin->conv()->options);
  if (const auto* twin = dynamic_cast<const nn::QuantLinearImpl*>(&layer)) return twin->linear()->options.in_features();
  return std::nullopt;
}

// Max of grid values, zero (ReLU's floor, dropout's drop) and moved values
// are on the grid.
bool keeps_grid(const std::string& type) {
  static const std::unordered_set<std::string> types{
      "ReLU",      "MaxPool1d", "MaxPool2d", "MaxPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
      "AdaptiveMaxPool3d", "Dropout", "Dropout2d", "Dropout3d", "Flatten", "Unflatten", "Identity"};
  return types.count(type) != 0;
}

NetworkSummary NetworkSummary::of(torch::nn::Module& network, const torch::Tensor& sample, const Forward& forward) {
  TORCH_CHECK(sample.dim() >= 1 && sample.size(0) >= 1, "NetworkSummary: the sample must be a batch of at least one");
  const std::vector<Layer> layers = list_layers(network);
  const TensorBits bits(layers);

  NetworkSummary summary;
  summary.input_shape.assign(sample.sizes().begin() + 1, sample.sizes().end());
  std::unordered_map<const torch::nn::Module*, size_t> rows;
  std::unordered_set<const c10::TensorImpl*> counted;
  for (const auto& layer : layers) {
    if (!layer.parent || dynamic_cast<const nn::Block*>(layer.module.get())) continue;
    LayerSummary row;
    row.name = layer.name;
    row.type = layer.type;
    count_tensors(*layer.module, bits, counted, row);
    for (const auto& quantizer : {layer.parent->input_quantizer(layer.name_in_parent),
                                  layer.parent->output_quantizer(layer.name_in_parent)})
      if (quantizer) count_tensors(*quantizer, bits, counted, row);
    if (const auto weighted = weighted_layer(*layer.module)) row.weight_bits = bits_or_full(weighted->weight_quantizer);
    rows.emplace(layer.module.get(), summary.layers.size());
    summary.layers.push_back(std::move(row));
  }
  LayerSummary elsewhere;
  elsewhere.name = "(elsewhere)";
  elsewhere.type = "-";
  count_tensors(network, bits, counted, elsewhere);
  if (elsewhere.memory_bits > 0) summary.layers.push_back(elsewhere);

  {
    SummaryObserver observer(layers, std::move(rows), summary.layers, sample.size(0));
    const MeasuringMode measuring(network);
    const torch::NoGradGuard no_grad;
    const nn::ObserveLayers observing(observer);
    forward(sample);
  }

  for (const auto& row : summary.layers) {
    summary.parameters += row.parameters;
    summary.size_bits += row.memory_bits;
    summary.macs += row.macs;
    summary.bops += row.bops;
  }
  return summary;
}

}  // namespace quantlib::graph
