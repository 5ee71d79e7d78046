#include "quantlib/ops/Pact.h"

#include <cmath>

#include <torch/csrc/autograd/custom_function.h>

#include "quantlab/BuildConfig.h"
#include "quantlib/ops/Dispatch.h"
#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/kernels/PactKernels.h"

#if QUANTLAB_WITH_CUDA
#include "quantlib/ops/CudaLaunch.h"
#endif

namespace quantlib::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using kernels::PactKernelParams;

constexpr const char* kOp = "pact";

void forward_on_device(const torch::Tensor& x, torch::Tensor& y, const PactKernelParams& params) {
  detail::on_device(
      kOp, x.device(), [&] { kernels::cpu::pact_forward(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(), params); }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        kernels::cuda::pact_forward(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(), params, launch.stream());
        launch.check();
      }
#endif
  );
}

// grad_x may be null when not wanted. Returns grad_alpha of alpha's sizes when
// want_grad_alpha, else an undefined tensor.
torch::Tensor backward_on_device(const torch::Tensor& x, const torch::Tensor& grad_y, const PactKernelParams& params,
                                 float* grad_x, bool want_grad_alpha, at::IntArrayRef alpha_sizes) {
  torch::Tensor grad_alpha;
  detail::on_device(
      kOp, x.device(),
      [&] {
        double alpha_sum = 0.0;
        kernels::cpu::pact_backward(x.data_ptr<float>(), grad_y.data_ptr<float>(), x.numel(), params, grad_x,
                                    want_grad_alpha ? &alpha_sum : nullptr);
        if (want_grad_alpha) grad_alpha = torch::full(alpha_sizes, alpha_sum, x.options());
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        // The sum stays on the GPU: no host sync.
        torch::Tensor alpha_sum;
        torch::Tensor workspace;
        if (want_grad_alpha) {
          alpha_sum = torch::empty({1}, x.options().dtype(torch::kDouble));
          workspace = detail::reduction_workspace(x, 1, x.numel());
        }
        kernels::cuda::pact_backward(x.data_ptr<float>(), grad_y.data_ptr<float>(), x.numel(), params, grad_x,
                                     want_grad_alpha ? alpha_sum.data_ptr<double>() : nullptr,
                                     want_grad_alpha ? workspace.data_ptr<double>() : nullptr, launch.stream());
        launch.check();
        if (want_grad_alpha) grad_alpha = alpha_sum.to(torch::kFloat).reshape(alpha_sizes);
      }
#endif
  );
  return grad_alpha;
}

PactKernelParams params_for(float alpha, int64_t bits, Signedness signedness, Rounding rounding) {
  const bool is_signed = signedness == Signedness::Signed;
  const float level_max = static_cast<float>((int64_t{1} << (is_signed ? bits - 1 : bits)) - 1);
  PactKernelParams params{};
  params.clip_low = is_signed ? -alpha : 0.0f;
  params.clip_high = alpha;
  params.step = alpha / level_max;
  params.level_min = is_signed ? -level_max : 0.0f;
  params.level_max = level_max;
  params.clip_low_alpha_sign = is_signed ? -1.0f : 0.0f;
  params.rounding = rounding;
  return params;
}

class PactFunction : public torch::autograd::Function<PactFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& alpha,
                               int64_t bits, Signedness signedness, Rounding rounding) {
    const float alpha_value = alpha.item<float>();
    const torch::Tensor input = x.contiguous();
    torch::Tensor output = torch::empty_like(input, torch::MemoryFormat::Contiguous);
    forward_on_device(input, output, params_for(alpha_value, bits, signedness, rounding));
    ctx->save_for_backward({input});
    ctx->saved_data["alpha"] = static_cast<double>(alpha_value);
    ctx->saved_data["alpha_sizes"] = alpha.sizes().vec();
    ctx->saved_data["bits"] = bits;
    ctx->saved_data["signed"] = signedness == Signedness::Signed;
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const bool want_grad_x = ctx->needs_input_grad(0);
    const bool want_grad_alpha = ctx->needs_input_grad(1);
    torch::Tensor grad_x;
    torch::Tensor grad_alpha;
    if (want_grad_x || want_grad_alpha) {
      const torch::Tensor input = ctx->get_saved_variables()[0];
      const torch::Tensor grad_y = grad_outputs[0].contiguous();
      const auto signedness = ctx->saved_data["signed"].toBool() ? Signedness::Signed : Signedness::Unsigned;
      const auto params = params_for(static_cast<float>(ctx->saved_data["alpha"].toDouble()),
                                     ctx->saved_data["bits"].toInt(), signedness, Rounding::Nearest);
      if (want_grad_x) grad_x = torch::empty_like(input, torch::MemoryFormat::Contiguous);
      grad_alpha = backward_on_device(input, grad_y, params, want_grad_x ? grad_x.data_ptr<float>() : nullptr,
                                      want_grad_alpha, ctx->saved_data["alpha_sizes"].toIntVector());
    }
    return {grad_x, grad_alpha, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor pact(const torch::Tensor& x, const torch::Tensor& alpha, int64_t bits, Signedness signedness,
                   Rounding rounding) {
  detail::check_float_tensor(kOp, "x", x);
  detail::check_float_tensor(kOp, "alpha", alpha);
  detail::check_one_element(kOp, "alpha", alpha);
  detail::check_same_device(kOp, x, "alpha", alpha);
  detail::check_device_has_kernel(kOp, x);
  detail::check_bits(kOp, bits, signedness);
  const float alpha_value = alpha.item<float>();
  TORCH_CHECK(std::isfinite(alpha_value) && alpha_value > 0.0f, kOp,
              ": the clipping bound alpha must be positive and finite, got ", alpha_value);
  TORCH_CHECK(std::isnormal(params_for(alpha_value, bits, signedness, rounding).step), kOp,
              ": the step alpha / levels is not a normal float32 for alpha = ", alpha_value);
  return PactFunction::apply(x, alpha, bits, signedness, rounding);
}

}  // namespace quantlib::ops
