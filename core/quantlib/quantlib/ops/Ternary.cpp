#include "quantlib/ops/Ternary.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include <torch/csrc/autograd/custom_function.h>

#include "quantlab/BuildConfig.h"
#include "quantlib/ops/Channels.h"
#include "quantlib/ops/Dispatch.h"
#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/kernels/SignKernels.h"
#include "quantlib/ops/kernels/TernaryKernels.h"

#if QUANTLAB_WITH_CUDA
#include "quantlib/ops/CudaLaunch.h"
#endif

namespace quantlib::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr const char* kWeightsOp = "ternary_weights";
constexpr const char* kActivationsOp = "ternary_activations";

using detail::Channels;
using detail::channels_of;

// Per channel, float32 on w's device.
struct Levels {
  torch::Tensor thresholds;
  torch::Tensor scales;
};

// Two passes over w: the mean magnitude gives delta, then the mean magnitude
// above delta gives a. w: contiguous, on a device with a kernel (checked by the caller).
Levels levels_of(const torch::Tensor& w, Channels channels, double threshold_factor) {
  Levels levels{torch::zeros({channels.count}, w.options()), torch::zeros({channels.count}, w.options())};
  if (channels.size == 0) return levels;
  detail::on_device(
      kWeightsOp, w.device(),
      [&] {
        const auto count = static_cast<size_t>(channels.count);
        float* thresholds = levels.thresholds.data_ptr<float>();
        float* scales = levels.scales.data_ptr<float>();
        std::vector<double> sums(count, 0.0);
        kernels::cpu::channel_abs_sums(w.data_ptr<float>(), channels.count, channels.size, sums.data());
        for (size_t c = 0; c < count; ++c)
          thresholds[c] = static_cast<float>(threshold_factor * (sums[c] / static_cast<double>(channels.size)));
        std::vector<int64_t> counts(count, 0);
        kernels::cpu::channel_abs_sums_above(w.data_ptr<float>(), channels.count, channels.size, thresholds,
                                             sums.data(), counts.data());
        for (size_t c = 0; c < count; ++c)
          if (counts[c] > 0) scales[c] = static_cast<float>(sums[c] / static_cast<double>(counts[c]));
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        // The same double arithmetic on the GPU: no host sync.
        const detail::CudaLaunch launch(w);
        const auto doubles = w.options().dtype(torch::kDouble);
        torch::Tensor sums = torch::empty({channels.count}, doubles);
        torch::Tensor counts = torch::empty({channels.count}, doubles);
        torch::Tensor workspace = detail::reduction_workspace(w, channels.count, channels.size);
        kernels::cuda::channel_abs_sums(w.data_ptr<float>(), channels.count, channels.size, sums.data_ptr<double>(),
                                        workspace.data_ptr<double>(), launch.stream());
        launch.check();
        levels.thresholds = ((sums / static_cast<double>(channels.size)) * threshold_factor).to(torch::kFloat);
        kernels::cuda::channel_abs_sums_above(w.data_ptr<float>(), channels.count, channels.size,
                                              levels.thresholds.data_ptr<float>(), sums.data_ptr<double>(),
                                              counts.data_ptr<double>(), workspace.data_ptr<double>(),
                                              launch.stream());
        launch.check();
        levels.scales =
            torch::where(counts > 0, sums / counts.clamp_min(1.0), torch::zeros_like(sums)).to(torch::kFloat);
      }
#endif
  );
  return levels;
}

void weights_forward_on_device(const torch::Tensor& w, torch::Tensor& y, Channels channels, const Levels& levels) {
  detail::on_device(
      kWeightsOp, w.device(),
      [&] {
        kernels::cpu::ternary_weights_forward(w.data_ptr<float>(), y.data_ptr<float>(), channels.count,
                                              channels.size, levels.thresholds.data_ptr<float>(),
                                              levels.scales.data_ptr<float>());
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(w);
        kernels::cuda::ternary_weights_forward(w.data_ptr<float>(), y.data_ptr<float>(), channels.count,
                                               channels.size, levels.thresholds.data_ptr<float>(),
                                               levels.scales.data_ptr<float>(), launch.stream());
        launch.check();
      }
#endif
  );
}

void activations_forward_on_device(const torch::Tensor& x, torch::Tensor& y, float threshold) {
  detail::on_device(
      kActivationsOp, x.device(),
      [&] {
        kernels::cpu::ternary_activations_forward(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(), threshold);
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        kernels::cuda::ternary_activations_forward(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(), threshold,
                                                   launch.stream());
        launch.check();
      }
#endif
  );
}

void check_input(const char* op, const char* name, const torch::Tensor& x, bool per_channel) {
  detail::check_float_tensor(op, name, x);
  detail::check_device_has_kernel(op, x);
  TORCH_CHECK(!per_channel || x.dim() >= 1, op, ": per-channel levels need a tensor with a dim 0, got a 0-dim ",
              name);
}

void check_threshold(const char* op, const char* name, double value) {
  TORCH_CHECK(std::isfinite(value) && value >= 0.0, op, ": ", name, " must be non-negative and finite, got ", value);
}

class TernaryFunction : public torch::autograd::Function<TernaryFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, bool weights, bool per_channel,
                               double threshold) {
    const torch::Tensor input = x.contiguous();
    torch::Tensor output = torch::empty_like(input, torch::MemoryFormat::Contiguous);
    if (weights) {
      const Channels channels = channels_of(input, per_channel);
      weights_forward_on_device(input, output, channels, levels_of(input, channels, threshold));
    } else {
      activations_forward_on_device(input, output, static_cast<float>(threshold));
    }
    ctx->save_for_backward({input});
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    torch::Tensor grad_x;
    if (ctx->needs_input_grad(0))
      grad_x = detail::clipped_straight_through_grad(kWeightsOp, ctx->get_saved_variables()[0], grad_outputs[0]);
    return {grad_x, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor ternary_weights(const torch::Tensor& w, bool per_channel, double threshold_factor) {
  check_input(kWeightsOp, "w", w, per_channel);
  check_threshold(kWeightsOp, "threshold_factor", threshold_factor);
  return TernaryFunction::apply(w, /*weights=*/true, per_channel, threshold_factor);
}

torch::Tensor ternary_activations(const torch::Tensor& x, double threshold) {
  check_input(kActivationsOp, "x", x, false);
  check_threshold(kActivationsOp, "threshold", threshold);
  return TernaryFunction::apply(x, /*weights=*/false, false, threshold);
}

TernaryWeightLevels ternary_weight_levels(const torch::Tensor& w, bool per_channel, double threshold_factor) {
  check_input(kWeightsOp, "w", w, per_channel);
  check_threshold(kWeightsOp, "threshold_factor", threshold_factor);
  const torch::Tensor input = w.detach().contiguous();
  const Channels channels = channels_of(input, per_channel);
  const Levels levels = levels_of(input, channels, threshold_factor);
  return {levels.thresholds, levels.scales};
}

}  // namespace quantlib::ops
