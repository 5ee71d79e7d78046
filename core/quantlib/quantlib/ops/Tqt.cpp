#include "quantlib/ops/Tqt.h"

#include <cmath>

#include <torch/csrc/autograd/custom_function.h>

#include "quantlab/BuildConfig.h"
#include "quantlib/ops/Dispatch.h"
#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/kernels/TqtKernels.h"

#if QUANTLAB_WITH_CUDA
#include "quantlib/ops/CudaLaunch.h"
#endif

namespace quantlib::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using kernels::TqtKernelParams;

constexpr const char* kOp = "tqt";

void forward_on_device(const torch::Tensor& x, torch::Tensor& y, const TqtKernelParams& params) {
  detail::on_device(
      kOp, x.device(), [&] { kernels::cpu::tqt_forward(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(), params); }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        kernels::cuda::tqt_forward(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(), params, launch.stream());
        launch.check();
      }
#endif
  );
}

// grad_x may be null when not wanted. Returns the gradient of log2_t, of
// log2_t's sizes, when want_grad_log2_t, else an undefined tensor: the sum of
// the paper's terms times the common factor s ln 2, in double.
torch::Tensor backward_on_device(const torch::Tensor& x, const torch::Tensor& grad_y, const TqtKernelParams& params,
                                 float* grad_x, bool want_grad_log2_t, at::IntArrayRef log2_t_sizes) {
  const double factor = static_cast<double>(params.scale) * std::log(2.0);
  torch::Tensor grad_log2_t;
  detail::on_device(
      kOp, x.device(),
      [&] {
        double term_sum = 0.0;
        kernels::cpu::tqt_backward(x.data_ptr<float>(), grad_y.data_ptr<float>(), x.numel(), params, grad_x,
                                   want_grad_log2_t ? &term_sum : nullptr);
        if (want_grad_log2_t) grad_log2_t = torch::full(log2_t_sizes, factor * term_sum, x.options());
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        // The sum stays on the GPU: no host sync.
        torch::Tensor term_sum;
        torch::Tensor workspace;
        if (want_grad_log2_t) {
          term_sum = torch::empty({1}, x.options().dtype(torch::kDouble));
          workspace = detail::reduction_workspace(x, 1, x.numel());
        }
        kernels::cuda::tqt_backward(x.data_ptr<float>(), grad_y.data_ptr<float>(), x.numel(), params, grad_x,
                                    want_grad_log2_t ? term_sum.data_ptr<double>() : nullptr,
                                    want_grad_log2_t ? workspace.data_ptr<double>() : nullptr, launch.stream());
        launch.check();
        if (want_grad_log2_t) grad_log2_t = (term_sum * factor).to(torch::kFloat).reshape(log2_t_sizes);
      }
#endif
  );
  return grad_log2_t;
}

// s is a power of two, so it is exact in float whenever it is a normal float.
TqtKernelParams params_for(float log2_t, int64_t bits, Signedness signedness) {
  const auto range = detail::twos_complement_range(bits, signedness);
  const int64_t scale_exponent_offset = signedness == Signedness::Signed ? bits - 1 : bits;
  const double scale = std::ldexp(1.0, static_cast<int>(std::ceil(log2_t)) - static_cast<int>(scale_exponent_offset));
  return {static_cast<float>(scale), range.level_min, range.level_max};
}

class TqtFunction : public torch::autograd::Function<TqtFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& log2_t,
                               int64_t bits, Signedness signedness) {
    const float log2_t_value = log2_t.item<float>();
    const torch::Tensor input = x.contiguous();
    torch::Tensor output = torch::empty_like(input, torch::MemoryFormat::Contiguous);
    forward_on_device(input, output, params_for(log2_t_value, bits, signedness));
    ctx->save_for_backward({input});
    ctx->saved_data["log2_t"] = static_cast<double>(log2_t_value);
    ctx->saved_data["log2_t_sizes"] = log2_t.sizes().vec();
    ctx->saved_data["bits"] = bits;
    ctx->saved_data["signed"] = signedness == Signedness::Signed;
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const bool want_grad_x = ctx->needs_input_grad(0);
    const bool want_grad_log2_t = ctx->needs_input_grad(1);
    torch::Tensor grad_x;
    torch::Tensor grad_log2_t;
    if (want_grad_x || want_grad_log2_t) {
      const torch::Tensor input = ctx->get_saved_variables()[0];
      const torch::Tensor grad_y = grad_outputs[0].contiguous();
      const auto signedness = ctx->saved_data["signed"].toBool() ? Signedness::Signed : Signedness::Unsigned;
      const auto params = params_for(static_cast<float>(ctx->saved_data["log2_t"].toDouble()),
                                     ctx->saved_data["bits"].toInt(), signedness);
      if (want_grad_x) grad_x = torch::empty_like(input, torch::MemoryFormat::Contiguous);
      grad_log2_t = backward_on_device(input, grad_y, params, want_grad_x ? grad_x.data_ptr<float>() : nullptr,
                                       want_grad_log2_t, ctx->saved_data["log2_t_sizes"].toIntVector());
    }
    return {grad_x, grad_log2_t, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor tqt(const torch::Tensor& x, const torch::Tensor& log2_t, int64_t bits, Signedness signedness) {
  detail::check_float_tensor(kOp, "x", x);
  detail::check_float_tensor(kOp, "log2_t", log2_t);
  detail::check_one_element(kOp, "log2_t", log2_t);
  detail::check_same_device(kOp, x, "log2_t", log2_t);
  detail::check_device_has_kernel(kOp, x);
  detail::check_bits(kOp, bits, signedness);
  const float log2_t_value = log2_t.item<float>();
  TORCH_CHECK(std::isfinite(log2_t_value) && std::fabs(log2_t_value) < 1000.0f, kOp,
              ": log2_t must be finite and below 1000 in magnitude, got ", log2_t_value);
  const float scale = params_for(log2_t_value, bits, signedness).scale;
  TORCH_CHECK(std::isnormal(scale) && std::isfinite(scale), kOp, ": the scale 2^ceil(log2_t) / 2^",
              signedness == Signedness::Signed ? bits - 1 : bits, " is not a normal float32 for log2_t = ",
              log2_t_value);
  return TqtFunction::apply(x, log2_t, bits, signedness);
}

}  // namespace quantlib::ops
