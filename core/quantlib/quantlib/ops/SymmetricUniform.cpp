#include "quantlib/ops/SymmetricUniform.h"

#include <cmath>

#include <torch/csrc/autograd/custom_function.h>

#include "quantlab/BuildConfig.h"
#include "quantlib/ops/Dispatch.h"
#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/kernels/SymmetricUniformKernels.h"

#if QUANTLAB_WITH_CUDA
#include "quantlib/ops/CudaLaunch.h"
#endif

namespace quantlib::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using kernels::SymmetricUniformKernelParams;

constexpr const char* kOp = "symmetric_uniform";

void check_bits(const char* op, int64_t bits) {
  TORCH_CHECK(bits >= 2 && bits <= 24, op, ": bits must be in [2, 24] for a symmetric quantizer, got ", bits);
}

// scales: the contiguous per-channel scales, kept alive by the caller.
SymmetricUniformKernelParams params_for(const torch::Tensor& x, const torch::Tensor& scales, int64_t bits) {
  SymmetricUniformKernelParams params{};
  params.scales = scales.data_ptr<float>();
  params.channels = scales.numel();
  params.channel_size = params.channels == 0 ? 0 : x.numel() / params.channels;
  params.level_max = static_cast<float>(symmetric_level_max(bits));
  return params;
}

void forward_on_device(const torch::Tensor& x, torch::Tensor& y, const SymmetricUniformKernelParams& params) {
  detail::on_device(
      kOp, x.device(),
      [&] { kernels::cpu::symmetric_uniform_forward(x.data_ptr<float>(), y.data_ptr<float>(), params); }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        kernels::cuda::symmetric_uniform_forward(x.data_ptr<float>(), y.data_ptr<float>(), params, launch.stream());
        launch.check();
      }
#endif
  );
}

void backward_on_device(const torch::Tensor& x, const torch::Tensor& grad_y, torch::Tensor& grad_x,
                        const SymmetricUniformKernelParams& params) {
  detail::on_device(
      kOp, x.device(),
      [&] {
        kernels::cpu::symmetric_uniform_backward(x.data_ptr<float>(), grad_y.data_ptr<float>(),
                                                 grad_x.data_ptr<float>(), params);
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        kernels::cuda::symmetric_uniform_backward(x.data_ptr<float>(), grad_y.data_ptr<float>(),
                                                  grad_x.data_ptr<float>(), params, launch.stream());
        launch.check();
      }
#endif
  );
}

class SymmetricUniformFunction : public torch::autograd::Function<SymmetricUniformFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& scale,
                               int64_t bits) {
    const torch::Tensor input = x.contiguous();
    // A private copy: the backward must see the scales the forward used.
    const torch::Tensor scales = scale.detach().reshape({-1}).clone(torch::MemoryFormat::Contiguous);
    torch::Tensor output = torch::empty_like(input, torch::MemoryFormat::Contiguous);
    forward_on_device(input, output, params_for(input, scales, bits));
    ctx->save_for_backward({input, scales});
    ctx->saved_data["bits"] = bits;
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    torch::Tensor grad_x;
    if (ctx->needs_input_grad(0)) {
      const auto saved = ctx->get_saved_variables();
      const torch::Tensor& input = saved[0];
      const torch::Tensor grad_y = grad_outputs[0].contiguous();
      grad_x = torch::empty_like(input, torch::MemoryFormat::Contiguous);
      backward_on_device(input, grad_y, grad_x, params_for(input, saved[1], ctx->saved_data["bits"].toInt()));
    }
    return {grad_x, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

int64_t symmetric_level_max(int64_t bits) {
  check_bits(kOp, bits);
  return (int64_t{1} << (bits - 1)) - 1;
}

torch::Tensor symmetric_uniform(const torch::Tensor& x, const torch::Tensor& scale, int64_t bits) {
  detail::check_float_tensor(kOp, "x", x);
  detail::check_float_tensor(kOp, "scale", scale);
  detail::check_same_device(kOp, x, "scale", scale);
  detail::check_device_has_kernel(kOp, x);
  check_bits(kOp, bits);
  const bool per_tensor = scale.numel() == 1;
  TORCH_CHECK(per_tensor || (x.dim() >= 1 && scale.numel() == x.size(0)), kOp,
              ": scale must have one element or one per channel along dim 0 of x (shape ", x.sizes(),
              "), got shape ", scale.sizes());
  const torch::Tensor scale_values = scale.detach().to(torch::kCPU).reshape({-1}).contiguous();
  for (int64_t channel = 0; channel < scale_values.numel(); ++channel) {
    const float value = scale_values.data_ptr<float>()[channel];
    TORCH_CHECK(std::isnormal(value) && value > 0.0f, kOp,
                ": every scale value must be a positive normal float32, got ", value, " at index ", channel);
  }
  return SymmetricUniformFunction::apply(x, scale, bits);
}

}  // namespace quantlib::ops
