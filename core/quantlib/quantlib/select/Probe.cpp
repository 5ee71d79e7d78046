#include "quantlib/select/Probe.h"

#include <cmath>
#include <limits>
#include <memory>
#include <unordered_map>

#include <torch/torch.h>

#include "quantlib/graph/Layer.h"
#include "quantlib/graph/NetworkSummary.h"
#include "quantlib/ops/Pact.h"
#include "quantlib/ops/SymmetricUniform.h"
#include "quantlib/ops/WeightRange.h"

namespace quantlib::select {

namespace {

// At most `limit` values of x, flattened and evenly strided.
torch::Tensor strided_subset(const torch::Tensor& x, int64_t limit) {
  torch::Tensor values = x.detach().flatten();
  if (values.numel() > limit) values = values.slice(0, 0, values.numel(), (values.numel() + limit - 1) / limit);
  return values;
}

const c10::StorageImpl* storage_key(const torch::Tensor& tensor) {
  return tensor.defined() && tensor.has_storage() ? tensor.storage().unsafeGetStorageImpl() : nullptr;
}

// Who made each tensor: the network's input, or a layer and its input.
class FeedTracer : public nn::LayerObserver {
 public:
  FeedTracer(const std::vector<graph::Layer>& layers, const torch::Tensor& input) {
    for (size_t i = 0; i < layers.size(); ++i) index_.emplace(layers[i].module.get(), i);
    layers_ = &layers;
    keep(input);
    producers_[storage_key(input)] = Producer{};
  }

  void observe(const torch::nn::Module& module, const torch::Tensor& input, const torch::Tensor& output) override {
    const auto found = index_.find(&module);
    if (found == index_.end() || dynamic_cast<const nn::Block*>(&module)) return;
    const graph::Layer& layer = (*layers_)[found->second];
    keep(input);
    keep(output);
    if (layer.is("Conv2d") || layer.is("Linear")) {
      Call call;
      call.layer = found->second;
      call.input = storage_key(input);
      call.input_elements = input.numel() / input.size(0);
      call.output_elements = output.numel() / output.size(0);
      call.input_signed = input.numel() > 0 && input.min().item<double>() < 0;
      calls_.push_back(call);
    }
    // A layer handing its input back unchanged makes nothing new.
    if (storage_key(output) != storage_key(input))
      producers_[storage_key(output)] = Producer{static_cast<int64_t>(found->second), storage_key(input)};
  }

  struct Producer {
    int64_t layer = -1;  // -1: the network's input
    const c10::StorageImpl* input = nullptr;
  };
  struct Call {
    size_t layer = 0;
    const c10::StorageImpl* input = nullptr;
    int64_t input_elements = 0;
    int64_t output_elements = 0;
    bool input_signed = false;
  };

  // Where the tensor stored in `storage` comes from, past value-passing
  // layers: the network's input (-1), a ReLU (its index), or something else
  // (nullopt).
  std::optional<int64_t> source(const c10::StorageImpl* storage) const {
    for (;;) {
      const auto found = producers_.find(storage);
      if (found == producers_.end()) return std::nullopt;  // made outside any layer call
      const Producer& producer = found->second;
      if (producer.layer < 0) return -1;
      const graph::Layer& layer = (*layers_)[static_cast<size_t>(producer.layer)];
      if (layer.is("ReLU")) return producer.layer;
      if (!graph::keeps_grid(layer.type)) return std::nullopt;
      storage = producer.input;
    }
  }

  const std::vector<Call>& calls() const { return calls_; }

 private:
  // Held, so that no later tensor reuses a traced storage's address.
  void keep(const torch::Tensor& tensor) {
    if (tensor.defined() && tensor.has_storage()) kept_.push_back(tensor.storage());
  }

  const std::vector<graph::Layer>* layers_ = nullptr;
  std::unordered_map<const torch::nn::Module*, size_t> index_;
  std::unordered_map<const c10::StorageImpl*, Producer> producers_;
  std::vector<Call> calls_;
  std::vector<c10::Storage> kept_;
};

}  // namespace

std::string QuantizableLayer::activation_name() const {
  switch (feed) {
    case Feed::NetworkInput: return "";
    case Feed::Relu: return relu;
    case Feed::Other: break;
  }
  return name + " input";
}

std::vector<QuantizableLayer> quantizable_layers(torch::nn::Module& network, const torch::Tensor& sample,
                                                 const Forward& forward) {
  TORCH_CHECK(sample.dim() >= 1 && sample.size(0) >= 1, "quantizable_layers: the sample must be a batch");
  const std::vector<graph::Layer> layers = graph::list_layers(network);
  FeedTracer tracer(layers, sample);
  const bool training = network.is_training();
  network.eval();
  {
    const nn::ObserveLayers observing(tracer);
    const torch::NoGradGuard no_grad;
    forward(sample);
  }
  network.train(training);

  std::vector<QuantizableLayer> result;
  std::unordered_map<size_t, size_t> row_of_layer;
  std::unordered_map<int64_t, int> relu_consumers;
  std::vector<std::optional<int64_t>> sources;
  for (const auto& call : tracer.calls()) {
    const graph::Layer& layer = layers[call.layer];
    TORCH_CHECK(layer.parent != nullptr, "quantizable_layers: layer '", layer.name,
                "' is not called by a Block, so no recipe can quantize it");
    const auto seen = row_of_layer.find(call.layer);
    if (seen != row_of_layer.end()) {  // called again: MACs add up, the first call's feed stands
      result[seen->second].macs += call.output_elements * graph::macs_per_output(*layer.module).value_or(0);
      continue;
    }
    QuantizableLayer row;
    row.name = layer.name;
    row.type = layer.is("Conv2d") ? "Conv2d" : "Linear";
    row.module = layer.module;
    row.weight = layer.module->named_parameters(/*recurse=*/false)["weight"];
    row.parent = layer.parent;
    row.name_in_parent = layer.name_in_parent;
    row.parameters = row.weight.numel();
    row.macs = call.output_elements * graph::macs_per_output(*layer.module).value_or(0);
    row.input_elements = call.input_elements;
    row.input_signed = call.input_signed;
    const auto source = tracer.source(call.input);
    if (source && *source >= 0) ++relu_consumers[*source];
    sources.push_back(source);
    row_of_layer.emplace(call.layer, result.size());
    result.push_back(std::move(row));
  }
  TORCH_CHECK(!result.empty(), "quantizable_layers: the network calls no Conv2d or Linear layer");
  for (size_t i = 0; i < result.size(); ++i) {
    const auto& source = sources[i];
    if (source && *source < 0) {
      result[i].feed = QuantizableLayer::Feed::NetworkInput;
    } else if (source && relu_consumers[*source] == 1) {
      result[i].feed = QuantizableLayer::Feed::Relu;
      result[i].relu = layers[static_cast<size_t>(*source)].name;
    } else {
      result[i].feed = QuantizableLayer::Feed::Other;
    }
  }
  return result;
}

torch::Tensor quantize_weight(const torch::Tensor& weight, int64_t bits) {
  const torch::NoGradGuard no_grad;
  const torch::Tensor w = weight.detach().to(torch::kFloat32).contiguous();
  ops::RangeInit init;
  init.method = ops::RangeMethod::Mse;
  const torch::Tensor scales = ops::symmetric_weight_scales(w, bits, init, /*per_channel=*/true);
  return ops::symmetric_uniform(w, scales, bits);
}

torch::Tensor quantize_activation(const torch::Tensor& x, int64_t bits, const ActivationRange& range) {
  // PACT's forward with the bound fixed: the same grid and rounding.
  const torch::NoGradGuard no_grad;
  return ops::pact(x.to(torch::kFloat32), torch::tensor({static_cast<float>(range.clip)}), bits,
                   range.is_signed ? ops::Signedness::Signed : ops::Signedness::Unsigned, ops::Rounding::Nearest);
}

torch::Tensor clip_errors(const torch::Tensor& x, int64_t bits, bool is_signed, double top) {
  const torch::NoGradGuard no_grad;
  const torch::Tensor values = x.detach().to(torch::kFloat32).flatten();
  auto errors = torch::zeros({kClipCandidates}, torch::kFloat64);
  if (!(top > 0)) return errors;
  auto accessor = errors.accessor<double, 1>();
  for (int64_t i = 1; i <= kClipCandidates; ++i) {
    const ActivationRange candidate{top * static_cast<double>(i) / kClipCandidates, is_signed};
    accessor[i - 1] =
        (quantize_activation(values, bits, candidate) - values).to(torch::kFloat64).square().sum().item<double>();
  }
  return errors;
}

ActivationRange best_clip(const torch::Tensor& errors, double top, bool is_signed) {
  if (!(top > 0)) return ActivationRange{1.0, is_signed};
  const auto accessor = errors.accessor<double, 1>();
  int64_t best = kClipCandidates;
  for (int64_t i = kClipCandidates; i >= 1; --i)
    if (accessor[i - 1] < accessor[best - 1]) best = i;
  return ActivationRange{top * static_cast<double>(best) / kClipCandidates, is_signed};
}

double sqnr_db(const torch::Tensor& x, const torch::Tensor& q) {
  const torch::NoGradGuard no_grad;
  const double signal = x.to(torch::kFloat64).square().sum().item<double>();
  const double noise = (x.to(torch::kFloat64) - q.to(torch::kFloat64)).square().sum().item<double>();
  if (noise == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

FixedActivationQuantizer::FixedActivationQuantizer(int64_t bits, ActivationRange range)
    : nn::Quantizer("FixedActivationQuantizer", /*enabled=*/true), bits_(bits), range_(range) {}

torch::Tensor FixedActivationQuantizer::quantize(const torch::Tensor& x) { return quantize_activation(x, bits_, range_); }

InputRecorder::InputRecorder(std::vector<const torch::nn::Module*> layers)
    : layers_(std::move(layers)), inputs_(layers_.size()) {}

void InputRecorder::observe(const torch::nn::Module& layer, const torch::Tensor& input, const torch::Tensor&) {
  for (size_t i = 0; i < layers_.size(); ++i)
    if (layers_[i] == &layer) inputs_[i].push_back(strided_subset(input, int64_t{1} << 18).clone());
}

torch::Tensor InputRecorder::values(size_t i) const {
  return inputs_.at(i).empty() ? torch::empty({0}) : torch::cat(inputs_.at(i));
}

}  // namespace quantlib::select
