#pragma once
// An experiment's per-layer sensitivity to quantization, as `qlhost
// sensitivity` writes it to <experiment folder>/sensitivity.json and `qlhost
// report` shows it: for each quantizable layer, the change of loss and metric
// when its weights alone, or the activation feeding it alone, are quantized at
// each bit-width, their SQNR, and the trace of the layer's Hessian block.
//
//   {"experiment": 3, "fold": 0, "checkpoint": "best", "samples": 512,
//    "metric": "top1_error", "higher_is_better": false,
//    "baseline": {"loss": 0.25, "metric": 6.7},
//    "bits": [2, 3, 4, 8],
//    "layers": [{"name": "conv2", "type": "Conv2d", "parameters": 18432, "macs": 3612672,
//                "input_elements": 6272, "hessian_trace": 1.23, "activation": "relu1",
//                "activation_kind": "relu", "activation_signed": false,
//                "weights": [{"bits": 2, "loss_delta": 0.5, "metric_delta": 3.1, "sqnr_db": 9.8,
//                             "perturbation": 0.01}, ...],
//                "activations": [{"bits": 2, "loss_delta": 0.4, "metric_delta": 2.0, "sqnr_db": 11.0}, ...]}]}
//
// `activation` is null and `activations` empty when the layer's input is not
// a quantizable activation; every measured number may be null (not measured).
// activation_kind says where `qlhost select` puts the activation's
// quantizer: "none" (the layer takes the network's input), "relu" (the
// output of that ReLU, which feeds only this layer) or "input" (the layer's
// own input quantizer, signed when activation_signed); "draws" counts
// Hutchinson's random vectors.
// Pure: no tensors, so that the host, the report and the selection share it.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace quantlab::compare {

// The file's name inside an experiment's folder (Logbook::experiment_dir).
inline constexpr const char* kSensitivityFileName = "sensitivity.json";

// One layer's weights (or its input activation) quantized alone at `bits`.
struct SensitivityPoint {
  int bits = 0;
  std::optional<double> loss_delta;    // loss quantized - baseline loss
  std::optional<double> metric_delta;  // metric quantized - baseline metric
  std::optional<double> sqnr_db;       // of the quantized tensor against the float one
  std::optional<double> perturbation;  // weights only: ||Q(w) - w||^2 (HAWQ-V3's)
};

struct LayerSensitivity {
  std::string name;  // dotted, as in named_modules
  std::string type;  // "Conv2d", "Linear"
  std::optional<std::int64_t> parameters;
  std::optional<std::int64_t> macs;  // per sample
  std::optional<std::int64_t> input_elements;  // per sample
  std::optional<double> hessian_trace;
  std::optional<std::string> activation;  // the layer whose output feeds it; unset when none is quantizable
  std::string activation_kind;            // none, relu or input; "" when the file does not say
  bool activation_signed = false;
  std::vector<SensitivityPoint> weights;
  std::vector<SensitivityPoint> activations;  // empty without `activation`

  // The point measured at `bits`; nullptr when there is none.
  const SensitivityPoint* weight_point(int bits) const;
  const SensitivityPoint* activation_point(int bits) const;
};

struct Sensitivity {
  int experiment = 0;
  int fold = 0;
  std::string checkpoint;  // "best" or "last"
  std::optional<std::int64_t> samples;
  std::optional<std::int64_t> draws;
  std::string metric;
  bool higher_is_better = false;
  std::optional<double> baseline_loss;
  std::optional<double> baseline_metric;
  std::vector<int> bits;  // the bit-widths measured, ascending
  std::vector<LayerSensitivity> layers;
};

// The JSON text above. DataError naming `source`, the key and what was
// expected (one line) when it is not JSON, or a key is missing or of the wrong
// type; unknown keys are ignored (a newer writer may add some).
Sensitivity parse_sensitivity(const std::string& text, const std::string& source);
// The same for a file; a file that cannot be read is a DataError naming it.
Sensitivity read_sensitivity_file(const std::filesystem::path& file);

// The JSON text parse_sensitivity reads: unset and non-finite numbers as null,
// `activation` null when unset; ends in a newline.
std::string sensitivity_json(const Sensitivity& sensitivity);

}  // namespace quantlab::compare
