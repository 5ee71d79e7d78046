// training.amp: autocast over the float layers with quantizers in float32,
// and fp16's dynamic loss scale (skipped steps, the scale's updates, its
// place in checkpoints). bf16 and fp16 autocast run on the CPU too.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "manager/train/Checkpoint.h"
#include "manager/train/MixedPrecision.h"
#include "quantlib/algorithms/pact/PactQuantizer.h"
#include <ATen/autocast_mode.h>
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
using Amp = ExperimentConfig::Amp;

const torch::Device kCpu(torch::kCPU);

TEST_CASE("under bf16 autocast a linear layer computes in bf16 and a quantizer after it in float32", "[amp]") {
  torch::nn::Linear layer(4, 3);
  quantlib::nn::PactQuantizer quantizer(8, quantlib::ops::Signedness::Unsigned, 2.0);
  const torch::Tensor x = torch::randn({2, 4});
  const MixedPrecision amp(Amp::bf16, kCpu);
  {
    const MixedPrecision::Autocast autocast(amp);
    const torch::Tensor hidden = layer->forward(x);
    CHECK(hidden.scalar_type() == torch::kBFloat16);
    const torch::Tensor quantized = quantizer.forward(hidden);
    CHECK(quantized.scalar_type() == torch::kFloat);
    // The grid is the float32 one: the quantized values are alpha / 255 multiples.
    const torch::Tensor levels = quantized / (2.0 / 255);
    CHECK(torch::allclose(levels, levels.round(), 0, 1e-4));
  }
  CHECK_FALSE(at::autocast::is_autocast_enabled(torch::kCPU));
  CHECK(layer->forward(x).scalar_type() == torch::kFloat);
}

TEST_CASE("off and bf16 leave the loss unscaled and always step", "[amp]") {
  for (const Amp mode : {Amp::off, Amp::bf16}) {
    MixedPrecision amp(mode, kCpu);
    torch::Tensor weight = torch::ones({2}, torch::requires_grad());
    torch::optim::SGD sgd({weight}, torch::optim::SGDOptions(1.0));
    const torch::Tensor loss = (weight * 3).sum();
    CHECK(amp.scaled(loss).item<float>() == 6.0f);
    amp.scaled(loss).backward();
    CHECK(amp.step(sgd));
    CHECK(weight.detach().equal(torch::full({2}, -2.0f)));
    CHECK(amp.state().empty());
  }
}

TEST_CASE("fp16 scales the loss, unscales the gradients, skips a step that overflowed and halves the scale",
          "[amp]") {
  MixedPrecision amp(Amp::fp16, kCpu);
  CHECK(amp.scale() == 65536.0);
  torch::Tensor weight = torch::ones({2}, torch::requires_grad());
  torch::optim::SGD sgd({weight}, torch::optim::SGDOptions(1.0));

  amp.scaled((weight * 3).sum()).backward();
  CHECK(weight.grad().equal(torch::full({2}, 3.0f * 65536)));
  CHECK(amp.step(sgd));
  CHECK(weight.detach().equal(torch::full({2}, -2.0f)));  // the step used the unscaled gradient 3
  CHECK(amp.skipped_steps() == 0);

  sgd.zero_grad();
  amp.scaled((weight * std::numeric_limits<float>::infinity()).sum()).backward();
  CHECK_FALSE(amp.step(sgd));
  CHECK(weight.detach().equal(torch::full({2}, -2.0f)));  // unchanged
  CHECK(amp.skipped_steps() == 1);
  CHECK(amp.scale() == 32768.0);
  const std::vector<double> state = amp.state();
  REQUIRE(state.size() == 2);
  CHECK(state[0] == 32768.0);
  CHECK(state[1] == 0.0);
}

TEST_CASE("fp16's loss scale is saved in checkpoints and restored on resume", "[amp][checkpoint]") {
  test::TempDir dir;
  torch::nn::Linear layer(2, 1);
  torch::optim::SGD sgd(layer->parameters(), torch::optim::SGDOptions(0.1));
  StagedLrSchedule schedule;
  quantlib::Controllers controllers;
  MixedPrecision amp(Amp::fp16, kCpu);
  amp.load_state({1024.0, 17.0});
  save_checkpoint(dir / "a.ckpt", {0, 1, 0.5, 1}, {*layer, sgd, schedule, controllers, &amp});

  MixedPrecision restored(Amp::fp16, kCpu);
  load_checkpoint(dir / "a.ckpt", {*layer, sgd, schedule, controllers, &restored});
  CHECK(restored.state() == std::vector<double>{1024.0, 17.0});

  // A checkpoint of a run without a loss scale leaves the initial one.
  save_checkpoint(dir / "b.ckpt", {0, 1, 0.5, 1}, {*layer, sgd, schedule, controllers, nullptr});
  MixedPrecision fresh(Amp::fp16, kCpu);
  load_checkpoint(dir / "b.ckpt", {*layer, sgd, schedule, controllers, &fresh});
  CHECK(fresh.scale() == 65536.0);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
