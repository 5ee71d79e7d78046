// `qlhost summary --plugin P --topology T [--config F]`: the network's layers
// with parameters, MACs, weight bits and memory, before and after the recipe
// of network.quantize, and the totals. Reads the first test sample for the
// shapes; writes nothing.
#include <cinttypes>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>
#include <torch/torch.h>

#include "host/Commands.h"
#include "manager/compare/NetworkCost.h"
#include "quantlab/Text.h"
#include "manager/config/ExperimentConfig.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/storage/StorageMap.h"
#include "manager/train/NetworkBuilder.h"
#include "quantlib/graph/NetworkSummary.h"

namespace po = boost::program_options;

namespace quantlab {

namespace {

using quantlib::graph::LayerSummary;
using quantlib::graph::NetworkSummary;

struct SummaryOptions {
  std::string plugin;
  std::string topology;
  std::string config_file;
  std::vector<std::string> overrides;
  std::string home;
};

using quantlab::with_unit;

std::string grouped(int64_t value) {
  std::string digits = std::to_string(value);
  for (int i = static_cast<int>(digits.size()) - 3; i > (digits[0] == '-' ? 1 : 0); i -= 3) digits.insert(i, ",");
  return digits;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  if (shape.empty()) return "-";
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? "x" : "") + std::to_string(shape[i]);
  return text;
}

std::string optional_text(const std::optional<int64_t>& value) { return value ? std::to_string(*value) : "-"; }

void print_table(std::ostream& out, const std::string& title, const NetworkSummary& summary) {
  size_t name_width = 5, type_width = 4, shape_width = 6;
  for (const auto& layer : summary.layers) {
    name_width = std::max(name_width, layer.name.size());
    type_width = std::max(type_width, layer.type.size());
    shape_width = std::max(shape_width, shape_text(layer.output_shape).size());
  }
  const auto row = [&](const std::string& name, const std::string& type, const std::string& shape,
                       const std::string& parameters, const std::string& macs, const std::string& weight_bits,
                       const std::string& input_bits, const std::string& bops, const std::string& memory) {
    out << std::left << std::setw(name_width) << name << "  " << std::setw(type_width) << type << "  "
        << std::setw(shape_width) << shape << std::right << "  " << std::setw(8) << parameters << "  "
        << std::setw(8) << macs << "  " << std::setw(6) << weight_bits << "  " << std::setw(6) << input_bits << "  "
        << std::setw(8) << bops << "  " << std::setw(10) << memory << "\n";
  };
  out << title << "\n";
  row("layer", "type", "output", "params", "MACs", "W bits", "A bits", "BOPs", "memory");
  for (const LayerSummary& layer : summary.layers)
    row(layer.name, layer.type, shape_text(layer.output_shape), with_unit(layer.parameters),
        with_unit(layer.macs), optional_text(layer.weight_bits), optional_text(layer.input_bits), with_unit(layer.bops),
        with_unit(layer.memory_bytes(), "B"));
  row("total", "", "", with_unit(summary.parameters), with_unit(summary.macs), "", "", with_unit(summary.bops),
      with_unit(summary.size_bytes(), "B"));
  out << "parameters " << grouped(summary.parameters) << ", model size " << grouped(summary.size_bytes())
      << " bytes, MACs " << grouped(summary.macs) << ", BOPs " << grouped(summary.bops) << " (per sample)\n";
}

std::string ratio(int64_t before, int64_t after) {
  if (after <= 0) return "-";
  std::ostringstream text;
  text << std::fixed << std::setprecision(2) << static_cast<double>(before) / static_cast<double>(after) << "x";
  return text.str();
}

}  // namespace

int summary_command(const Arguments& arguments) {
  SummaryOptions options;
  po::options_description description("usage: qlhost summary --plugin PATH --topology NAME [options]");
  description.add_options()
      ("help,h", "this help")
      ("plugin", po::value(&options.plugin)->required(), "problem plugin, e.g. build/problems/libfashionmnist.so")
      ("topology", po::value(&options.topology)->required(), "topology (network family) of the problem")
      ("config", po::value(&options.config_file), "experiment config YAML (default: the topology's own)")
      ("set", po::value(&options.overrides)->composing(), "override dotted.key=value, typed by YAML (repeatable)")
      ("home", po::value(&options.home), "QuantLab home (default $QUANTLAB_HOME, else the current directory)");
  po::variables_map values;
  if (!parse_command_line(arguments, description, values)) return 0;

  const LoadedPlugin plugin = load_plugin(options.plugin);
  const auto topology = plugin.topology(options.topology);
  ConfigText text = read_config(plugin.name, *topology, options.config_file, options.overrides);
  YAML::Node& root = text.root;
  const std::string& source = text.source;
  // The summary counts, it never needs trained weights.
  apply_override(root, "network.pretrained=null");
  const ExperimentConfig config = ExperimentConfig::parse(root, source);
  const ExperimentConfig plain_config = without_recipe(config);

  // The data folder a run uses, read only: a run would make it, the summary
  // only reads what is there. Without the data set, a topology that says its
  // input shape is measured on a random input of that shape.
  const StorageMap storage(resolve_home(options.home));
  const torch::Tensor sample =
      compare::measurement_sample(*plugin.problem, storage.problem_folder(plugin.name) / "data", *topology);

  const NetworkSummary before = compare::network_summary(*topology, plain_config, sample);
  const NetworkSummary after = compare::network_summary(*topology, config, sample);

  const Params quantize = config.section("network.quantize");
  const std::string recipe = quantize.keys().empty() ? "none (network.quantize is empty)"
                                                     : quantize.get<std::string>("recipe");
  std::cout << plugin.name << " / " << topology->name() << ", " << source << "; one sample of shape "
            << shape_text(before.input_shape) << "\n\n";
  print_table(std::cout, "before the recipe:", before);
  std::cout << "\n";
  print_table(std::cout, "after the recipe: " + recipe, after);
  std::cout << "\ncompression: model size " << grouped(before.size_bytes()) << " -> " << grouped(after.size_bytes())
            << " bytes (" << ratio(before.size_bytes(), after.size_bytes()) << "), BOPs " << with_unit(before.bops)
            << " -> " << with_unit(after.bops) << " (" << ratio(before.bops, after.bops) << ")\n";
  return 0;
}

}  // namespace quantlab
