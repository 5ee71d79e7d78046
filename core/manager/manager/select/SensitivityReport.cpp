#include "manager/select/SensitivityReport.h"

#include <cmath>
#include <iomanip>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "quantlab/AtomicFile.h"
#include "quantlab/Errors.h"
#include "quantlab/Text.h"

namespace quantlab::select {

namespace {

std::string json_number(const std::optional<double>& value) {
  if (!value || !std::isfinite(*value)) return "null";
  std::ostringstream text;
  text << std::setprecision(9) << *value;
  return text.str();
}

void write_points(std::ostringstream& out, const std::vector<SensitivityPoint>& points, bool weights) {
  out << "[";
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& point = points[i];
    out << (i ? ", " : "") << "{\"bits\": " << point.bits << ", \"loss_delta\": " << json_number(point.loss_delta)
        << ", \"metric_delta\": " << json_number(point.metric_delta)
        << ", \"sqnr_db\": " << json_number(point.sqnr_db);
    if (weights) out << ", \"perturbation\": " << json_number(point.perturbation);
    out << "}";
  }
  out << "]";
}

const SensitivityPoint* point_at(const std::vector<SensitivityPoint>& points, int64_t bits) {
  for (const auto& point : points)
    if (point.bits == bits) return &point;
  return nullptr;
}

// Reads one report out of the YAML parser's tree of the JSON text (JSON is
// YAML's flow syntax); every failure names the key.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& expected) const {
    throw StorageError(source_ + ": " + key + ": expected " + expected);
  }

  YAML::Node need(const YAML::Node& node, const std::string& key, const std::string& where) const {
    const YAML::Node value = node[key];
    if (!value) fail(where + key, "a value (missing)");
    return value;
  }

  template <class T>
  T scalar(const YAML::Node& node, const std::string& key, const std::string& where, const std::string& what) const {
    const YAML::Node value = need(node, key, where);
    try {
      if (!value.IsScalar()) fail(where + key, what);
      return value.as<T>();
    } catch (const YAML::Exception&) {
      fail(where + key, what);
    }
  }

  std::optional<double> number_or_null(const YAML::Node& node, const std::string& key, const std::string& where) const {
    const YAML::Node value = node[key];
    if (!value || value.IsNull() || (value.IsScalar() && value.Scalar() == "null")) return std::nullopt;
    return scalar<double>(node, key, where, "a number or null");
  }

  std::vector<SensitivityPoint> points(const YAML::Node& node, const std::string& key, const std::string& where,
                                       bool weights) const {
    const YAML::Node list = need(node, key, where);
    if (!list.IsSequence()) fail(where + key, "a list of {bits, loss_delta, ...}");
    std::vector<SensitivityPoint> result;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string at = where + key + "[" + std::to_string(i) + "].";
      const YAML::Node item = list[i];
      if (!item.IsMap()) fail(where + key + "[" + std::to_string(i) + "]", "a map");
      SensitivityPoint point;
      point.bits = scalar<int64_t>(item, "bits", at, "an integer");
      point.loss_delta = number_or_null(item, "loss_delta", at);
      point.metric_delta = number_or_null(item, "metric_delta", at);
      point.sqnr_db = number_or_null(item, "sqnr_db", at);
      if (weights) point.perturbation = number_or_null(item, "perturbation", at);
      result.push_back(point);
    }
    return result;
  }

 private:
  std::string source_;
};

}  // namespace

const SensitivityPoint* LayerSensitivity::weight_point(int64_t bits) const { return point_at(weights, bits); }
const SensitivityPoint* LayerSensitivity::activation_point(int64_t bits) const { return point_at(activations, bits); }

std::string to_json(const SensitivityReport& report) {
  std::ostringstream out;
  out << "{\"experiment\": " << report.experiment << ", \"fold\": " << report.fold
      << ", \"checkpoint\": " << json_string(report.checkpoint) << ", \"samples\": " << report.samples
      << ", \"draws\": " << report.draws << ",\n \"metric\": " << json_string(report.metric)
      << ", \"higher_is_better\": " << (report.higher_is_better ? "true" : "false")
      << ",\n \"baseline\": {\"loss\": " << json_number(report.baseline_loss)
      << ", \"metric\": " << json_number(report.baseline_metric) << "},\n \"bits\": [";
  for (size_t i = 0; i < report.bits.size(); ++i) out << (i ? ", " : "") << report.bits[i];
  out << "],\n \"layers\": [";
  for (size_t i = 0; i < report.layers.size(); ++i) {
    const auto& layer = report.layers[i];
    out << (i ? ",\n  " : "\n  ") << "{\"name\": " << json_string(layer.name) << ", \"type\": " << json_string(layer.type)
        << ", \"parameters\": " << layer.parameters << ", \"macs\": " << layer.macs
        << ", \"input_elements\": " << layer.input_elements
        << ", \"hessian_trace\": " << json_number(layer.hessian_trace)
        << ",\n   \"activation\": " << (layer.activation.empty() ? "null" : json_string(layer.activation))
        << ", \"activation_kind\": " << json_string(layer.activation_kind)
        << ", \"activation_signed\": " << (layer.activation_signed ? "true" : "false") << ",\n   \"weights\": ";
    write_points(out, layer.weights, true);
    out << ",\n   \"activations\": ";
    write_points(out, layer.activations, false);
    out << "}";
  }
  out << "]}\n";
  return out.str();
}

SensitivityReport parse_sensitivity(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw StorageError(source + ": not JSON (" + error.msg + ")");
  }
  const Reader read(source);
  if (!root.IsMap()) read.fail("the file", "a JSON object");
  SensitivityReport report;
  report.experiment = read.scalar<int>(root, "experiment", "", "an experiment id");
  report.fold = read.scalar<int>(root, "fold", "", "a fold index");
  report.checkpoint = read.scalar<std::string>(root, "checkpoint", "", "best or last");
  report.samples = read.scalar<int64_t>(root, "samples", "", "a number of samples");
  report.draws = root["draws"] ? read.scalar<int64_t>(root, "draws", "", "a number of draws") : 0;
  report.metric = read.scalar<std::string>(root, "metric", "", "the metric's name");
  report.higher_is_better = read.scalar<bool>(root, "higher_is_better", "", "true or false");
  const YAML::Node baseline = read.need(root, "baseline", "");
  if (!baseline.IsMap()) read.fail("baseline", "{loss, metric}");
  report.baseline_loss = read.scalar<double>(baseline, "loss", "baseline.", "a number");
  report.baseline_metric = read.scalar<double>(baseline, "metric", "baseline.", "a number");
  const YAML::Node bits = read.need(root, "bits", "");
  if (!bits.IsSequence() || bits.size() == 0) read.fail("bits", "a list of bit-widths");
  for (size_t i = 0; i < bits.size(); ++i) {
    const std::string key = "bits[" + std::to_string(i) + "]";
    try {
      report.bits.push_back(bits[i].as<int64_t>());
    } catch (const YAML::Exception&) {
      read.fail(key, "an integer");
    }
  }
  const YAML::Node layers = read.need(root, "layers", "");
  if (!layers.IsSequence() || layers.size() == 0) read.fail("layers", "a list of layers");
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string at = "layers[" + std::to_string(i) + "].";
    const YAML::Node item = layers[i];
    if (!item.IsMap()) read.fail("layers[" + std::to_string(i) + "]", "a map");
    LayerSensitivity layer;
    layer.name = read.scalar<std::string>(item, "name", at, "the layer's name");
    layer.type = read.scalar<std::string>(item, "type", at, "the layer's type");
    layer.parameters = read.scalar<int64_t>(item, "parameters", at, "an integer");
    layer.macs = read.scalar<int64_t>(item, "macs", at, "an integer");
    layer.input_elements = read.scalar<int64_t>(item, "input_elements", at, "an integer");
    layer.hessian_trace = read.number_or_null(item, "hessian_trace", at);
    layer.activation_kind = read.scalar<std::string>(item, "activation_kind", at, "none, relu or input");
    if (layer.activation_kind != "none" && layer.activation_kind != "relu" && layer.activation_kind != "input")
      read.fail(at + "activation_kind", "none, relu or input");
    if (layer.activation_kind != "none") layer.activation = read.scalar<std::string>(item, "activation", at, "a name");
    layer.activation_signed = read.scalar<bool>(item, "activation_signed", at, "true or false");
    layer.weights = read.points(item, "weights", at, true);
    layer.activations = read.points(item, "activations", at, false);
    report.layers.push_back(std::move(layer));
  }
  return report;
}

std::filesystem::path sensitivity_file(const std::filesystem::path& experiment_dir) {
  return experiment_dir / "sensitivity.json";
}

SensitivityReport read_sensitivity(const std::filesystem::path& file) {
  const auto text = read_whole_file(file);
  if (!text) throw StorageError(file.string() + ": cannot be read");
  return parse_sensitivity(*text, file.string());
}

}  // namespace quantlab::select
