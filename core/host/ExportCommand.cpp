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
#include "manager/config/ExperimentConfig.h"
#include "manager/compare/NetworkCost.h"
#include "quantlab/AtomicFile.h"
#include "manager/logbook/Logbook.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/storage/StorageMap.h"
#include "manager/train/Checkpoint.h"
#include "manager/train/TrainedNetwork.h"
#include "quantlib/deploy/OnnxExport.h"

namespace po = boost::program_options;

namespace quantlab {

namespace {

struct ExportOptions {
  std::string plugin;
  std::string topology;
  int experiment_id = 0;
  std::string format = "onnx";
  std::string onnx_form = "qdq";
  std::string out;
  int fold = 0;
  std::string checkpoint = "best";
  std::string home;
};

std::filesystem::path checkpoint_file(const Logbook& logbook, const ExportOptions& options) {
  if (options.checkpoint == "best") {
    const auto file = logbook.best_checkpoint(options.experiment_id, options.fold);
    if (!std::filesystem::exists(file))
      throw StorageError(file.string() + ": no best checkpoint (train the experiment first, or --checkpoint last)");
    return file;
  }
  const auto latest = logbook.latest_epoch_checkpoint(options.experiment_id, options.fold);
  if (!latest)
    throw StorageError(logbook.saves_dir(options.experiment_id, options.fold).string() +
                       ": no epochNNNN.ckpt (train the experiment first)");
  return latest->file;
}

}  // namespace

int export_command(const Arguments& arguments) {
  ExportOptions options;
  po::options_description description(
      "usage: qlhost export --plugin PATH --topology NAME --exp-id N --out FILE [options]");
  description.add_options()
      ("help,h", "this help")
      ("plugin", po::value(&options.plugin)->required(), "problem plugin, e.g. build/problems/libfashionmnist.so")
      ("topology", po::value(&options.topology)->required(), "topology (network family) of the experiment")
      ("exp-id", po::value(&options.experiment_id)->required(), "the trained experiment to export")
      ("format", po::value(&options.format), "onnx (default)")
      ("onnx-form", po::value(&options.onnx_form),
       "qdq (default: QuantizeLinear/DequantizeLinear around int8 weights and uint8 activations, what ONNX Runtime "
       "fuses into int8 kernels), qop (QLinearConv), integer (integer ops, bit-exact) or float (the fp32 reference)")
      ("out", po::value(&options.out)->required(), "the model file to write, e.g. model.onnx")
      ("fold", po::value(&options.fold), "the fold whose network to export (default 0)")
      ("checkpoint", po::value(&options.checkpoint),
       "best (default) or last: the fold's best.ckpt or its newest epochNNNN.ckpt")
      ("home", po::value(&options.home), "QuantLab home (default $QUANTLAB_HOME, else the current directory)");
  po::variables_map values;
  if (!parse_command_line(arguments, description, values)) return 0;

  if (options.format != "onnx") throw ConfigError("--format " + options.format + ": expected onnx");
  const quantlib::deploy::OnnxForm form = quantlib::deploy::parse_onnx_form(options.onnx_form, "--onnx-form");
  if (options.checkpoint != "best" && options.checkpoint != "last")
    throw ConfigError("--checkpoint " + options.checkpoint + ": expected best or last");
  const std::filesystem::path out = options.out;
  if (std::filesystem::is_directory(out))
    throw ConfigError("--out " + options.out + ": is a directory; expected the path of the model file to write");
  const std::filesystem::path out_folder = out.has_parent_path() ? out.parent_path() : ".";
  if (!std::filesystem::is_directory(out_folder))
    throw StorageError("--out " + options.out + ": folder " + out_folder.string() + " does not exist");

  const LoadedPlugin plugin = load_plugin(options.plugin);
  const auto topology = plugin.topology(options.topology);
  // Read only: an export never makes the problem's folders.
  const StorageMap storage(resolve_home(options.home));
  const Logbook logbook(storage.problem_folder(plugin.name) / "logs");
  const int id = options.experiment_id;
  logbook.open_experiment(id);
  const std::filesystem::path config_file = logbook.config_file(id);
  const ExperimentConfig config = ExperimentConfig::parse(load_yaml_file(config_file), config_file.string());
  if (!config.seed) throw ConfigError(config_file.string() + ": experiment.seed: expected the experiment's seed");
  if (options.fold < 0 || options.fold >= config.n_folds)
    throw ConfigError("--fold " + std::to_string(options.fold) + ": experiment " + Logbook::experiment_name(id) +
                      " has folds 0 to " + std::to_string(config.n_folds - 1));
  const std::filesystem::path checkpoint = checkpoint_file(logbook, options);

  TrainedNetwork trained = load_trained_network(*topology, *plugin.problem->meter(), config, logbook, checkpoint);
  const FoldProgress& progress = trained.progress;

  const auto test_data = plugin.problem->dataset(Partition::test, storage.problem_folder(plugin.name) / "data");
  const quantlib::deploy::IntegerNetwork integer =
      integerize_trained(*trained.network, *topology, config, *test_data,
                         "qlhost export " + Logbook::experiment_name(id) + " (" + checkpoint.string() + ")");

  quantlib::deploy::OnnxExportOptions export_options;
  export_options.form = form;
  export_options.input_shape = compare::summary_sample(*test_data, *topology).sizes().vec();
  export_options.input_shape.erase(export_options.input_shape.begin());
  const Params quantize = config.section("network.quantize");
  export_options.metadata = {
      {"problem", plugin.name},
      {"topology", topology->name()},
      {"exp_id", std::to_string(id)},
      {"fold", std::to_string(options.fold)},
      {"checkpoint", checkpoint.filename().string() + " (epoch " + std::to_string(progress.epochs_done) + ")"},
      {"recipe", quantize.keys().empty() ? "none" : quantize.get<std::string>("recipe")},
      {"plugin_version", plugin.version}};
  write_file_atomically(out, quantlib::deploy::onnx_model_bytes(integer, export_options));

  std::cout << "wrote " << out.string() << ": " << plugin.name << "/" << topology->name() << " "
            << Logbook::experiment_name(id) << " fold " << options.fold << " " << checkpoint.filename().string()
            << " (epoch " << progress.epochs_done << "), " << integer.nodes.size()
            << " integer nodes, ONNX opset " << quantlib::deploy::kOnnxOpset << ", form "
            << quantlib::deploy::onnx_form_name(form) << "\n";
  return 0;
}

}  // namespace quantlab
