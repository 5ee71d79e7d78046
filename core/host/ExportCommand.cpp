// `qlhost export --plugin P --topology T --exp-id N --out FILE`: integerizes
// an experiment's trained network (a fold's best or last checkpoint, loaded
// as `--mode test` loads it) and writes it as an ONNX model in one of the
// forms of quantlib/deploy/OnnxExport.h (--onnx-form). Every check runs
// before anything is written, and the file is written atomically, so a
// failed export leaves nothing at --out.
#include <iostream>

#include <boost/program_options.hpp>
#include <torch/torch.h>

#include "host/Commands.h"
#include "host/TrainedExperiment.h"
#include "manager/compare/NetworkCost.h"
#include "quantlab/AtomicFile.h"
#include "quantlib/deploy/OnnxExport.h"

namespace po = boost::program_options;

namespace quantlab {

int export_command(const Arguments& arguments) {
  TrainedExperimentOptions options;
  std::string format = "onnx";
  std::string onnx_form = "qdq";
  std::string out_option;
  po::options_description description(
      "usage: qlhost export --plugin PATH --topology NAME --exp-id N --out FILE [options]");
  description.add_options()("help,h", "this help");
  options.add_to(description, "to export");
  description.add_options()
      ("format", po::value(&format), "onnx (default)")
      ("onnx-form", po::value(&onnx_form),
       "qdq (default: QuantizeLinear/DequantizeLinear around int8 weights and uint8 activations, what ONNX Runtime "
       "fuses into int8 kernels), qop (QLinearConv), integer (integer ops, bit-exact) or float (the fp32 reference)")
      ("out", po::value(&out_option)->required(), "the model file to write, e.g. model.onnx");
  po::variables_map values;
  if (!parse_command_line(arguments, description, values)) return 0;

  if (format != "onnx") throw ConfigError("--format " + format + ": expected onnx");
  const quantlib::deploy::OnnxForm form = quantlib::deploy::parse_onnx_form(onnx_form, "--onnx-form");
  const std::filesystem::path out = out_option;
  if (std::filesystem::is_directory(out))
    throw ConfigError("--out " + out_option + ": is a directory; expected the path of the model file to write");
  const std::filesystem::path out_folder = out.has_parent_path() ? out.parent_path() : ".";
  if (!std::filesystem::is_directory(out_folder))
    throw StorageError("--out " + out_option + ": folder " + out_folder.string() + " does not exist");

  TrainedExperiment experiment = open_trained_experiment(options);
  const ExperimentConfig& config = experiment.config;
  const Topology& topology = *experiment.topology;
  const FoldProgress& progress = experiment.trained.progress;
  const int id = options.experiment_id;
  const quantlib::deploy::IntegerNetwork integer = integerize_trained(
      *experiment.trained.network, topology, config, *experiment.test_data, "qlhost export " + experiment.description);

  quantlib::deploy::OnnxExportOptions export_options;
  export_options.form = form;
  export_options.input_shape = compare::summary_sample(*experiment.test_data, topology).sizes().vec();
  export_options.input_shape.erase(export_options.input_shape.begin());
  const Params quantize = config.section("network.quantize");
  export_options.metadata = {
      {"problem", experiment.plugin.name},
      {"topology", topology.name()},
      {"exp_id", std::to_string(id)},
      {"fold", std::to_string(options.fold)},
      {"checkpoint",
       experiment.checkpoint.filename().string() + " (epoch " + std::to_string(progress.epochs_done) + ")"},
      {"recipe", quantize.keys().empty() ? "none" : quantize.get<std::string>("recipe")},
      {"plugin_version", experiment.plugin.version}};
  write_file_atomically(out, quantlib::deploy::onnx_model_bytes(integer, export_options));

  std::cout << "wrote " << out.string() << ": " << experiment.plugin.name << "/" << topology.name() << " "
            << Logbook::experiment_name(id) << " fold " << options.fold << " "
            << experiment.checkpoint.filename().string() << " (epoch " << progress.epochs_done << "), "
            << integer.nodes.size() << " integer nodes, ONNX opset " << quantlib::deploy::kOnnxOpset << ", form "
            << quantlib::deploy::onnx_form_name(form) << "\n";
  return 0;
}

}  // namespace quantlab
