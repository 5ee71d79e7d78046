// Writes the ONNX models bench/onnx_runtime.sh times in ONNX Runtime: Fashion-
// MNIST's SimpleCNN and ImageNet's ResNet-18, both PACT W8A8, each in the
// float (fp32 reference), qdq and qop forms (quantlib/deploy/OnnxExport.h).
// Speed does not depend on the trained weights, so the networks are built
// fresh, their batch norms and PACT bounds set by forward passes in training
// mode on synthetic normalized 8-bit pixels, then integerized, as
// bench_integer_inference and the ImageNet integerize test do.
//   bench_onnx_export OUT_DIR
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "manager/plugin/PluginLoader.h"
#include "quantlab/AtomicFile.h"
#include "quantlib/deploy/OnnxExport.h"
#include "manager/train/TrainedNetwork.h"
#include "support/CalibratedNetwork.h"

namespace {

namespace fs = std::filesystem;
using quantlib::deploy::OnnxForm;

quantlib::deploy::IntegerNetwork integer_network(const char* plugin_file, const std::string& topology_name,
                                                 const fs::path& config_file,
                                                 const std::vector<std::int64_t>& calibration_shape) {
  const quantlab::LoadedPlugin plugin = quantlab::load_plugin(plugin_file);
  const auto topology = plugin.topology(topology_name);
  quantlab::BuiltNetwork built = quantlab::test::calibrated_network(*topology, config_file, calibration_shape, {}, 10);
  return quantlab::integerize_trained(*built.network, quantlab::test::pixels(calibration_shape),
                                      topology_name + " bench network");
}

void write_forms(const quantlib::deploy::IntegerNetwork& network, const std::vector<std::int64_t>& input_shape,
                 const fs::path& out_dir, const std::string& name) {
  for (const OnnxForm form : {OnnxForm::float32, OnnxForm::qdq, OnnxForm::qop, OnnxForm::integer}) {
    const fs::path file = out_dir / (name + "." + quantlib::deploy::onnx_form_name(form) + ".onnx");
    quantlab::write_file_atomically(file, quantlib::deploy::onnx_model_bytes(network, {input_shape, {}, form}));
    std::cout << file.string() << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: bench_onnx_export OUT_DIR\n";
    return 2;
  }
  const fs::path out_dir = argv[1];
  fs::create_directories(out_dir);
  write_forms(integer_network(QUANTLAB_BENCH_FASHIONMNIST, "SimpleCNN",
                              fs::path(QUANTLAB_BENCH_CONFIGS) / "fashionmnist/SimpleCNN.pact-w8a8.yaml",
                              {64, 1, 28, 28}),
              {1, 28, 28}, out_dir, "simplecnn-w8a8");
  write_forms(integer_network(QUANTLAB_BENCH_IMAGENET, "ResNet",
                              fs::path(QUANTLAB_BENCH_CONFIGS) / "imagenet/ResNet.pact-w8a8.yaml", {8, 3, 224, 224}),
              {3, 224, 224}, out_dir, "resnet18-w8a8");
  return 0;
}
