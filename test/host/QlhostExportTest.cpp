// `qlhost export` end to end: a tiny trained PACT W8A8 SimpleCNN on
// Fashion-MNIST exported to ONNX (the default qdq form), checked by ONNX's
// checker and run in ONNX Runtime against the integer network; bad input ends with one line, exit
// status 2 and nothing at --out.
#include <catch2/catch.hpp>

#include <sstream>

#include <torch/torch.h>

#include "manager/config/ExperimentConfig.h"
#include "manager/data/Batcher.h"
#include "manager/logbook/Logbook.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/train/Checkpoint.h"
#include "manager/train/TrainedNetwork.h"
#include "manager/train/NetworkBuilder.h"
#include "manager/train/Optimizers.h"
#include "manager/train/Trainer.h"
#include "quantlib/deploy/Integerize.h"
#include "quantlib/deploy/OnnxExport.h"
#include "quantlib/deploy/OnnxRuntimeRunner.h"
#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

namespace {

// One short epoch; `config` empty: the topology's float default.
std::vector<std::string> train(const fs::path& home, const std::string& config) {
  auto extra = test::quick_run({.train_samples = 640, .valid_samples = 200});
  extra.insert(extra.end(), {"--set", "network.params.channels=[8,16]", "--set", "network.params.hidden=32"});
  if (!config.empty()) {
    extra.insert(extra.end(), {"--config", std::string(QUANTLAB_SOURCE_DIR) + "/configs/fashionmnist/" + config,
                               "--set", "network.pretrained=null", "--set", "training.optimizer.params.lr=0.05"});
  }
  return test::qlhost_command("fashionmnist", "SimpleCNN", home, extra);
}

std::vector<std::string> export_args(const fs::path& home, int id, const fs::path& out,
                                     std::vector<std::string> extra = {}) {
  std::vector<std::string> arguments{test::qlhost_path(), "export",      "--plugin", test::plugin_path("fashionmnist"),
                                     "--topology",         "SimpleCNN",   "--home",   home.string(),
                                     "--exp-id",           std::to_string(id), "--out", out.string()};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

fs::path logs(const fs::path& home) { return home / "problems" / "fashionmnist" / "logs"; }

// The experiment's integer network, made in this process the way qlhost
// export makes it: best.ckpt, integerized with the first bs_valid test samples.
struct IntegerReference {
  quantlib::deploy::IntegerNetwork network;
  torch::Tensor samples;
};

IntegerReference integer_reference(const fs::path& home, int id) {
  const auto plugin = load_plugin(test::plugin_path("fashionmnist"));
  const auto topology = plugin.topology("SimpleCNN");
  const Logbook logbook(logs(home));
  const auto config_file = logbook.config_file(id);
  const ExperimentConfig config = ExperimentConfig::parse(load_yaml_file(config_file), config_file.string());
  TrainedNetwork trained =
      load_trained_network(*topology, *plugin.problem->meter(), config, logbook, logbook.best_checkpoint(id, 0));
  const auto data = plugin.problem->dataset(Partition::test, home / "problems" / "fashionmnist" / "data");
  std::vector<std::int64_t> indices(static_cast<std::size_t>(config.bs_valid));
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<std::int64_t>(i);
  IntegerReference reference;
  reference.samples = data::read_batch(*data, *topology, indices, false, *config.seed).input;
  reference.network = integerize_trained(*trained.network, reference.samples, "reference");
  return reference;
}

}  // namespace

TEST_CASE("qlhost export writes a PACT W8A8 SimpleCNN that ONNX Runtime runs as the integer network",
          "[host][onnx]") {
  test::TempDir home;
  const auto trained = test::run_process(train(home.path(), "SimpleCNN.pact-w8a8.yaml"));
  INFO(trained.output);
  REQUIRE(trained.status == 0);

  const fs::path model = home / "model.onnx";
  const auto exported = test::run_process(export_args(home.path(), 0, model));
  INFO(exported.output);
  REQUIRE(exported.status == 0);
  CHECK_THAT(exported.output, Catch::Contains("wrote " + model.string()));

  const auto info = quantlib::deploy::check_onnx_file(model);
  CHECK(info.opset == quantlib::deploy::kOnnxOpset);
  CHECK(info.metadata.at("quantlab.onnx_form") == "qdq");  // the default form
  CHECK(info.metadata.at("problem") == "fashionmnist");
  CHECK(info.metadata.at("topology") == "SimpleCNN");
  CHECK(info.metadata.at("exp_id") == "0");
  CHECK(info.metadata.at("fold") == "0");
  CHECK(info.metadata.at("recipe") == "rules");
  CHECK_THAT(info.metadata.at("checkpoint"), Catch::StartsWith("best.ckpt"));
  CHECK(info.metadata.at("bits.activations") == "relu1: 8u, relu2: 8u, relu3: 8u");
  CHECK(info.metadata.at("bits.weights") == "conv1: 8s, conv2: 8s, fc1: 8s, fc2: 8s");
  CHECK(info.metadata.at("input.bits") == "8");
  CHECK(info.metadata.count("input.normalization"));
  CHECK_THAT(exported.output, Catch::Contains("form qdq"));
  // conv1, conv2 and fc1 each requantized alone: int8 weights, int32 biases, what ONNX Runtime fuses.
  CHECK(std::count(info.op_types.begin(), info.op_types.end(), "QuantizeLinear") == 4);  // input + 3 activations
  CHECK(std::count(info.initializer_types.begin(), info.initializer_types.end(), "INT32") == 3);
  CHECK(info.metadata.at("quantlab.float_layers") == "fc2");

  // The integer form is exact: within one output step of the integer network.
  const fs::path integer_model = home / "integer.onnx";
  const auto exported_integer =
      test::run_process(export_args(home.path(), 0, integer_model, {"--onnx-form", "integer"}));
  INFO(exported_integer.output);
  REQUIRE(exported_integer.status == 0);
  CHECK(quantlib::deploy::check_onnx_file(integer_model).metadata.count("quantlab.onnx_form") == 0);

  const IntegerReference reference = integer_reference(home.path(), 0);
  const torch::Tensor x = reference.samples.slice(0, 0, 100);
  const torch::Tensor expected = reference.network.forward(x);
  const torch::Tensor step =
      reference.network.nodes.back().dequant_scales[0].to(torch::kFloat).reshape({1, -1});
  for (const auto& file : {model, integer_model}) {
    INFO(file.filename().string());
    const torch::Tensor actual = test::run_in_onnxruntime(file, x, home.path());
    REQUIRE(actual.sizes() == expected.sizes());
    const torch::Tensor apart = (actual - expected).abs().div(step);
    INFO("worst difference " << apart.max().item<double>() << " output steps, "
                             << apart.le(1.0).to(torch::kDouble).mean().item<double>() << " within one");
    // qdq rounds the requant biases to the accumulator grid (OnnxExport.h), so
    // a rare activation moves by one level; the argmax holds.
    if (file == integer_model) {
      CHECK(apart.max().item<double>() <= 1.0);
      CHECK(torch::equal(actual.argmax(1), expected.argmax(1)));
    } else if (!test::int8_products_exact_here()) {
      WARN("uint8 x int8 products saturate on this CPU (no VNNI): the qdq bounds are not checked");
    } else {
      CHECK(apart.le(1.0).to(torch::kDouble).mean().item<double>() >= 0.85);
      CHECK(torch::equal(actual.argmax(1), expected.argmax(1)));
    }
  }
  // The trained network tells classes apart, so equal argmaxes mean something.
  CHECK(std::get<0>(torch::_unique(expected.argmax(1))).numel() >= 3);
}

TEST_CASE("qlhost export refuses bad input with one line and exit status 2, writing nothing at --out",
          "[host][onnx]") {
  test::TempDir home;
  const auto trained = test::run_process(train(home.path(), ""));  // float weights: integerize refuses conv1
  INFO(trained.output);
  REQUIRE(trained.status == 0);
  const fs::path out = home / "out";
  fs::create_directories(out);
  const fs::path model = out / "model.onnx";

  struct Case {
    std::vector<std::string> arguments;
    std::string message;
  };
  const std::vector<Case> cases{
      {export_args(home.path(), 0, model, {"--format", "tflite"}), "--format tflite: expected onnx"},
      {export_args(home.path(), 0, model, {"--onnx-form", "int8"}),
       "--onnx-form int8: expected qdq, qop, integer or float"},
      {export_args(home.path(), 5, model), "experiment 5 does not exist"},
      {export_args(home.path(), 0, out), "is a directory"},
      {export_args(home.path(), 0, model, {"--fold", "3"}), "--fold 3"},
      {export_args(home.path(), 0, model, {"--checkpoint", "newest"}), "--checkpoint newest"},
      {export_args(home.path(), 0, model), "layer 'conv1' (Conv2d)"},
  };
  for (const auto& bad : cases) {
    const auto result = test::run_process(bad.arguments);
    INFO(result.output);
    CHECK(result.status == 2);
    const auto errors = test::error_lines(result.output);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::Contains(bad.message));
    // Nothing at --out, not even a temporary.
    CHECK(fs::is_empty(out));
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
