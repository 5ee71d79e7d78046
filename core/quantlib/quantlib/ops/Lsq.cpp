#include "quantlib/ops/Lsq.h"

#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ops/_assert_async.h>
#include <torch/csrc/autograd/custom_function.h>

#include "quantlab/BuildConfig.h"
#include "quantlib/ops/Dispatch.h"
#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/kernels/LsqKernels.h"

#if QUANTLAB_WITH_CUDA
#include "quantlib/ops/CudaLaunch.h"
#endif

namespace quantlib::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using kernels::LsqKernelParams;

constexpr const char* kOp = "lsq";

void forward_on_device(const torch::Tensor& x, torch::Tensor& y, const LsqKernelParams& params) {
  detail::on_device(
      kOp, x.device(), [&] { kernels::cpu::lsq_forward(x.data_ptr<float>(), y.data_ptr<float>(), params); }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        kernels::cuda::lsq_forward(x.data_ptr<float>(), y.data_ptr<float>(), params, launch.stream());
        launch.check();
      }
#endif
  );
}

// grad_x may be null when not wanted. Returns the step gradient, one value per
// channel (grad_scale times the channel's sum of the paper's terms, in double),
// when want_grad_step, else an undefined tensor.
torch::Tensor backward_on_device(const torch::Tensor& x, const torch::Tensor& grad_y, const LsqKernelParams& params,
                                 float* grad_x, bool want_grad_step, double grad_scale) {
  torch::Tensor grad_step;
  detail::on_device(
      kOp, x.device(),
      [&] {
        std::vector<double> step_sums(want_grad_step ? params.channels : 0);
        kernels::cpu::lsq_backward(x.data_ptr<float>(), grad_y.data_ptr<float>(), params, grad_x,
                                   want_grad_step ? step_sums.data() : nullptr);
        if (want_grad_step) {
          grad_step = torch::empty({params.channels}, x.options());
          float* out = grad_step.data_ptr<float>();
          for (int64_t channel = 0; channel < params.channels; ++channel)
            out[channel] = static_cast<float>(grad_scale * step_sums[channel]);
        }
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        // The sums stay on the GPU: no host sync.
        torch::Tensor step_sums;
        torch::Tensor workspace;
        if (want_grad_step) {
          step_sums = torch::empty({params.channels}, x.options().dtype(torch::kDouble));
          workspace = detail::reduction_workspace(x, params.channels, params.channel_size);
        }
        kernels::cuda::lsq_backward(x.data_ptr<float>(), grad_y.data_ptr<float>(), params, grad_x,
                                    want_grad_step ? step_sums.data_ptr<double>() : nullptr,
                                    want_grad_step ? workspace.data_ptr<double>() : nullptr, launch.stream());
        launch.check();
        if (want_grad_step) grad_step = (step_sums * grad_scale).to(torch::kFloat);
      }
#endif
  );
  return grad_step;
}

// steps: the contiguous per-channel step values, kept alive by the caller.
LsqKernelParams params_for(const torch::Tensor& x, const torch::Tensor& steps, int64_t bits,
                           Signedness signedness) {
  const auto range = detail::twos_complement_range(bits, signedness);
  LsqKernelParams params{};
  params.steps = steps.data_ptr<float>();
  params.channels = steps.numel();
  params.channel_size = params.channels == 0 ? 0 : x.numel() / params.channels;
  params.level_min = range.level_min;
  params.level_max = range.level_max;
  return params;
}

class LsqFunction : public torch::autograd::Function<LsqFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& step,
                               int64_t bits, Signedness signedness, double grad_scale) {
    const torch::Tensor input = x.contiguous();
    // A private copy: the backward must see the step values the forward used.
    const torch::Tensor steps = step.detach().reshape({-1}).clone(torch::MemoryFormat::Contiguous);
    torch::Tensor output = torch::empty_like(input, torch::MemoryFormat::Contiguous);
    forward_on_device(input, output, params_for(input, steps, bits, signedness));
    ctx->save_for_backward({input, steps});
    ctx->saved_data["step_sizes"] = step.sizes().vec();
    ctx->saved_data["bits"] = bits;
    ctx->saved_data["signed"] = signedness == Signedness::Signed;
    ctx->saved_data["grad_scale"] = grad_scale;
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const bool want_grad_x = ctx->needs_input_grad(0);
    const bool want_grad_step = ctx->needs_input_grad(1);
    torch::Tensor grad_x;
    torch::Tensor grad_step;
    if (want_grad_x || want_grad_step) {
      const auto saved = ctx->get_saved_variables();
      const torch::Tensor& input = saved[0];
      const torch::Tensor& steps = saved[1];
      const torch::Tensor grad_y = grad_outputs[0].contiguous();
      const auto signedness = ctx->saved_data["signed"].toBool() ? Signedness::Signed : Signedness::Unsigned;
      const auto params = params_for(input, steps, ctx->saved_data["bits"].toInt(), signedness);
      if (want_grad_x) grad_x = torch::empty_like(input, torch::MemoryFormat::Contiguous);
      grad_step = backward_on_device(input, grad_y, params, want_grad_x ? grad_x.data_ptr<float>() : nullptr,
                                     want_grad_step, ctx->saved_data["grad_scale"].toDouble());
      if (want_grad_step) grad_step = grad_step.reshape(ctx->saved_data["step_sizes"].toIntVector());
    }
    return {grad_x, grad_step, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

double lsq_default_grad_scale(int64_t elements_per_step, int64_t bits, Signedness signedness) {
  if (elements_per_step == 0) return 1.0;
  const double positive_levels = detail::twos_complement_range(bits, signedness).level_max;
  return 1.0 / std::sqrt(static_cast<double>(elements_per_step) * positive_levels);
}

torch::Tensor lsq(const torch::Tensor& x, const torch::Tensor& step, int64_t bits, Signedness signedness,
                  std::optional<double> grad_scale) {
  detail::check_float_tensor(kOp, "x", x);
  detail::check_float_tensor(kOp, "step", step);
  detail::check_same_device(kOp, x, "step", step);
  detail::check_device_has_kernel(kOp, x);
  detail::check_bits(kOp, bits, signedness);
  const bool per_tensor = step.numel() == 1;
  TORCH_CHECK(per_tensor || (x.dim() >= 1 && step.numel() == x.size(0)), kOp,
              ": step must have one element or one per channel along dim 0 of x (shape ", x.sizes(),
              "), got shape ", step.sizes());
  if (x.is_cpu()) {
    const torch::Tensor step_values = step.detach().reshape({-1}).contiguous();
    for (int64_t channel = 0; channel < step_values.numel(); ++channel) {
      const float value = step_values.data_ptr<float>()[channel];
      TORCH_CHECK(std::isnormal(value) && value > 0.0f, kOp,
                  ": every step value must be a positive normal float32, got ", value, " at index ", channel);
    }
  } else {
    // On a GPU the same check runs on the device, asynchronously: reading the
    // steps back would make every quantizer call wait for the GPU.
    const torch::Tensor steps = step.detach();
    at::_assert_async((steps >= std::numeric_limits<float>::min()).logical_and(steps.isfinite()).all(),
                         "lsq: every step value must be a positive normal float32");
  }
  const int64_t elements_per_step = step.numel() == 0 ? 0 : x.numel() / step.numel();
  const double scale = grad_scale.value_or(lsq_default_grad_scale(elements_per_step, bits, signedness));
  TORCH_CHECK(std::isfinite(scale), kOp, ": grad_scale must be finite, got ", scale);
  return LsqFunction::apply(x, step, bits, signedness, scale);
}

}  // namespace quantlib::ops
