// `qlhost sensitivity --plugin P --topology T --exp-id N [--bits 2,3,4,8]
// [--samples K] [--draws D] [--format table|csv|json]`: how much each layer
// of a trained full-precision experiment suffers from quantization, layer by
// layer (manager/select/Sensitivity.h), on K training samples split over the
// ranks. Prints the result, and rank 0 writes it to the experiment's
// sensitivity.json (what `qlhost select` reads) and to TensorBoard under the
// experiment's sensitivity/ folder (step = bits). Every check runs before any
// work; nothing is written on an error.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>
#include <torch/torch.h>

#include "host/Commands.h"
#include "host/TrainedExperiment.h"
#include "manager/data/Batcher.h"
#include "manager/dist/Communicator.h"
#include "manager/compare/SensitivityFile.h"
#include "manager/select/Sensitivity.h"
#include "manager/storage/StorageMap.h"
#include "manager/tensorboard/EventWriter.h"
#include "manager/train/ComputeThreads.h"
#include "manager/train/FoldSession.h"
#include "quantlab/AtomicFile.h"
#include "quantlab/Errors.h"

namespace po = boost::program_options;

namespace quantlab {

namespace {

std::string number(const std::optional<double>& value, int precision, bool sign = false) {
  if (!value) return "-";
  if (std::isinf(*value)) return "inf";
  std::ostringstream text;
  text << std::fixed << std::setprecision(precision) << (sign ? std::showpos : std::noshowpos) << *value;
  return text.str();
}

std::string scientific(const std::optional<double>& value) {
  if (!value) return "-";
  std::ostringstream text;
  text << std::scientific << std::setprecision(3) << *value;
  return text.str();
}

void print_table(std::ostream& out, const compare::Sensitivity& report, const std::string& what) {
  out << what << ": " << *report.samples << " training samples, " << *report.draws
      << " Hutchinson draws; full precision: loss " << number(report.baseline_loss, 4) << ", " << report.metric
      << " " << number(report.baseline_metric, 2) << "\n\n";
  out << std::left << std::setw(14) << "layer" << std::setw(8) << "type" << std::right << std::setw(10) << "params"
      << std::setw(12) << "MACs" << std::setw(13) << "Hessian tr" << std::setw(13) << "tr/params" << "  activation\n";
  for (const auto& layer : report.layers) {
    // A string, not an optional<double>: GCC 12 takes the latter for
    // uninitialised when inlined against LibTorch 2.11's headers (-Werror).
    const std::string per_parameter =
        layer.hessian_trace && layer.parameters
            ? scientific(*layer.hessian_trace / static_cast<double>(*layer.parameters))
            : std::string("-");
    out << std::left << std::setw(14) << layer.name << std::setw(8) << layer.type << std::right << std::setw(10)
        << layer.parameters.value_or(0) << std::setw(12) << layer.macs.value_or(0) << std::setw(13) << scientific(layer.hessian_trace)
        << std::setw(13) << per_parameter << "  "
        << layer.activation.value_or("- (network input)") << "\n";
  }
  out << "\n" << std::left << std::setw(14) << "layer" << std::setw(12) << "tensor" << std::right << std::setw(5)
      << "bits" << std::setw(12) << "loss delta" << std::setw(std::max<int>(14, report.metric.size() + 8))
      << (report.metric + " delta") << std::setw(10) << "SQNR dB" << "\n";
  const auto rows = [&](const std::string& layer, const std::string& tensor,
                        const std::vector<compare::SensitivityPoint>& points) {
    for (const auto& point : points)
      out << std::left << std::setw(14) << layer << std::setw(12) << tensor << std::right << std::setw(5)
          << point.bits << std::setw(12) << number(point.loss_delta, 4, true)
          << std::setw(std::max<int>(14, report.metric.size() + 8)) << number(point.metric_delta, 2, true)
          << std::setw(10) << number(point.sqnr_db, 1) << "\n";
  };
  for (const auto& layer : report.layers) {
    rows(layer.name, "weights", layer.weights);
    rows(layer.name, layer.activation.value_or(""), layer.activations);
  }
}

void print_csv(std::ostream& out, const compare::Sensitivity& report) {
  out << "layer,type,tensor,bits,loss_delta,metric_delta,sqnr_db,perturbation,hessian_trace,parameters,macs\n";
  const auto csv = [](const std::optional<double>& value) {
    if (!value || !std::isfinite(*value)) return std::string();
    std::ostringstream text;
    text << std::setprecision(9) << *value;
    return text.str();
  };
  for (const auto& layer : report.layers) {
    for (const auto& point : layer.weights)
      out << layer.name << "," << layer.type << ",weights," << point.bits << "," << csv(point.loss_delta) << ","
          << csv(point.metric_delta) << "," << csv(point.sqnr_db) << "," << csv(point.perturbation) << ","
          << csv(layer.hessian_trace) << "," << layer.parameters.value_or(0) << "," << layer.macs.value_or(0) << "\n";
    for (const auto& point : layer.activations)
      out << layer.name << "," << layer.type << "," << layer.activation.value_or("") << "," << point.bits << ","
          << csv(point.loss_delta) << "," << csv(point.metric_delta) << "," << csv(point.sqnr_db) << ",,,"
          << layer.input_elements.value_or(0) << "," << layer.macs.value_or(0) << "\n";
  }
}

void write_tensorboard(const std::filesystem::path& folder, const compare::Sensitivity& report) {
  tensorboard::EventWriter events(folder);
  for (const auto& layer : report.layers) {
    if (layer.hessian_trace) events.add_scalar("sensitivity/" + layer.name + "/hessian_trace", *layer.hessian_trace, 0);
    const auto points = [&](const std::string& tensor, const std::vector<compare::SensitivityPoint>& list) {
      for (const auto& point : list) {
        const std::string tag = "sensitivity/" + layer.name + "/" + tensor + "/";
        if (point.loss_delta) events.add_scalar(tag + "loss_delta", *point.loss_delta, point.bits);
        if (point.metric_delta) events.add_scalar(tag + "metric_delta", *point.metric_delta, point.bits);
        if (point.sqnr_db && std::isfinite(*point.sqnr_db)) events.add_scalar(tag + "sqnr_db", *point.sqnr_db, point.bits);
      }
    };
    points("weights", layer.weights);
    points("activation", layer.activations);
  }
}

}  // namespace

std::vector<int64_t> parse_bit_widths(const std::string& text, const std::string& option) {
  std::vector<int64_t> bits;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    size_t used = 0;
    int64_t value = 0;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || value < 2 || value > 16)
      throw ConfigError(option + " " + text + ": '" + item +
                        "' is not a bit-width (expected integers 2 to 16, comma-separated)");
    bits.push_back(value);
  }
  if (bits.empty()) throw ConfigError(option + " " + text + ": expected bit-widths, e.g. 2,3,4,8");
  std::sort(bits.begin(), bits.end());
  bits.erase(std::unique(bits.begin(), bits.end()), bits.end());
  return bits;
}

int sensitivity_command(const Arguments& arguments, Communicator& communicator) {
  TrainedExperimentOptions options;
  std::string bits_option = "2,3,4,8";
  int64_t samples = 512;
  int64_t draws = 32;
  int64_t chunk = 256;
  std::string format = "table";
  std::optional<int> threads;
  po::options_description description("usage: qlhost sensitivity --plugin PATH --topology NAME --exp-id N [options]");
  description.add_options()("help,h", "this help");
  options.add_to(description, "to measure (full precision, trained)");
  description.add_options()
      ("bits", po::value(&bits_option), "bit-widths to try, comma-separated (default 2,3,4,8)")
      ("samples", po::value(&samples), "calibration samples from the training set (default 512), split over ranks")
      ("draws", po::value(&draws), "Hutchinson's random vectors per Hessian trace (default 32)")
      ("chunk", po::value(&chunk), "samples per forward pass (default 256)")
      ("format", po::value(&format), "table (default), csv or json")
      ("threads", po::value<int>(), "intra-op threads per rank (default: cores / ranks on this machine)");
  po::variables_map values;
  if (!parse_command_line(arguments, description, values)) return 0;
  if (values.count("threads")) threads = values["threads"].as<int>();

  const std::vector<int64_t> bits = parse_bit_widths(bits_option, "--bits");
  if (samples < 1) throw ConfigError("--samples " + std::to_string(samples) + ": expected a positive number");
  if (samples < communicator.size())
    throw ConfigError("--samples " + std::to_string(samples) + ": expected at least one sample per rank (" +
                      std::to_string(communicator.size()) + " ranks)");
  if (draws < 1) throw ConfigError("--draws " + std::to_string(draws) + ": expected a positive number");
  if (chunk < 1) throw ConfigError("--chunk " + std::to_string(chunk) + ": expected a positive number");
  if (format != "table" && format != "csv" && format != "json")
    throw ConfigError("--format " + format + ": expected table, csv or json");
  if (threads && *threads < 1) throw ConfigError("--threads " + std::to_string(*threads) + ": expected a positive number");
  configure_compute(threads.value_or(default_threads(communicator)));

  TrainedExperiment experiment = open_trained_experiment(options);
  const ExperimentConfig& config = experiment.config;
  if (!config.section("network.quantize").keys().empty())
    throw ConfigError(experiment.logbook->config_file(options.experiment_id).string() +
                      ": network.quantize: expected none; sensitivity measures a full-precision experiment "
                      "(give the exp-id of the fp32 network the quantized ones start from)");
  const Topology& topology = *experiment.topology;
  const Loss loss = make_loss(topology, config.section("training.loss_function"));
  const auto meter = experiment.plugin.problem->meter();
  const StorageMap storage(resolve_home(options.home));
  const auto train_data =
      experiment.plugin.problem->dataset(Partition::train, storage.problem_folder(experiment.plugin.name) / "data");
  if (train_data->size() < communicator.size())
    throw DataError(train_data->describe() + ": fewer training samples than ranks");
  samples = std::min<int64_t>(samples, train_data->size());

  // The same samples on every rank count: a permutation drawn from the
  // experiment's seed, dealt round-robin to the ranks.
  auto generator = torch::make_generator<at::CPUGeneratorImpl>(*config.seed);
  const torch::Tensor order = torch::randperm(train_data->size(), generator, torch::kLong).slice(0, 0, samples);
  std::vector<int64_t> mine;
  for (int64_t i = communicator.rank(); i < samples; i += communicator.size()) mine.push_back(order[i].item<int64_t>());
  const Batch batch = data::read_batch(*train_data, topology, mine, /*augment=*/false, *config.seed);
  if (!batch.input.defined() || batch.input.size(0) == 0) throw DataError(train_data->describe() + ": no readable sample");

  SensitivityOptions sensitivity_options;
  sensitivity_options.bits = bits;
  sensitivity_options.draws = draws;
  sensitivity_options.chunk = chunk;
  sensitivity_options.seed = *config.seed;
  compare::Sensitivity report = measure_sensitivity(*experiment.trained.network, topology, *meter, loss, batch,
                                                         samples, sensitivity_options, communicator);
  report.experiment = options.experiment_id;
  report.fold = options.fold;
  report.checkpoint = options.checkpoint;

  if (communicator.is_root()) {
    const auto folder = experiment.logbook->experiment_dir(options.experiment_id);
    const auto file = folder / compare::kSensitivityFileName;
    write_file_atomically(file, compare::sensitivity_json(report));
    write_tensorboard(folder / "sensitivity", report);
    if (format == "json")
      std::cout << compare::sensitivity_json(report);
    else if (format == "csv")
      print_csv(std::cout, report);
    else {
      print_table(std::cout, report, experiment.description);
      std::cout << "\nwritten: " << file.string() << " and TensorBoard events in "
                << (folder / "sensitivity").string() << "\n";
    }
  }
  return 0;
}

}  // namespace quantlab
