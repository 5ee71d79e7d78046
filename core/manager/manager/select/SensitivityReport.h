#pragma once
// What `qlhost sensitivity` measured on a trained full-precision experiment,
// and its file: <experiment folder>/sensitivity.json, which `qlhost select`
// allocates bits from and `qlhost report` shows.
//
//   {"experiment": 3, "fold": 0, "checkpoint": "best", "samples": 512, "draws": 32,
//    "metric": "top1_error", "higher_is_better": false,
//    "baseline": {"loss": 0.25, "metric": 6.7}, "bits": [2, 3, 4, 8],
//    "layers": [{"name": "conv2", "type": "Conv2d", "parameters": 18432, "macs": 3612672,
//                "input_elements": 6272, "hessian_trace": 1.23,
//                "activation": "relu1", "activation_kind": "relu", "activation_signed": false,
//                "weights": [{"bits": 2, "loss_delta": 0.5, "metric_delta": 3.1, "sqnr_db": 9.8,
//                             "perturbation": 0.01}, ...],
//                "activations": [{"bits": 2, "loss_delta": 0.4, "metric_delta": 2.0, "sqnr_db": 11.0}, ...]}]}
//
// activation_kind: "none" (the layer takes the network's input: `activation`
// is null and `activations` empty), "relu" (the ReLU output feeding only
// this layer) or "input" (the layer's own input). A number not measured, or
// not finite (the SQNR of an exact quantization), is null.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace quantlab::select {

struct SensitivityPoint {
  int64_t bits = 0;
  std::optional<double> loss_delta;
  std::optional<double> metric_delta;
  std::optional<double> sqnr_db;
  std::optional<double> perturbation;  // weights: sum (Q(w) - w)^2
};

struct LayerSensitivity {
  std::string name;
  std::string type;
  int64_t parameters = 0;
  int64_t macs = 0;            // per sample
  int64_t input_elements = 0;  // per sample
  std::optional<double> hessian_trace;
  std::string activation_kind = "none";  // none, relu, input
  std::string activation;                // "" for none
  bool activation_signed = false;
  std::vector<SensitivityPoint> weights;
  std::vector<SensitivityPoint> activations;

  // The point at `bits`; nullptr when not measured.
  const SensitivityPoint* weight_point(int64_t bits) const;
  const SensitivityPoint* activation_point(int64_t bits) const;
};

struct SensitivityReport {
  int experiment = 0;
  int fold = 0;
  std::string checkpoint = "best";
  int64_t samples = 0;
  int64_t draws = 0;
  std::string metric;
  bool higher_is_better = false;
  double baseline_loss = 0;
  double baseline_metric = 0;
  std::vector<int64_t> bits;
  std::vector<LayerSensitivity> layers;
};

std::string to_json(const SensitivityReport& report);
// StorageError naming `source` and what was expected when the text is not such a report.
SensitivityReport parse_sensitivity(const std::string& text, const std::string& source);

std::filesystem::path sensitivity_file(const std::filesystem::path& experiment_dir);
// StorageError when the file is missing or malformed.
SensitivityReport read_sensitivity(const std::filesystem::path& file);

}  // namespace quantlab::select
