#include "quantlib/ops/WeightRange.h"

#include <cmath>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/ops/Inq.h"
#include "quantlib/ops/QuantOpsTesting.h"
#include "quantlib/ops/reference/WeightReference.h"
#include "support/CudaDevices.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace ops = quantlib::ops;
using namespace quantlib::test;

namespace {

torch::Tensor floats(std::vector<float> values) { return torch::tensor(values, torch::kFloat); }

double squared_error(const torch::Tensor& w, float scale, int64_t bits) {
  const torch::Tensor q = ops::reference::symmetric_uniform(w, torch::full({1}, scale), bits);
  return (w.to(torch::kDouble) - q.to(torch::kDouble)).square().sum().item<double>();
}

// The quantization error of uniform INQ levels on [-s, s], through the level
// functions the quantizer freezes with (not the search's own arithmetic).
double levels_error(const torch::Tensor& w, double scale, int64_t n_levels, ops::LevelScaleInit norm) {
  const torch::Tensor magnitudes = ops::inq_uniform_magnitudes(scale, n_levels).unsqueeze(0);
  const torch::Tensor difference = (w - ops::inq_nearest_levels(w, magnitudes)).abs().to(torch::kDouble);
  if (norm == ops::LevelScaleInit::L1Optimal) return difference.sum().item<double>();
  if (norm == ops::LevelScaleInit::L2Optimal) return difference.square().sum().item<double>();
  return difference.max().item<double>();
}

}  // namespace

TEST_CASE("symmetric_weight_scales: max |w| / Q per tensor and per channel", "[weights]") {
  const torch::Tensor w = floats({0.5f, -1.4f, 0.2f, 0.7f, -0.1f, 0.35f}).reshape({2, 3});
  const ops::RangeInit max_init{ops::RangeMethod::Max};
  REQUIRE(torch::allclose(ops::symmetric_weight_scales(w, 4, max_init, false), floats({1.4f / 7})));
  REQUIRE(torch::allclose(ops::symmetric_weight_scales(w, 3, max_init, true), floats({1.4f / 3, 0.7f / 3})));
}

TEST_CASE("symmetric_weight_scales: std clips at k std, never beyond max |w|", "[weights]") {
  auto generator = make_generator(37);
  torch::Tensor w = torch::randn({3, 500}, generator);
  w[2] = w[2] * 0.01;  // a narrow channel
  w[1][7] = 40.0f;     // an outlier: 3 std is far below it
  const ops::RangeInit std_init{ops::RangeMethod::Std, 2.5};
  const torch::Tensor scales = ops::symmetric_weight_scales(w, 5, std_init, true);
  for (int64_t c = 0; c < 3; ++c) {
    const double deviation = w[c].to(torch::kDouble).std(/*unbiased=*/false).item<double>();
    const double clip = std::min(2.5 * deviation, w[c].abs().max().item<double>());
    INFO("channel " << c);
    REQUIRE(scales[c].item<double>() == Approx(clip / 15.0).epsilon(1e-5));
  }
  // Two values: std = 1, 3 std > max |w| = 1, so the clip is max |w|.
  REQUIRE(ops::symmetric_weight_scales(floats({-1.0f, 1.0f}), 2, ops::RangeInit{ops::RangeMethod::Std}, false)
              .item<float>() == 1.0f);
}

TEST_CASE("symmetric_weight_scales: MSE picks the grid clip with the least squared error, each channel its own",
          "[weights]") {
  auto generator = make_generator(41);
  // Heavy tails (a few large weights) make clipping pay.
  const torch::Tensor w = torch::randn({2, 400}, generator) * torch::exp(torch::randn({2, 400}, generator));
  const int64_t bits = 3;
  const ops::RangeInit mse_init{ops::RangeMethod::Mse, 3.0, 50};
  const torch::Tensor scales = ops::symmetric_weight_scales(w, bits, mse_init, true);
  for (int64_t c = 0; c < 2; ++c) {
    INFO("channel " << c);
    const float max_magnitude = w[c].abs().max().item<float>();
    const double chosen = squared_error(w[c], scales[c].item<float>(), bits);
    double best = INFINITY;
    for (int i = 1; i <= 50; ++i) best = std::min(best, squared_error(w[c], max_magnitude * (i / 50.0f) / 3.0f, bits));
    REQUIRE(chosen <= best * (1.0 + 1e-6));
    REQUIRE(chosen < squared_error(w[c], max_magnitude / 3.0f, bits));  // clipping helps here
    // The same as the channel searched on its own.
    REQUIRE(scales[c].item<float>() == ops::symmetric_weight_scales(w[c], bits, mse_init, false).item<float>());
  }
}

TEST_CASE("symmetric_weight_scales: an all-zero channel takes the tensor's scale, an all-zero tensor 1",
          "[weights]") {
  const torch::Tensor w = torch::stack({floats({0.0f, 0.0f}), floats({0.6f, -0.3f})});
  for (const auto method : {ops::RangeMethod::Max, ops::RangeMethod::Std, ops::RangeMethod::Mse}) {
    const torch::Tensor scales = ops::symmetric_weight_scales(w, 2, ops::RangeInit{method}, true);
    REQUIRE(scales[0].item<float>() == Approx(0.6));
    REQUIRE(ops::symmetric_weight_scales(torch::zeros({4}), 4, ops::RangeInit{method}, false).item<float>() == 1.0f);
  }
  REQUIRE_THROWS_WITH(ops::symmetric_weight_scales(w, 1, {}, false), Catch::Contains("bits must be in [2, 24]"));
  REQUIRE_THROWS_WITH(ops::symmetric_weight_scales(w, 4, ops::RangeInit{ops::RangeMethod::Std, -1.0}, false),
                      Catch::Contains("std factor"));
  REQUIRE_THROWS_WITH(ops::symmetric_weight_scales(torch::ones({}), 4, {}, true), Catch::Contains("0-dim"));
}

TEST_CASE("uniform_levels_scales: L2-optimal ternary levels of Gaussian weights are Lloyd-Max's +-1.224 sigma",
          "[inq]") {
  auto generator = make_generator(43);
  const torch::Tensor w = torch::randn({200000}, generator) * 0.05;
  const double s = ops::uniform_levels_scales(w, 3, ops::LevelScaleInit::L2Optimal, false).item<double>();
  REQUIRE(s == Approx(1.224 * 0.05).epsilon(0.02));
}

TEST_CASE("uniform_levels_scales: Linf-optimal ternary levels of dense uniform weights are at 2/3 max |w|", "[inq]") {
  // Max error max(m - s, s / 2) is least at s = 2m / 3.
  const torch::Tensor w = torch::linspace(-0.9, 0.9, 100001);
  const double s = ops::uniform_levels_scales(w, 3, ops::LevelScaleInit::LinfOptimal, false).item<double>();
  REQUIRE(s == Approx(0.6).epsilon(1e-3));
}

TEST_CASE("uniform_levels_scales: no grid point beats the chosen scale, for each norm and channel", "[inq]") {
  auto generator = make_generator(47);
  const torch::Tensor w = torch::randn({3, 300}, generator) * torch::tensor({0.1f, 1.0f, 3.0f}).unsqueeze(1);
  for (const auto norm : {ops::LevelScaleInit::L1Optimal, ops::LevelScaleInit::L2Optimal, ops::LevelScaleInit::LinfOptimal}) {
    for (const int64_t n_levels : {3, 7}) {
      const torch::Tensor scales = ops::uniform_levels_scales(w, n_levels, norm, true);
      for (int64_t c = 0; c < 3; ++c) {
        INFO("norm " << static_cast<int>(norm) << ", n_levels " << n_levels << ", channel " << c);
        const double max_magnitude = w[c].abs().max().item<double>();
        const double chosen = levels_error(w[c], scales[c].item<double>(), n_levels, norm);
        for (int i = 1; i <= 100; ++i)
          REQUIRE(chosen <= levels_error(w[c], max_magnitude * i / 100.0, n_levels, norm) * (1.0 + 1e-5));
        REQUIRE(scales[c].item<float>() ==
                Approx(ops::uniform_levels_scales(w[c], n_levels, norm, false).item<float>()).epsilon(1e-6));
      }
    }
  }
  REQUIRE(torch::equal(ops::uniform_levels_scales(w, 3, ops::LevelScaleInit::MaxMagnitude, true),
                       w.abs().amax(1)));
  REQUIRE(torch::equal(ops::uniform_levels_scales(torch::zeros({2, 3}), 3, ops::LevelScaleInit::L2Optimal, true),
                       torch::zeros({2})));
}

TEST_CASE("weight ranges on CUDA: max, std and MSE scales and the level scales as on the CPU", "[weights][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("the weight range statistics on CUDA are not checked");
  // LibTorch reductions (and symmetric_uniform's CUDA kernel for MSE) on the
  // GPU: max |w| exactly, the rest up to the reductions' order.
  torch::manual_seed(8);
  const torch::Tensor w = 0.3 * torch::randn({6, 4, 3, 3});
  const torch::Tensor w_gpu = w.to(cuda_device());
  for (const bool per_channel : {false, true}) {
    INFO((per_channel ? "per channel" : "per tensor"));
    ops::RangeInit init;
    const torch::Tensor max_scales = ops::symmetric_weight_scales(w_gpu, 4, init, per_channel);
    REQUIRE(max_scales.is_cuda());
    REQUIRE(torch::equal(max_scales.cpu(), ops::symmetric_weight_scales(w, 4, init, per_channel)));
    for (const auto method : {ops::RangeMethod::Std, ops::RangeMethod::Mse}) {
      init.method = method;
      INFO((method == ops::RangeMethod::Std ? "std" : "mse"));
      const torch::Tensor cpu = ops::symmetric_weight_scales(w, 4, init, per_channel);
      REQUIRE(torch::allclose(ops::symmetric_weight_scales(w_gpu, 4, init, per_channel).cpu(), cpu, 1e-5, 0.0));
    }
    const torch::Tensor levels = ops::uniform_levels_scales(w_gpu, 3, ops::LevelScaleInit::MaxMagnitude, per_channel);
    REQUIRE(torch::equal(levels.cpu(), ops::uniform_levels_scales(w, 3, ops::LevelScaleInit::MaxMagnitude, per_channel)));
    const torch::Tensor l2 = ops::uniform_levels_scales(w_gpu, 3, ops::LevelScaleInit::L2Optimal, per_channel);
    REQUIRE(torch::allclose(l2.cpu(), ops::uniform_levels_scales(w, 3, ops::LevelScaleInit::L2Optimal, per_channel),
                            1e-3, 0.0));
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
