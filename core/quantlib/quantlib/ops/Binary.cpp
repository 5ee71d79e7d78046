#include "quantlib/ops/Binary.h"

#include <cstdint>
#include <vector>

#include <torch/csrc/autograd/custom_function.h>

#include "quantlib/ops/Channels.h"
#include "quantlib/ops/Dispatch.h"
#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/kernels/BinaryKernels.h"
#include "quantlib/ops/kernels/SignKernels.h"

namespace quantlib::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr const char* kWeightsOp = "binary_weights";
constexpr const char* kActivationsOp = "binary_activations";

using detail::Channels;
using detail::channels_of;

// w: contiguous, on a device with a kernel (checked by the caller).
std::vector<float> mean_magnitudes(const char* op, const torch::Tensor& w, Channels channels) {
  std::vector<double> sums(static_cast<size_t>(channels.count), 0.0);
  detail::on_device(op, w.device(), [&] {
    kernels::cpu::channel_abs_sums(w.data_ptr<float>(), channels.count, channels.size, sums.data());
  });
  std::vector<float> means(sums.size(), 0.0f);
  if (channels.size > 0)
    for (size_t c = 0; c < sums.size(); ++c) means[c] = static_cast<float>(sums[c] / static_cast<double>(channels.size));
  return means;
}

void check_input(const char* op, const char* name, const torch::Tensor& x, bool per_channel) {
  detail::check_float_tensor(op, name, x);
  detail::check_device_has_kernel(op, x);
  TORCH_CHECK(!per_channel || x.dim() >= 1, op, ": per-channel scales need a tensor with a dim 0, got a 0-dim ",
              name);
}

class BinaryFunction : public torch::autograd::Function<BinaryFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, bool weights, bool per_channel) {
    const torch::Tensor input = x.contiguous();
    torch::Tensor output = torch::empty_like(input, torch::MemoryFormat::Contiguous);
    if (weights) {
      const Channels channels = channels_of(input, per_channel);
      const std::vector<float> scales = mean_magnitudes(kWeightsOp, input, channels);
      kernels::cpu::binary_weights_forward(input.data_ptr<float>(), output.data_ptr<float>(), channels.count,
                                           channels.size, scales.data());
    } else {
      kernels::cpu::binary_activations_forward(input.data_ptr<float>(), output.data_ptr<float>(), input.numel());
    }
    ctx->save_for_backward({input});
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    torch::Tensor grad_x;
    if (ctx->needs_input_grad(0))
      grad_x = detail::clipped_straight_through_grad(ctx->get_saved_variables()[0], grad_outputs[0]);
    return {grad_x, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor binary_weights(const torch::Tensor& w, bool per_channel) {
  check_input(kWeightsOp, "w", w, per_channel);
  return BinaryFunction::apply(w, /*weights=*/true, per_channel);
}

torch::Tensor binary_activations(const torch::Tensor& x) {
  check_input(kActivationsOp, "x", x, false);
  return BinaryFunction::apply(x, /*weights=*/false, false);
}

torch::Tensor binary_weight_scales(const torch::Tensor& w, bool per_channel) {
  check_input(kWeightsOp, "w", w, per_channel);
  const torch::Tensor input = w.detach().contiguous();
  const Channels channels = channels_of(input, per_channel);
  const std::vector<float> scales = mean_magnitudes(kWeightsOp, input, channels);
  return torch::tensor(scales, torch::kFloat).reshape({channels.count});
}

}  // namespace quantlib::ops
