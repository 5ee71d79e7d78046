#include <catch2/catch.hpp>

#include <cmath>

#include <torch/torch.h>

#include "quantlib/nn/Block.h"
#include "quantlib/select/Hutchinson.h"
#include "quantlib/select/Probe.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlib;

// conv1 takes the input; relu1 feeds conv2 through a max-pool; conv3 takes
// conv2's output directly (no ReLU between), so it gets its own input
// quantizer; relu3 feeds two linear layers, so neither owns it.
class Net : public nn::Block {
 public:
  Net() {
    add("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3).padding(1)));
    add("relu1", torch::nn::ReLU());
    add("pool1", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
    add("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 6, 3).padding(1)));
    add("conv3", torch::nn::Conv2d(torch::nn::Conv2dOptions(6, 2, 1)));
    add("relu3", torch::nn::ReLU());
    add("fc_a", torch::nn::Linear(2 * 4 * 4, 3));
    add("fc_b", torch::nn::Linear(2 * 4 * 4, 3));
  }
  torch::Tensor forward(const torch::Tensor& input) {
    torch::Tensor x = call("pool1", call("relu1", call("conv1", input)));
    x = call("relu3", call("conv3", call("conv2", x))).flatten(1);
    return call("fc_a", x) + call("fc_b", x);
  }
};

TEST_CASE("quantizable_layers finds each layer's size, work and the activation that feeds it",
          "[select][probe]") {
  torch::manual_seed(1);
  auto net = std::make_shared<Net>();
  const auto layers = select::quantizable_layers(*net, torch::randn({2, 1, 8, 8}),
                                                 [&net](const torch::Tensor& x) { return net->forward(x); });
  REQUIRE(layers.size() == 5);
  CHECK(layers[0].name == "conv1");
  CHECK(layers[0].feed == select::QuantizableLayer::Feed::NetworkInput);
  CHECK_FALSE(layers[0].has_activation());
  CHECK(layers[0].parameters == 36);
  CHECK(layers[0].macs == 4 * 8 * 8 * 9);
  CHECK(layers[0].input_elements == 64);
  CHECK(layers[1].name == "conv2");
  CHECK(layers[1].feed == select::QuantizableLayer::Feed::Relu);
  CHECK(layers[1].activation_name() == "relu1");
  CHECK_FALSE(layers[1].input_signed);
  CHECK(layers[1].input_elements == 4 * 4 * 4);
  CHECK(layers[2].name == "conv3");
  CHECK(layers[2].feed == select::QuantizableLayer::Feed::Other);
  CHECK(layers[2].activation_name() == "conv3 input");
  CHECK(layers[2].input_signed);
  CHECK(layers[3].feed == select::QuantizableLayer::Feed::Other);  // relu3 feeds fc_a and fc_b
  CHECK(layers[4].feed == select::QuantizableLayer::Feed::Other);
  CHECK(layers[3].macs == 2 * 4 * 4 * 3);
}

TEST_CASE("activation quantization: levels, the clipping bound of least error, SQNR", "[select][probe]") {
  const torch::Tensor x = torch::tensor({0.0f, 0.1f, 0.5f, 0.9f, 1.0f});
  // Unsigned 2 bits on [0, 0.9]: steps of 0.3.
  const auto q = select::quantize_activation(x, 2, select::ActivationRange{0.9, false});
  CHECK(torch::allclose(q, torch::tensor({0.0f, 0.0f, 0.6f, 0.9f, 0.9f})));
  // Signed 2 bits: one step each side.
  const auto s = select::quantize_activation(torch::tensor({-2.0f, -0.4f, 0.6f}), 2, select::ActivationRange{1.0, true});
  CHECK(torch::equal(s, torch::tensor({-1.0f, -0.0f, 1.0f})));
  // One outlier among many small values: the best bound clips it.
  const torch::Tensor values = torch::cat({torch::rand({100000}) * 0.1, torch::tensor({10.0f})});
  const auto errors = select::clip_errors(values, 4, false, 10.0);
  const auto range = select::best_clip(errors, 10.0, false);
  CHECK(range.clip < 1.0);
  // The chosen bound has the least error among the candidates, and errors of parts add up.
  CHECK(errors.min().item<double>() ==
        (select::quantize_activation(values, 4, range) - values).to(torch::kFloat64).square().sum().item<double>());
  const auto halves = select::clip_errors(values.slice(0, 0, 50000), 4, false, 10.0) +
                      select::clip_errors(values.slice(0, 50000), 4, false, 10.0);
  CHECK(torch::allclose(halves, errors, 1e-9, 1e-6));
  CHECK(select::best_clip(torch::zeros({select::kClipCandidates}, torch::kFloat64), 0.0, true).clip == 1.0);
  CHECK(std::isinf(select::sqnr_db(x, x)));
  CHECK(select::sqnr_db(torch::tensor({3.0, 4.0}), torch::tensor({3.0, 3.0})) == Approx(10.0 * std::log10(25.0)));
}

TEST_CASE("quantize_weight: per channel, on the symmetric grid, more bits closer", "[select][probe]") {
  torch::manual_seed(3);
  const torch::Tensor w = torch::randn({4, 3, 3, 3});
  const auto q2 = select::quantize_weight(w, 2), q4 = select::quantize_weight(w, 4), q8 = select::quantize_weight(w, 8);
  // 2 bits: each channel takes at most the values -s, 0, s.
  for (int64_t c = 0; c < 4; ++c) CHECK(std::get<0>(torch::_unique(q2[c])).numel() <= 3);
  CHECK(select::sqnr_db(w, q2) < select::sqnr_db(w, q4));
  CHECK(select::sqnr_db(w, q4) < select::sqnr_db(w, q8));
}

TEST_CASE("Hutchinson's estimate gives the trace of each weight's Hessian block", "[select][hutchinson]") {
  // loss = sum_i a_i w_i^2 / 2 + sum_j b_j u_j^2 / 2 + c * sum(w) * sum(u): diagonal blocks diag(a) and
  // diag(b); the cross term has expectation zero over the random vectors.
  const torch::Tensor a = torch::tensor({1.0, 2.0, 3.0}, torch::kFloat64);
  const torch::Tensor b = torch::tensor({0.5, 4.0}, torch::kFloat64);
  torch::Tensor w = torch::ones({3}, torch::kFloat64).requires_grad_(true);
  torch::Tensor u = torch::ones({2}, torch::kFloat64).requires_grad_(true);
  const auto loss = [&](int64_t) {
    return (a * w * w).sum() / 2 + (b * u * u).sum() / 2 + 0.0 * w.sum() * u.sum();
  };
  const auto sums = select::hutchinson_trace_sums({w, u}, 1, loss, 4, 9);
  // v^T diag(a) v = sum a for every Rademacher v: exact.
  CHECK(sums[0] == Approx(4 * 6.0));
  CHECK(sums[1] == Approx(4 * 4.5));
  // Chunks add up: two chunks of the same loss double the sum.
  const auto doubled = select::hutchinson_trace_sums({w, u}, 2, loss, 4, 9);
  CHECK(doubled[0] == Approx(2 * sums[0]));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
