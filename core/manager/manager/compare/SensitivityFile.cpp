#include "manager/compare/SensitivityFile.h"

#include <cmath>

#include <yaml-cpp/yaml.h>

#include "manager/config/Yaml.h"
#include "quantlab/AtomicFile.h"
#include "quantlab/Errors.h"
#include "quantlab/Text.h"

namespace quantlab::compare {

namespace {

// JSON is read through yaml-cpp (a JSON document is a YAML flow document);
// each value is checked here, so that a damaged file is one line that names
// where it went wrong.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& where, const std::string& expected) const {
    throw DataError(source_ + ": " + where + ": expected " + expected);
  }

  const YAML::Node& object(const YAML::Node& node, const std::string& where) const {
    if (!node.IsMap()) fail(where, "an object");
    return node;
  }

  YAML::Node required(const YAML::Node& parent, const std::string& key, const std::string& where) const {
    const YAML::Node value = parent[key];
    if (!value) fail(where + key, "a value (the key is missing)");
    return value;
  }

  template <typename T> T scalar(const YAML::Node& node, const std::string& where, const std::string& expected) const {
    if (!node.IsScalar()) fail(where, expected);
    try {
      return node.as<T>();
    } catch (const YAML::Exception&) {
      fail(where, expected);
    }
  }

  std::string text(const YAML::Node& parent, const std::string& key, const std::string& where) const {
    return scalar<std::string>(required(parent, key, where), where + key, "a string");
  }

  int integer(const YAML::Node& parent, const std::string& key, const std::string& where) const {
    return scalar<int>(required(parent, key, where), where + key, "an integer");
  }

  bool boolean(const YAML::Node& parent, const std::string& key, const std::string& where) const {
    return scalar<bool>(required(parent, key, where), where + key, "true or false");
  }

  // A number that may be missing or null: not measured.
  template <typename T>
  std::optional<T> measured(const YAML::Node& parent, const std::string& key, const std::string& where) const {
    const YAML::Node value = parent[key];
    if (!value || value.IsNull()) return std::nullopt;
    return scalar<T>(value, where + key, std::is_integral_v<T> ? "an integer or null" : "a number or null");
  }

  const YAML::Node& list(const YAML::Node& node, const std::string& where) const {
    if (!node.IsSequence()) fail(where, "a list");
    return node;
  }

  std::vector<SensitivityPoint> points(const YAML::Node& layer, const std::string& key,
                                       const std::string& where) const {
    std::vector<SensitivityPoint> out;
    const YAML::Node items = layer[key];
    if (!items || items.IsNull()) return out;
    list(items, where + key);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string at = where + key + "[" + std::to_string(i) + "].";
      const YAML::Node item = object(items[i], where + key + "[" + std::to_string(i) + "]");
      SensitivityPoint point;
      point.bits = integer(item, "bits", at);
      point.loss_delta = measured<double>(item, "loss_delta", at);
      point.metric_delta = measured<double>(item, "metric_delta", at);
      point.sqnr_db = measured<double>(item, "sqnr_db", at);
      point.perturbation = measured<double>(item, "perturbation", at);
      out.push_back(point);
    }
    return out;
  }

 private:
  std::string source_;
};

std::string json_number(const std::optional<double>& value) {
  return value && std::isfinite(*value) ? shortest(*value) : "null";
}

std::string json_integer(const std::optional<std::int64_t>& value) {
  return value ? std::to_string(*value) : "null";
}

std::string points_json(const std::vector<SensitivityPoint>& points, bool perturbation) {
  std::string out = "[";
  for (std::size_t i = 0; i < points.size(); ++i) {
    const SensitivityPoint& p = points[i];
    out += std::string(i ? ", " : "") + "{\"bits\": " + std::to_string(p.bits) +
           ", \"loss_delta\": " + json_number(p.loss_delta) + ", \"metric_delta\": " + json_number(p.metric_delta) +
           ", \"sqnr_db\": " + json_number(p.sqnr_db) +
           (perturbation ? ", \"perturbation\": " + json_number(p.perturbation) : std::string()) + "}";
  }
  return out + "]";
}

const SensitivityPoint* point_at(const std::vector<SensitivityPoint>& points, int bits) {
  for (const auto& point : points)
    if (point.bits == bits) return &point;
  return nullptr;
}

}  // namespace

const SensitivityPoint* LayerSensitivity::weight_point(int bits) const { return point_at(weights, bits); }
const SensitivityPoint* LayerSensitivity::activation_point(int bits) const { return point_at(activations, bits); }

Sensitivity parse_sensitivity(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = parse_yaml(text, source);
  } catch (const ConfigError& error) {
    throw DataError(std::string(error.what()) + " (expected the JSON that qlhost sensitivity writes)");
  }
  const Reader read(source);
  read.object(root, "the top level");
  Sensitivity sensitivity;
  sensitivity.experiment = read.integer(root, "experiment", "");
  sensitivity.fold = read.integer(root, "fold", "");
  sensitivity.checkpoint = read.text(root, "checkpoint", "");
  sensitivity.samples = read.measured<std::int64_t>(root, "samples", "");
  sensitivity.draws = read.measured<std::int64_t>(root, "draws", "");
  sensitivity.metric = read.text(root, "metric", "");
  sensitivity.higher_is_better = read.boolean(root, "higher_is_better", "");
  if (const YAML::Node baseline = root["baseline"]; baseline && !baseline.IsNull()) {
    read.object(baseline, "baseline");
    sensitivity.baseline_loss = read.measured<double>(baseline, "loss", "baseline.");
    sensitivity.baseline_metric = read.measured<double>(baseline, "metric", "baseline.");
  }
  const YAML::Node bits = read.list(read.required(root, "bits", ""), "bits");
  for (std::size_t i = 0; i < bits.size(); ++i)
    sensitivity.bits.push_back(read.scalar<int>(bits[i], "bits[" + std::to_string(i) + "]", "an integer"));
  const YAML::Node layers = read.list(read.required(root, "layers", ""), "layers");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string where = "layers[" + std::to_string(i) + "]";
    const YAML::Node node = read.object(layers[i], where);
    LayerSensitivity layer;
    layer.name = read.text(node, "name", where + ".");
    layer.type = node["type"] && !node["type"].IsNull() ? read.text(node, "type", where + ".") : "";
    layer.parameters = read.measured<std::int64_t>(node, "parameters", where + ".");
    layer.macs = read.measured<std::int64_t>(node, "macs", where + ".");
    layer.input_elements = read.measured<std::int64_t>(node, "input_elements", where + ".");
    layer.hessian_trace = read.measured<double>(node, "hessian_trace", where + ".");
    if (node["activation"] && !node["activation"].IsNull())
      layer.activation = read.text(node, "activation", where + ".");
    if (node["activation_kind"] && !node["activation_kind"].IsNull()) {
      layer.activation_kind = read.text(node, "activation_kind", where + ".");
      if (layer.activation_kind != "none" && layer.activation_kind != "relu" && layer.activation_kind != "input")
        read.fail(where + ".activation_kind", "none, relu or input");
      if ((layer.activation_kind == "none") != !layer.activation)
        read.fail(where + ".activation", layer.activation_kind == "none" ? "null with activation_kind none"
                                                                          : "the activation's name");
    }
    if (node["activation_signed"] && !node["activation_signed"].IsNull())
      layer.activation_signed = read.boolean(node, "activation_signed", where + ".");
    layer.weights = read.points(node, "weights", where + ".");
    layer.activations = read.points(node, "activations", where + ".");
    sensitivity.layers.push_back(std::move(layer));
  }
  return sensitivity;
}

Sensitivity read_sensitivity_file(const std::filesystem::path& file) {
  const std::optional<std::string> text = read_whole_file(file);
  if (!text)
    throw DataError(file.string() + ": cannot read the file (expected the JSON that qlhost sensitivity writes)");
  return parse_sensitivity(*text, file.string());
}

std::string sensitivity_json(const Sensitivity& s) {
  std::string out = "{\"experiment\": " + std::to_string(s.experiment) + ", \"fold\": " + std::to_string(s.fold) +
                    ", \"checkpoint\": " + json_string(s.checkpoint) + ", \"samples\": " + json_integer(s.samples) +
                    ", \"draws\": " + json_integer(s.draws) +
                    ", \"metric\": " + json_string(s.metric) +
                    ", \"higher_is_better\": " + (s.higher_is_better ? "true" : "false") +
                    ",\n \"baseline\": {\"loss\": " + json_number(s.baseline_loss) +
                    ", \"metric\": " + json_number(s.baseline_metric) + "},\n \"bits\": [";
  for (std::size_t i = 0; i < s.bits.size(); ++i) out += (i ? ", " : "") + std::to_string(s.bits[i]);
  out += "],\n \"layers\": [";
  for (std::size_t i = 0; i < s.layers.size(); ++i) {
    const LayerSensitivity& layer = s.layers[i];
    out += std::string(i ? ",\n  " : "\n  ") + "{\"name\": " + json_string(layer.name) +
           ", \"type\": " + json_string(layer.type) + ", \"parameters\": " + json_integer(layer.parameters) +
           ", \"macs\": " + json_integer(layer.macs) + ", \"input_elements\": " + json_integer(layer.input_elements) +
           ", \"hessian_trace\": " + json_number(layer.hessian_trace) +
           ",\n   \"activation\": " + (layer.activation ? json_string(*layer.activation) : "null") +
           (layer.activation_kind.empty() ? std::string()
                                          : ", \"activation_kind\": " + json_string(layer.activation_kind)) +
           ", \"activation_signed\": " + (layer.activation_signed ? "true" : "false") +
           ",\n   \"weights\": " + points_json(layer.weights, true) +
           ",\n   \"activations\": " + points_json(layer.activations, false) + "}";
  }
  return out + (s.layers.empty() ? "]}\n" : "\n ]}\n");
}

}  // namespace quantlab::compare
