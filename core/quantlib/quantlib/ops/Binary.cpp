#include "quantlib/ops/Binary.h"

#include <cstdint>
#include <vector>

#include <torch/csrc/autograd/custom_function.h>

#include "quantlab/BuildConfig.h"
#include "quantlib/ops/Channels.h"
#include "quantlib/ops/Dispatch.h"
#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/kernels/BinaryKernels.h"
#include "quantlib/ops/kernels/SignKernels.h"

#if QUANTLAB_WITH_CUDA
#include "quantlib/ops/CudaLaunch.h"
#endif

namespace quantlib::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr const char* kWeightsOp = "binary_weights";
constexpr const char* kActivationsOp = "binary_activations";

using detail::Channels;
using detail::channels_of;

// The per-channel mean |w|, float32 on w's device. w: contiguous, on a device
// with a kernel (checked by the caller).
torch::Tensor mean_magnitudes(const char* op, const torch::Tensor& w, Channels channels) {
  torch::Tensor means;
  detail::on_device(
      op, w.device(),
      [&] {
        std::vector<double> sums(static_cast<size_t>(channels.count), 0.0);
        kernels::cpu::channel_abs_sums(w.data_ptr<float>(), channels.count, channels.size, sums.data());
        means = torch::zeros({channels.count}, torch::kFloat);
        float* out = means.data_ptr<float>();
        if (channels.size > 0)
          for (size_t c = 0; c < sums.size(); ++c)
            out[c] = static_cast<float>(sums[c] / static_cast<double>(channels.size));
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        if (channels.size == 0) {
          means = torch::zeros({channels.count}, w.options());
          return;
        }
        const detail::CudaLaunch launch(w);
        // The sums and means stay on the GPU: no host sync.
        torch::Tensor sums = torch::empty({channels.count}, w.options().dtype(torch::kDouble));
        torch::Tensor workspace = detail::reduction_workspace(w, channels.count, channels.size);
        kernels::cuda::channel_abs_sums(w.data_ptr<float>(), channels.count, channels.size, sums.data_ptr<double>(),
                                        workspace.data_ptr<double>(), launch.stream());
        launch.check();
        means = (sums / static_cast<double>(channels.size)).to(torch::kFloat);
      }
#endif
  );
  return means;
}

void weights_forward_on_device(const torch::Tensor& w, torch::Tensor& y, Channels channels,
                               const torch::Tensor& scales) {
  detail::on_device(
      kWeightsOp, w.device(),
      [&] {
        kernels::cpu::binary_weights_forward(w.data_ptr<float>(), y.data_ptr<float>(), channels.count, channels.size,
                                             scales.data_ptr<float>());
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(w);
        kernels::cuda::binary_weights_forward(w.data_ptr<float>(), y.data_ptr<float>(), channels.count, channels.size,
                                              scales.data_ptr<float>(), launch.stream());
        launch.check();
      }
#endif
  );
}

void activations_forward_on_device(const torch::Tensor& x, torch::Tensor& y) {
  detail::on_device(
      kActivationsOp, x.device(),
      [&] { kernels::cpu::binary_activations_forward(x.data_ptr<float>(), y.data_ptr<float>(), x.numel()); }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        kernels::cuda::binary_activations_forward(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(),
                                                  launch.stream());
        launch.check();
      }
#endif
  );
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
      weights_forward_on_device(input, output, channels, mean_magnitudes(kWeightsOp, input, channels));
    } else {
      activations_forward_on_device(input, output);
    }
    ctx->save_for_backward({input});
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    torch::Tensor grad_x;
    if (ctx->needs_input_grad(0))
      grad_x = detail::clipped_straight_through_grad(kWeightsOp, ctx->get_saved_variables()[0], grad_outputs[0]);
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
  return mean_magnitudes(kWeightsOp, input, channels);
}

}  // namespace quantlib::ops
