#include "quantlib/ops/Ternary.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include <torch/csrc/autograd/custom_function.h>

#include "quantlib/ops/Channels.h"
#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/kernels/SignKernels.h"
#include "quantlib/ops/kernels/TernaryKernels.h"

namespace quantlib::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr const char* kWeightsOp = "ternary_weights";
constexpr const char* kActivationsOp = "ternary_activations";

using detail::Channels;
using detail::channels_of;

struct Levels {
  std::vector<float> thresholds;
  std::vector<float> scales;
};

// Two passes over w: the mean magnitude gives delta, then the mean magnitude
// above delta gives a. w: contiguous, on the CPU (checked by the caller).
Levels levels_of(const torch::Tensor& w, Channels channels, double threshold_factor) {
  const auto count = static_cast<size_t>(channels.count);
  Levels levels{std::vector<float>(count, 0.0f), std::vector<float>(count, 0.0f)};
  if (channels.size == 0) return levels;
  std::vector<double> sums(count, 0.0);
  kernels::cpu::channel_abs_sums(w.data_ptr<float>(), channels.count, channels.size, sums.data());
  for (size_t c = 0; c < count; ++c)
    levels.thresholds[c] = static_cast<float>(threshold_factor * (sums[c] / static_cast<double>(channels.size)));
  std::vector<int64_t> counts(count, 0);
  kernels::cpu::channel_abs_sums_above(w.data_ptr<float>(), channels.count, channels.size, levels.thresholds.data(),
                                       sums.data(), counts.data());
  for (size_t c = 0; c < count; ++c)
    if (counts[c] > 0) levels.scales[c] = static_cast<float>(sums[c] / static_cast<double>(counts[c]));
  return levels;
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
      const Levels levels = levels_of(input, channels, threshold);
      kernels::cpu::ternary_weights_forward(input.data_ptr<float>(), output.data_ptr<float>(), channels.count,
                                            channels.size, levels.thresholds.data(), levels.scales.data());
    } else {
      kernels::cpu::ternary_activations_forward(input.data_ptr<float>(), output.data_ptr<float>(), input.numel(),
                                                static_cast<float>(threshold));
    }
    ctx->save_for_backward({input});
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    torch::Tensor grad_x;
    if (ctx->needs_input_grad(0))
      grad_x = detail::clipped_straight_through_grad(ctx->get_saved_variables()[0], grad_outputs[0]);
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
  return {torch::tensor(levels.thresholds, torch::kFloat).reshape({channels.count}),
          torch::tensor(levels.scales, torch::kFloat).reshape({channels.count})};
}

}  // namespace quantlib::ops
