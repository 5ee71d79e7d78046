#include "manager/select/Sensitivity.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include <torch/torch.h>

#include "quantlib/select/Hutchinson.h"
#include "quantlib/select/Probe.h"

namespace quantlab {

namespace {

using quantlib::select::QuantizableLayer;

struct LossAndMetric {
  double loss = 0;
  double metric = 0;
};

// Runs the calibration samples chunk by chunk.
class Calibration {
 public:
  Calibration(Network& network, const Topology& topology, Meter& meter, const Loss& loss, const Batch& batch,
              int64_t total_samples, int64_t chunk, Communicator& communicator)
      : network_(network), topology_(topology), meter_(meter), loss_(loss), batch_(batch),
        total_(total_samples), chunk_(std::max<int64_t>(chunk, 1)), communicator_(communicator) {}

  int64_t chunks() const { return (batch_.input.size(0) + chunk_ - 1) / chunk_; }
  torch::Tensor input(int64_t c) const { return slice(batch_.input, c); }
  torch::Tensor target(int64_t c) const { return slice(batch_.target, c); }

  // Mean loss and main metric over every rank's samples.
  LossAndMetric evaluate() {
    const torch::NoGradGuard no_grad;
    meter_.reset();
    double loss_sum = 0;
    for (int64_t c = 0; c < chunks(); ++c) {
      const torch::Tensor x = input(c), y = target(c);
      const torch::Tensor output = network_.forward(x);
      loss_sum += loss_(output, y).item<double>() * static_cast<double>(x.size(0));
      meter_.add(topology_.postprocess(output), y);
    }
    torch::Tensor sums = torch::cat({torch::tensor({loss_sum}, torch::kFloat64),
                                     meter_.statistics().to(torch::kFloat64).flatten()})
                             .contiguous();
    communicator_.allreduce_sum(sums);
    const auto metrics = meter_.metrics(sums.slice(0, 1));
    return LossAndMetric{sums[0].item<double>() / static_cast<double>(total_), metrics.at(meter_.main_metric())};
  }

  // The summed loss of chunk c, its graph built (for Hessian products).
  torch::Tensor loss_sum(int64_t c) {
    const torch::Tensor x = input(c);
    return loss_(network_.forward(x), target(c)) * static_cast<double>(x.size(0));
  }

  // Every layer's inputs over all chunks.
  quantlib::select::InputRecorder record_inputs(const std::vector<QuantizableLayer>& layers) {
    std::vector<const torch::nn::Module*> modules;
    for (const auto& layer : layers) modules.push_back(layer.module.get());
    quantlib::select::InputRecorder recorder(modules);
    const quantlib::nn::ObserveLayers observing(recorder);
    const torch::NoGradGuard no_grad;
    for (int64_t c = 0; c < chunks(); ++c) network_.forward(input(c));
    return recorder;
  }

  double sum(double value) {
    torch::Tensor t = torch::tensor({value}, torch::kFloat64);
    communicator_.allreduce_sum(t);
    return t.item<double>();
  }

  double max(double value) {
    torch::Tensor slots = torch::zeros({communicator_.size()}, torch::kFloat64);
    slots[communicator_.rank()] = value;
    communicator_.allreduce_sum(slots);
    return slots.max().item<double>();
  }

  torch::Tensor sum(torch::Tensor tensor) {
    tensor = tensor.to(torch::kFloat64).contiguous().clone();
    communicator_.allreduce_sum(tensor);
    return tensor;
  }

 private:
  torch::Tensor slice(const torch::Tensor& tensor, int64_t c) const {
    return tensor.slice(0, c * chunk_, std::min((c + 1) * chunk_, tensor.size(0)));
  }

  Network& network_;
  const Topology& topology_;
  Meter& meter_;
  const Loss& loss_;
  const Batch& batch_;
  int64_t total_;
  int64_t chunk_;
  Communicator& communicator_;
};

compare::SensitivityPoint weight_point(Calibration& calibration, const QuantizableLayer& layer, int64_t bits,
                                      const LossAndMetric& baseline) {
  compare::SensitivityPoint point;
  point.bits = static_cast<int>(bits);
  const torch::NoGradGuard no_grad;
  const torch::Tensor original = layer.weight.detach().clone();
  const torch::Tensor quantized = quantlib::select::quantize_weight(original, bits);
  point.sqnr_db = quantlib::select::sqnr_db(original, quantized);
  point.perturbation = (quantized.to(torch::kFloat64) - original.to(torch::kFloat64)).square().sum().item<double>();
  layer.weight.detach().copy_(quantized);
  const LossAndMetric evaluation = calibration.evaluate();
  layer.weight.detach().copy_(original);
  point.loss_delta = evaluation.loss - baseline.loss;
  point.metric_delta = evaluation.metric - baseline.metric;
  return point;
}

compare::SensitivityPoint activation_point(Calibration& calibration, const QuantizableLayer& layer,
                                          const torch::Tensor& values, bool is_signed, double top, int64_t bits,
                                          const LossAndMetric& baseline) {
  compare::SensitivityPoint point;
  point.bits = static_cast<int>(bits);
  const torch::Tensor errors = calibration.sum(quantlib::select::clip_errors(values, bits, is_signed, top));
  const auto range = quantlib::select::best_clip(errors, top, is_signed);
  {
    const torch::NoGradGuard no_grad;
    const torch::Tensor quantized = quantlib::select::quantize_activation(values, bits, range);
    const double signal = calibration.sum(values.to(torch::kFloat64).square().sum().item<double>());
    const double noise =
        calibration.sum((quantized.to(torch::kFloat64) - values.to(torch::kFloat64)).square().sum().item<double>());
    if (noise > 0) point.sqnr_db = 10.0 * std::log10(signal / noise);
  }
  layer.parent->set_input_quantizer(layer.name_in_parent,
                                    std::make_shared<quantlib::select::FixedActivationQuantizer>(bits, range));
  const LossAndMetric evaluation = calibration.evaluate();
  layer.parent->set_input_quantizer(layer.name_in_parent, nullptr);
  point.loss_delta = evaluation.loss - baseline.loss;
  point.metric_delta = evaluation.metric - baseline.metric;
  return point;
}

std::string activation_kind(const QuantizableLayer& layer) {
  switch (layer.feed) {
    case QuantizableLayer::Feed::NetworkInput: return "none";
    case QuantizableLayer::Feed::Relu: return "relu";
    case QuantizableLayer::Feed::Other: break;
  }
  return "input";
}

}  // namespace

compare::Sensitivity measure_sensitivity(Network& network, const Topology& topology, Meter& meter,
                                              const Loss& loss, const Batch& batch, int64_t total_samples,
                                              const SensitivityOptions& options, Communicator& communicator) {
  TORCH_CHECK(batch.input.defined() && batch.input.size(0) >= 1, "measure_sensitivity: no calibration sample");
  const bool training = network.is_training();
  network.eval();
  Calibration calibration(network, topology, meter, loss, batch, total_samples, options.chunk, communicator);
  auto layers = quantlib::select::quantizable_layers(network, batch.input.slice(0, 0, 1),
                                                     [&network](const torch::Tensor& x) { return network.forward(x); });

  compare::Sensitivity report;
  report.samples = total_samples;
  report.draws = options.draws;
  report.metric = meter.main_metric();
  report.higher_is_better = meter.higher_is_better();
  report.bits.assign(options.bits.begin(), options.bits.end());
  const LossAndMetric baseline = calibration.evaluate();
  report.baseline_loss = baseline.loss;
  report.baseline_metric = baseline.metric;

  std::vector<torch::Tensor> weights;
  for (const auto& layer : layers) weights.push_back(layer.weight);
  std::vector<double> traces = quantlib::select::hutchinson_trace_sums(
      weights, calibration.chunks(), [&calibration](int64_t c) { return calibration.loss_sum(c); }, options.draws,
      options.seed);
  const torch::Tensor trace_sums = calibration.sum(torch::tensor(traces, torch::kFloat64));

  const auto recorder = calibration.record_inputs(layers);
  for (size_t i = 0; i < layers.size(); ++i) {
    QuantizableLayer& layer = layers[i];
    compare::LayerSensitivity row;
    row.name = layer.name;
    row.type = layer.type;
    row.parameters = layer.parameters;
    row.macs = layer.macs;
    row.input_elements = layer.input_elements;
    row.hessian_trace = trace_sums[static_cast<int64_t>(i)].item<double>() /
                        (static_cast<double>(options.draws) * static_cast<double>(total_samples));
    row.activation_kind = activation_kind(layer);
    if (layer.has_activation()) row.activation = layer.activation_name();
    for (const int64_t bits : options.bits) row.weights.push_back(weight_point(calibration, layer, bits, baseline));
    if (layer.has_activation()) {
      const torch::Tensor values = recorder.values(i).to(torch::kFloat32);
      const bool negative = values.numel() > 0 && values.min().item<double>() < 0;
      const bool is_signed = layer.feed != QuantizableLayer::Feed::Relu && calibration.max(negative ? 1.0 : 0.0) > 0;
      row.activation_signed = is_signed;
      const double top = calibration.max(values.numel() > 0 ? values.abs().max().item<double>() : 0.0);
      for (const int64_t bits : options.bits)
        if (bits >= 2 || !is_signed)
          row.activations.push_back(activation_point(calibration, layer, values, is_signed, top, bits, baseline));
    }
    report.layers.push_back(std::move(row));
  }
  network.train(training);
  return report;
}

}  // namespace quantlab
