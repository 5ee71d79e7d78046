#include "support/IntegerAgreement.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "manager/train/TrainedNetwork.h"
#include "quantlab/AtomicFile.h"
#include "quantlib/deploy/FastIntegerNetwork.h"
#include "quantlib/deploy/OnnxExport.h"
#include "quantlib/deploy/OnnxRuntimeRunner.h"
#include "quantlib/graph/Layer.h"
#include "quantlib/nn/Block.h"
#include "support/CalibratedNetwork.h"
#include "support/RequantCheck.h"
#include "support/TempDir.h"

namespace quantlab::test {
namespace {

struct Outputs : quantlib::nn::LayerObserver {
  std::unordered_map<const torch::nn::Module*, std::string> names;
  std::map<std::string, torch::Tensor> by_layer;
  void observe(const torch::nn::Module& layer, const torch::Tensor&, const torch::Tensor& output) override {
    by_layer[names.at(&layer)] = output.detach().clone();
  }
};

bool equal_values(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

}  // namespace

IntegerAgreement integerize_config(const Topology& topology, const std::filesystem::path& config,
                                   const std::vector<std::string>& overrides,
                                   const std::vector<std::int64_t>& input_shape) {
  const BuiltNetwork built = calibrated_network(topology, config, input_shape, overrides);
  Network& network = *built.network;
  torch::NoGradGuard no_grad;
  const torch::Tensor x = pixels(input_shape);
  const auto integer = integerize_trained(network, x, "test network");
  Outputs reference;
  reference.names = quantlib::graph::names_by_module(network);
  torch::Tensor logits;
  {
    quantlib::nn::ObserveLayers observing(reference);
    logits = network.forward(integer.quantize_input(x));
  }
  IntegerAgreement agreement;
  agreement.samples = x.size(0);
  // Every requantized activation against the reference, then the reference's
  // integers go forward in its place.
  RequantJudge judge(integer, x.size(0));
  integer.run(x, quantlib::deploy::ProductKernels::fastest_exact, [&](std::size_t id, const torch::Tensor& output) {
    const auto& node = integer.nodes[id];
    const auto found = reference.by_layer.find(node.name);
    // A layer's output quantizer is named after the layer; its input
    // quantizer too, but the observer sees the layer's output, not that.
    const bool layer_output = node.origin.find(" input quantizer)") == std::string::npos;
    if (node.op != quantlib::deploy::OpKind::Requant || !layer_output || found == reference.by_layer.end() ||
        node.scale.numel() != 1)
      return judge.pass(output);
    return judge.judge(id, output, found->second);
  });
  agreement.requantized = judge.total().elements;
  agreement.requantized_differing = judge.total().differing;
  agreement.requantized_unexplained = judge.total().unexplained;
  const torch::Tensor exact = judge.total().sample_differs.logical_not();
  agreement.exact_samples = exact.sum().item<std::int64_t>();
  agreement.argmax_equal_where_exact =
      integer.forward(x).argmax(1).eq(logits.argmax(1)).logical_and(exact).sum().item<std::int64_t>();
  const quantlib::deploy::FastIntegerNetwork fast(integer);
  const auto exact_values = integer.run(x);
  agreement.fast_equal = equal_values(fast.run(x), exact_values) && torch::equal(fast.forward(x), exact_values.back());
  agreement.fast_exact_convolutions = std::count_if(fast.exact_layers().begin(), fast.exact_layers().end(),
                                                    [](const auto& layer) { return layer.op == std::string("Conv2d"); });
  agreement.fast_path = fast.describe();
  TempDir dir;
  quantlib::deploy::OnnxExportOptions options;
  options.input_shape = std::vector<std::int64_t>(input_shape.begin() + 1, input_shape.end());
  options.form = quantlib::deploy::OnnxForm::integer;
  write_file_atomically(dir / "network.onnx", quantlib::deploy::onnx_model_bytes(integer, options));
  quantlib::deploy::check_onnx_file(dir / "network.onnx");
  const torch::Tensor logits_exact = integer.forward(x);
  agreement.onnx_equal = torch::equal(run_in_onnxruntime(dir / "network.onnx", x, dir.path()), logits_exact);
  // The QDQ form (ONNX Runtime's int8 kernels, their own rounding).
  options.form = quantlib::deploy::OnnxForm::qdq;
  write_file_atomically(dir / "network.qdq.onnx", quantlib::deploy::onnx_model_bytes(integer, options));
  quantlib::deploy::check_onnx_file(dir / "network.qdq.onnx");
  const torch::Tensor logits_qdq = run_in_onnxruntime(dir / "network.qdq.onnx", x, dir.path());
  agreement.qdq_ran = logits_qdq.sizes() == logits_exact.sizes();
  if (agreement.qdq_ran) {
    agreement.qdq_argmax_equal = logits_qdq.argmax(1).eq(logits_exact.argmax(1)).sum().item<std::int64_t>();
    const torch::Tensor step = integer.nodes.back().dequant_scales[0].to(torch::kFloat).reshape({1, -1});
    const torch::Tensor apart = (logits_qdq - logits_exact).abs().div(step);
    agreement.qdq_within_one_step = apart.le(1.0).to(torch::kDouble).mean().item<double>();
    agreement.qdq_worst_steps = apart.max().item<double>();
  }
  return agreement;
}

void check_integer_agreement(const IntegerAgreement& agreement) {
  CHECK(agreement.argmax_equal_where_exact == agreement.exact_samples);
  CHECK(agreement.requantized > 0);
  // Only the float32 rounding of the fake-quantized network's own sums may
  // flip a value, one that sits on a rounding boundary, by one step.
  UNSCOPED_INFO(agreement.requantized_differing << " of " << agreement.requantized << " requantized values differ");
  CHECK(agreement.requantized_unexplained == 0);
  CHECK(agreement.onnx_equal);
  CHECK(agreement.qdq_ran);
  UNSCOPED_INFO("QDQ form: argmax of " << agreement.qdq_argmax_equal << " of " << agreement.samples
                                       << " samples equal to the integer network's; " << agreement.qdq_within_one_step
                                       << " of the logits within one output step, worst " << agreement.qdq_worst_steps
                                       << " steps");
  // The fast integer path gives the same integers at every node, and runs
  // every convolution of these 8-bit-or-narrower networks on oneDNN's int8
  // kernels where they are exact (the classifier after global pooling reads
  // the pool's sums, wider than 8 bits: it may stay on the exact executor).
  UNSCOPED_INFO("fast path: " << agreement.fast_path);
  CHECK(agreement.fast_equal);
  if (!quantlib::deploy::FastIntegerNetwork::kernels_unavailable()) CHECK(agreement.fast_exact_convolutions == 0);
}

}  // namespace quantlab::test
