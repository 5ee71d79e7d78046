// `qlhost select --plugin P --topology T --exp-id N --budget KIND=VALUE[,KIND=VALUE]
// [--budget ...] [--bits 2,3,4,8] [--act-bits ...] [--config F] [--set k=v]
// [--out DIR] [--sweep NAME] [--force]`: mixed-precision configs from a
// sensitivity measurement. Per --budget, the exact per-layer allocation of
// weight and activation bits (quantlib/select/Allocation.h) that minimises
// the predicted loss increase under every budget kind it names:
//   predicted = sum over layers of  1/2 * tr(H_l) / n_l * ||Q_w(W_l) - W_l||^2
//                                   (HAWQ-V3's sensitivity-weighted perturbation)
//             + max(0, measured loss increase of its activation at a bits)
// with the costs as `qlhost summary` counts them: weights = the model size,
// bops = bit-operations per sample, activations = the largest input of a
// quantizable layer at its bits. Each allocation becomes a config (the
// template of --config with the experiment's network, network.pretrained on
// the experiment, and a rules recipe of LSQ quantizers) named
// <topology>.select-<budget>.yaml in --out; --sweep NAME adds NAME.yaml, a
// sweep over all of them. Everything is checked and solved before the first
// file is written; an existing file is kept unless --force.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>

#include <boost/program_options.hpp>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include "host/Commands.h"
#include "manager/compare/NetworkCost.h"
#include "manager/config/ExperimentConfig.h"
#include "manager/config/Yaml.h"
#include "manager/logbook/Logbook.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/compare/SensitivityFile.h"
#include "manager/storage/StorageMap.h"
#include "quantlab/AtomicFile.h"
#include "quantlab/Errors.h"
#include "quantlab/Text.h"
#include "quantlib/graph/NetworkSummary.h"
#include "quantlib/select/Allocation.h"

namespace po = boost::program_options;

namespace quantlab {

namespace {

using quantlib::select::Allocation;
using quantlib::select::Budgets;
using quantlib::select::FixedCosts;
using quantlib::select::LayerOptions;
using quantlib::select::Option;

constexpr int64_t kFullBits = 32;

struct BudgetPoint {
  std::string text;   // as given: "weights=300KiB,bops=20M"
  std::string label;  // for file names: "weights-300KiB-bops-20M"
  Budgets budgets;    // weights and activations in bits
};

BudgetPoint parse_budget(const std::string& text) {
  BudgetPoint point;
  point.text = text;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const auto equals = item.find('=');
    const std::string kind = item.substr(0, equals);
    const std::string value = equals == std::string::npos ? "" : item.substr(equals + 1);
    const std::string where = "--budget " + text + ": '" + item + "'";
    if (equals == std::string::npos || value.empty())
      throw ConfigError(where + ": expected KIND=VALUE, KIND one of weights, activations, bops");
    std::optional<double>* slot = nullptr;
    bool memory = true;
    if (kind == "weights") slot = &point.budgets.weights;
    else if (kind == "activations") slot = &point.budgets.activations;
    else if (kind == "bops") {
      slot = &point.budgets.bops;
      memory = false;
    } else {
      throw ConfigError(where + ": unknown budget kind '" + kind + "' (expected weights, activations or bops)");
    }
    if (slot->has_value()) throw ConfigError(where + ": " + kind + " is given twice");
    auto quantity = memory ? byte_amount(value) : count_amount(value);
    if (quantity && memory) *quantity *= 8;  // bits
    if (!quantity || !(*quantity > 0))
      throw ConfigError(where + ": expected " +
                        (memory ? std::string("a positive size in bytes, optionally with B, kB, KiB, MB, MiB, GB or GiB (e.g. 300KiB)")
                                : std::string("a positive count, optionally with k, M, G or T (e.g. 20M)")));
    *slot = quantity;
    point.label += (point.label.empty() ? "" : "-") + kind + "-" + value;
  }
  if (point.label.empty()) throw ConfigError("--budget " + text + ": expected KIND=VALUE, e.g. weights=300KiB");
  for (char& c : point.label)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  return point;
}

// --bits or --act-bits: some of the measured widths (all when not given).
std::vector<int64_t> bit_list(const std::string& text, const std::string& option,
                              const std::vector<int64_t>& measured, const std::string& sensitivity_source) {
  if (text.empty()) return measured;
  const std::vector<int64_t> bits = parse_bit_widths(text, option);
  for (const int64_t value : bits)
    if (std::find(measured.begin(), measured.end(), value) == measured.end()) {
      std::string list;
      for (const auto b : measured) list += (list.empty() ? "" : ",") + std::to_string(b);
      throw ConfigError(option + " " + text + ": " + std::to_string(value) + " bits was not measured by " +
                        sensitivity_source + " (expected some of " + list + ")");
    }
  return bits;
}

// A choice of bits for every layer the sensitivity report lists.
struct LayerBits {
  int64_t weight = 8;
  std::optional<int64_t> activation;
};

YAML::Node quantizer(int64_t bits) {
  YAML::Node node(YAML::NodeType::Map);
  node["algorithm"] = "lsq";
  node["bits"] = bits;
  return node;
}

YAML::Node rules_recipe(const compare::Sensitivity& report, const std::vector<LayerBits>& bits) {
  YAML::Node rules(YAML::NodeType::Sequence);
  for (size_t i = 0; i < report.layers.size(); ++i) {
    const auto& layer = report.layers[i];
    YAML::Node rule(YAML::NodeType::Map);
    rule["select"]["name"] = layer.name;
    YAML::Node weight = quantizer(bits[i].weight);
    weight["per_channel"] = true;
    rule["weight"] = weight;
    if (layer.activation_kind == "input" && bits[i].activation) {
      YAML::Node input = quantizer(*bits[i].activation);
      input["signed"] = layer.activation_signed;
      rule["input"] = input;
    }
    rules.push_back(rule);
    if (layer.activation_kind == "relu" && bits[i].activation) {
      YAML::Node output_rule(YAML::NodeType::Map);
      output_rule["select"]["name"] = *layer.activation;
      output_rule["output"] = quantizer(*bits[i].activation);
      rules.push_back(output_rule);
    }
  }
  YAML::Node quantize(YAML::NodeType::Map);
  quantize["recipe"] = "rules";
  quantize["params"]["rules"] = rules;
  return quantize;
}

// The network a config builds, counted as `qlhost summary` counts it.
quantlib::graph::NetworkSummary measure(const Topology& topology, const YAML::Node& root, const std::string& source,
                                        const torch::Tensor& sample) {
  return compare::network_summary(topology, ExperimentConfig::parse(YAML::Clone(root), source), sample);
}

const quantlib::graph::LayerSummary* summary_row(const quantlib::graph::NetworkSummary& summary,
                                                 const std::string& name) {
  for (const auto& row : summary.layers)
    if (row.name == name) return &row;
  return nullptr;
}

// The largest input of a listed layer at its bits, in bits.
double activation_peak(const compare::Sensitivity& report, const quantlib::graph::NetworkSummary& summary) {
  double peak = 0;
  for (const auto& layer : report.layers)
    if (const auto* row = summary_row(summary, layer.name))
      peak = std::max(peak, static_cast<double>(layer.input_elements.value_or(0)) *
                                static_cast<double>(row->input_bits.value_or(kFullBits)));
  return peak;
}

std::string bytes_text(double bits) {
  const int64_t bytes = static_cast<int64_t>(std::ceil(bits / 8.0));
  char kib[32];
  std::snprintf(kib, sizeof kib, "%.1f", static_cast<double>(bytes) / 1024.0);
  return std::to_string(bytes) + " B (" + kib + " KiB)";
}

std::string yaml_text(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

struct Solved {
  BudgetPoint point;
  Allocation allocation;
  std::vector<LayerBits> bits;
  YAML::Node quantize;
  std::filesystem::path file;
};

}  // namespace

int select_command(const Arguments& arguments) {
  std::string plugin_path, topology_name, config_file, home, out_option = ".", sweep_name;
  std::string bits_option, act_bits_option;
  int experiment_id = 0;
  bool force = false;
  std::vector<std::string> budget_texts, overrides, fixes;
  po::options_description description(
      "usage: qlhost select --plugin PATH --topology NAME --exp-id N --budget KIND=VALUE [options]");
  description.add_options()
      ("help,h", "this help")
      ("plugin", po::value(&plugin_path)->required(), "problem plugin, e.g. build/problems/libfashionmnist.so")
      ("topology", po::value(&topology_name)->required(), "topology (network family) of the experiment")
      ("exp-id", po::value(&experiment_id)->required(),
       "the full-precision experiment whose sensitivity.json (qlhost sensitivity) to allocate from")
      ("budget", po::value(&budget_texts)->required()->composing(),
       "one selection: weights=SIZE, activations=SIZE and/or bops=COUNT, comma-separated (all hold together); "
       "repeat for several configs. SIZE: 300KiB, 0.5MB, ...; COUNT: 20M, 1.5G, ...")
      ("bits", po::value(&bits_option), "weight bit-widths to choose from (default: all measured)")
      ("act-bits", po::value(&act_bits_option), "activation bit-widths to choose from (default: all measured)")
      ("fix", po::value(&fixes)->composing(),
       "LAYER=W or LAYER=W/A: keep a layer at W weight bits (and A activation bits), e.g. conv1=8 (repeatable)")
      ("config", po::value(&config_file), "the fine-tuning template (default: the topology's config)")
      ("set", po::value(&overrides)->composing(), "override dotted.key=value of the template (repeatable)")
      ("out", po::value(&out_option), "folder for the configs (default: the current one)")
      ("sweep", po::value(&sweep_name), "also write NAME.yaml there: a sweep over the configs")
      ("force", po::bool_switch(&force), "overwrite existing files")
      ("home", po::value(&home), "QuantLab home (default $QUANTLAB_HOME, else the current directory)");
  po::variables_map values;
  if (!parse_command_line(arguments, description, values)) return 0;

  std::vector<BudgetPoint> points;
  for (const auto& text : budget_texts) points.push_back(parse_budget(text));
  static const std::regex sweep_pattern("^[A-Za-z0-9._-]+$");
  if (values.count("sweep") && !std::regex_match(sweep_name, sweep_pattern))
    throw ConfigError("--sweep " + sweep_name + ": expected a name of letters, digits, '.', '_' and '-'");
  const std::filesystem::path out = out_option;
  if (!std::filesystem::is_directory(out)) throw StorageError("--out " + out_option + ": expected an existing folder");

  const LoadedPlugin plugin = load_plugin(plugin_path);
  const auto topology = plugin.topology(topology_name);
  const StorageMap storage(resolve_home(home));
  const Logbook logbook(storage.problem_folder(plugin.name) / "logs");
  logbook.open_experiment(experiment_id);
  const auto experiment_config_file = logbook.config_file(experiment_id);
  const ExperimentConfig experiment =
      ExperimentConfig::parse(load_yaml_file(experiment_config_file), experiment_config_file.string());
  if (experiment.network_class != topology->name())
    throw ConfigError("--topology " + topology_name + ": experiment " + Logbook::experiment_name(experiment_id) +
                      " trained " + experiment.network_class);
  const auto sensitivity_path = logbook.experiment_dir(experiment_id) / compare::kSensitivityFileName;
  if (!std::filesystem::exists(sensitivity_path))
    throw StorageError(sensitivity_path.string() + ": no sensitivity measured (run qlhost sensitivity --exp-id " +
                       std::to_string(experiment_id) + " first)");
  const compare::Sensitivity report = compare::read_sensitivity_file(sensitivity_path);
  for (size_t i = 0; i < report.layers.size(); ++i) {
    const auto& layer = report.layers[i];
    const std::string where = sensitivity_path.string() + ": layers[" + std::to_string(i) + "].";
    if (!layer.parameters || !layer.input_elements || layer.activation_kind.empty())
      throw DataError(where + "parameters, input_elements, activation_kind: expected them all (measure again with "
                      "this qlhost sensitivity)");
  }
  const std::vector<int64_t> measured_bits(report.bits.begin(), report.bits.end());
  const std::vector<int64_t> weight_bits =
      bit_list(bits_option, "--bits", measured_bits, sensitivity_path.string());
  const std::vector<int64_t> act_bits =
      bit_list(act_bits_option, "--act-bits", measured_bits, sensitivity_path.string());

  // --fix LAYER=W[/A]: the bits a layer must take.
  std::map<std::string, std::pair<int64_t, std::optional<int64_t>>> fixed_bits;
  for (const auto& fix : fixes) {
    static const std::regex fix_pattern(R"(^([^=]+)=([0-9]+)(/([0-9]+))?$)");
    std::smatch match;
    if (!std::regex_match(fix, match, fix_pattern))
      throw ConfigError("--fix " + fix + ": expected LAYER=W or LAYER=W/A, e.g. conv1=8 or fc2=8/8");
    const std::string layer = match[1].str();
    const auto found = std::find_if(report.layers.begin(), report.layers.end(),
                                    [&layer](const compare::LayerSensitivity& row) { return row.name == layer; });
    if (found == report.layers.end()) {
      std::string names;
      for (const auto& row : report.layers) names += (names.empty() ? "" : ", ") + row.name;
      throw ConfigError("--fix " + fix + ": no quantizable layer '" + layer + "' (expected one of " + names + ")");
    }
    const int64_t w = std::stoll(match[2].str());
    std::optional<int64_t> a;
    if (match[4].matched) a = std::stoll(match[4].str());
    if (!found->weight_point(static_cast<int>(w)))
      throw ConfigError("--fix " + fix + ": " + std::to_string(w) + " weight bits were not measured by " +
                        sensitivity_path.string());
    if (a && (found->activation_kind == "none" || !found->activation_point(static_cast<int>(*a))))
      throw ConfigError("--fix " + fix + ": " + (found->activation_kind == "none"
                                                     ? "layer '" + layer + "' has no activation decision (it takes the network's input)"
                                                     : std::to_string(*a) + " activation bits were not measured"));
    if (fixed_bits.count(layer)) throw ConfigError("--fix " + fix + ": layer '" + layer + "' is fixed twice");
    fixed_bits[layer] = {w, a};
  }

  // The template: the experiment's network, fine-tuned from its checkpoint.
  ConfigText text = read_config(plugin.name, *topology, config_file, overrides);
  YAML::Node root = text.root;
  root["network"]["class"] = experiment.root["network"]["class"];
  root["network"]["params"] = YAML::Clone(experiment.root["network"]["params"]);
  YAML::Node pretrained(YAML::NodeType::Map);
  pretrained["exp_id"] = experiment_id;
  pretrained["fold"] = report.fold;
  pretrained["checkpoint"] = report.checkpoint;
  root["network"]["pretrained"] = pretrained;
  root["network"]["quantize"] = YAML::Node(YAML::NodeType::Null);
  ExperimentConfig::parse(YAML::Clone(root), text.source);  // the template's own errors first

  const torch::Tensor sample =
      compare::measurement_sample(*plugin.problem, storage.problem_folder(plugin.name) / "data", *topology);
  const auto fp32 = measure(*topology, root, text.source, sample);

  // Costs at the largest bits, to separate what the choices change from the rest.
  // (Every measured width may appear: --fix can pin one outside --bits.)
  const std::vector<int64_t>& all_weight_bits = measured_bits;
  const std::vector<int64_t>& all_act_bits = measured_bits;
  const int64_t top_weight = *std::max_element(all_weight_bits.begin(), all_weight_bits.end());
  const int64_t top_act = top_weight;
  std::vector<LayerBits> top(report.layers.size(), LayerBits{top_weight, top_act});
  for (size_t i = 0; i < report.layers.size(); ++i)
    if (report.layers[i].activation_kind == "none") top[i].activation.reset();
  YAML::Node reference_root = YAML::Clone(root);
  reference_root["network"]["quantize"] = rules_recipe(report, top);
  const auto reference = measure(*topology, reference_root, text.source, sample);

  std::vector<LayerOptions> layers;
  FixedCosts fixed{static_cast<double>(reference.size_bits), static_cast<double>(reference.bops), 0.0};
  for (size_t i = 0; i < report.layers.size(); ++i) {
    const auto& layer = report.layers[i];
    const auto* row = summary_row(reference, layer.name);
    if (!row || !row->weight_bits)
      throw ConfigError(sensitivity_path.string() + ": layer '" + layer.name + "' is not a conv/linear layer of " +
                        topology->name() + " as network.params builds it");
    const bool decides = layer.activation_kind != "none";
    const double macs = static_cast<double>(row->macs);
    const double fixed_input_bits = static_cast<double>(row->input_bits.value_or(kFullBits));
    const double parameters = static_cast<double>(*layer.parameters);
    const double input_elements = static_cast<double>(*layer.input_elements);
    const double per_parameter = layer.hessian_trace ? std::max(0.0, *layer.hessian_trace) / parameters : 0.0;
    LayerOptions options{layer.name, {}};
    const auto fix = fixed_bits.find(layer.name);
    for (const int64_t w : all_weight_bits) {
      const bool pinned = fix != fixed_bits.end();
      if (pinned ? w != fix->second.first
                 : std::find(weight_bits.begin(), weight_bits.end(), w) == weight_bits.end())
        continue;
      const auto* point = layer.weight_point(static_cast<int>(w));
      double weight_term = 0;
      if (layer.hessian_trace && point && point->perturbation)
        weight_term = 0.5 * per_parameter * *point->perturbation;
      else if (point && point->loss_delta)
        weight_term = std::max(0.0, *point->loss_delta);
      if (!decides) {
        options.options.push_back(Option{w, std::nullopt, weight_term, parameters * static_cast<double>(w),
                                         macs * static_cast<double>(w) * fixed_input_bits, 0.0});
        continue;
      }
      for (const int64_t a : all_act_bits) {
        if (pinned && fix->second.second ? a != *fix->second.second
                                         : std::find(act_bits.begin(), act_bits.end(), a) == act_bits.end())
          continue;
        const auto* act = layer.activation_point(static_cast<int>(a));
        if (!act) continue;  // e.g. 1 bit for a signed input
        options.options.push_back(Option{w, a, weight_term + std::max(0.0, act->loss_delta.value_or(0.0)),
                                         parameters * static_cast<double>(w),
                                         macs * static_cast<double>(w) * static_cast<double>(a),
                                         input_elements * static_cast<double>(a)});
      }
    }
    if (options.options.empty())
      throw ConfigError(sensitivity_path.string() + ": layer '" + layer.name + "' has no measured point for --act-bits");
    fixed.weights -= parameters * static_cast<double>(top_weight);
    fixed.bops -= macs * static_cast<double>(top_weight) * (decides ? static_cast<double>(top_act) : fixed_input_bits);
    if (!decides)
      fixed.activations = std::max(fixed.activations, input_elements * fixed_input_bits);
    layers.push_back(std::move(options));
  }

  // Solve every budget before writing anything.
  const auto weights_span = quantlib::select::weights_range(layers, fixed);
  const auto bops_span = quantlib::select::bops_range(layers, fixed);
  const auto act_span = quantlib::select::activations_range(layers, fixed);
  const double fp32_peak = activation_peak(report, fp32);
  std::vector<Solved> solved;
  for (const auto& point : points) {
    const auto check = [&](const std::optional<double>& budget, const std::string& kind, double least,
                           double full, bool memory) {
      if (!budget) return;
      const auto show = [memory](double value) {
        return memory ? bytes_text(value) : with_unit(value);
      };
      if (*budget < least)
        throw ConfigError("--budget " + point.text + ": " + kind + " " + show(*budget) +
                          " is below the smallest network the bit choices allow (" + show(least) + ")");
      if (*budget > full)
        throw ConfigError("--budget " + point.text + ": " + kind + " " + show(*budget) + " is above fp32's (" +
                          show(full) + "); expected a budget between " + show(least) + " and " + show(full));
    };
    check(point.budgets.weights, "weights", weights_span.least, static_cast<double>(fp32.size_bits), true);
    check(point.budgets.bops, "bops", bops_span.least, static_cast<double>(fp32.bops), false);
    check(point.budgets.activations, "activations", act_span.least, fp32_peak, true);
    const auto allocation = quantlib::select::allocate(layers, fixed, point.budgets);
    if (!allocation)
      throw ConfigError("--budget " + point.text + ": no allocation of the bit choices meets all of it together");
    Solved result{point, *allocation, {}, {}, out / (topology->name() + ".select-" + point.label + ".yaml")};
    for (size_t i = 0; i < layers.size(); ++i) {
      const Option& option = layers[i].options[allocation->choice[i]];
      result.bits.push_back(LayerBits{option.weight_bits, option.activation_bits});
    }
    result.quantize = rules_recipe(report, result.bits);
    solved.push_back(std::move(result));
  }
  std::vector<std::filesystem::path> files;
  for (const auto& result : solved) files.push_back(result.file);
  const std::filesystem::path sweep_file = out / (sweep_name + ".yaml");
  if (!sweep_name.empty()) files.push_back(sweep_file);
  for (size_t i = 0; i < files.size(); ++i) {
    if (!force && std::filesystem::exists(files[i]))
      throw StorageError(files[i].string() + ": exists (pass --force to overwrite it)");
    for (size_t j = 0; j < i; ++j)
      if (files[i] == files[j]) throw ConfigError("--budget: two budgets give the same file " + files[i].string());
  }

  std::string command = "qlhost select --topology " + topology_name + " --exp-id " + std::to_string(experiment_id);
  for (const auto& point : points) command += " --budget " + point.text;
  for (auto& result : solved) {
    YAML::Node config = YAML::Clone(root);
    config["experiment"]["origin"] = "select " + result.point.text;
    config["network"]["quantize"] = result.quantize;
    const auto measured = measure(*topology, config, result.file.string(), sample);
    std::cout << Logbook::experiment_name(experiment_id) << ", budget " << result.point.text
              << ": predicted loss increase " << std::setprecision(4) << result.allocation.predicted << "\n";
    std::cout << std::left << std::setw(16) << "layer" << std::right << std::setw(10) << "params" << std::setw(12)
              << "MACs" << std::setw(8) << "W bits" << std::setw(8) << "A bits" << "  activation\n";
    for (size_t i = 0; i < report.layers.size(); ++i) {
      const auto& layer = report.layers[i];
      std::cout << std::left << std::setw(16) << layer.name << std::right << std::setw(10) << *layer.parameters
                << std::setw(12) << layer.macs.value_or(0) << std::setw(8) << result.bits[i].weight << std::setw(8)
                << (result.bits[i].activation ? std::to_string(*result.bits[i].activation) : "-") << "  "
                << layer.activation.value_or("-") << "\n";
    }
    const double peak = std::max(fixed.activations, activation_peak(report, measured));
    std::cout << "as qlhost summary counts it: model size " << bytes_text(static_cast<double>(measured.size_bits))
              << ", BOPs " << with_unit(static_cast<double>(measured.bops)) << ", largest activation "
              << bytes_text(peak) << "\n";
    if (static_cast<double>(measured.size_bits) != result.allocation.weights ||
        static_cast<double>(measured.bops) != result.allocation.bops)
      std::cout << "note: the built network costs differ from the allocation's prediction (model size "
                << bytes_text(result.allocation.weights) << ", BOPs " << with_unit(result.allocation.bops) << ")\n";
    write_file_atomically(result.file, "# " + command + "\n# this budget: " + result.point.text + "\n" +
                                           yaml_text(config));
    std::cout << "written: " << result.file.string() << "\n\n";
  }
  if (!sweep_name.empty()) {
    YAML::Node sweep(YAML::NodeType::Map);
    sweep["name"] = sweep_name;
    sweep["topology"] = topology->name();
    sweep["base"] = solved.front().file.filename().string();
    YAML::Node axes(YAML::NodeType::Map);
    for (const auto& result : solved) {
      axes["network.quantize"].push_back(result.quantize);
      axes["experiment.origin"].push_back("select " + result.point.text);
    }
    YAML::Node zip(YAML::NodeType::Sequence);
    zip.push_back(axes);
    sweep["zip"] = zip;
    write_file_atomically(sweep_file, "# " + command + "\n# run it: qlhost sweep --plugin " + plugin_path +
                                          " --topology " + topology->name() + " --sweep " + sweep_file.string() +
                                          "\n" + yaml_text(sweep));
    std::cout << "written: " << sweep_file.string() << " (" << solved.size() << " points, each fine-tuned from "
              << Logbook::experiment_name(experiment_id) << ")\n";
  }
  return 0;
}

}  // namespace quantlab
