#include "quantlib/ops/UniformSte.h"

#include <cmath>

#include <torch/csrc/autograd/custom_function.h>

#include "quantlab/BuildConfig.h"
#include "quantlib/ops/Dispatch.h"
#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/kernels/UniformSteKernels.h"

#if QUANTLAB_WITH_CUDA
#include "quantlib/ops/CudaLaunch.h"
#endif

namespace quantlib::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using kernels::UniformSteKernelParams;

constexpr const char* kOp = "uniform_ste";

void forward_on_device(const torch::Tensor& x, torch::Tensor& y, const UniformSteKernelParams& params) {
  detail::on_device(
      kOp, x.device(),
      [&] { kernels::cpu::uniform_ste_forward(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(), params); }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        kernels::cuda::uniform_ste_forward(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(), params,
                                           launch.stream());
        launch.check();
      }
#endif
  );
}

void backward_on_device(const torch::Tensor& x, const torch::Tensor& grad_y, torch::Tensor& grad_x,
                        const UniformSteKernelParams& params) {
  detail::on_device(
      kOp, x.device(),
      [&] {
        kernels::cpu::uniform_ste_backward(x.data_ptr<float>(), grad_y.data_ptr<float>(), grad_x.data_ptr<float>(),
                                           x.numel(), params);
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        kernels::cuda::uniform_ste_backward(x.data_ptr<float>(), grad_y.data_ptr<float>(), grad_x.data_ptr<float>(),
                                            x.numel(), params, launch.stream());
        launch.check();
      }
#endif
  );
}

UniformSteKernelParams params_for(int64_t n_levels, double bound) {
  const double step = 2.0 * bound / static_cast<double>(n_levels - 1);
  return {static_cast<float>(bound), static_cast<float>(step), n_levels % 2 == 0 ? 0.5f : 0.0f};
}

class UniformSteFunction : public torch::autograd::Function<UniformSteFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, int64_t n_levels, double bound) {
    const torch::Tensor input = x.contiguous();
    torch::Tensor output = torch::empty_like(input, torch::MemoryFormat::Contiguous);
    forward_on_device(input, output, params_for(n_levels, bound));
    ctx->save_for_backward({input});
    ctx->saved_data["n_levels"] = n_levels;
    ctx->saved_data["bound"] = bound;
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const torch::Tensor input = ctx->get_saved_variables()[0];
    torch::Tensor grad_x;
    if (ctx->needs_input_grad(0)) {
      const torch::Tensor grad_y = grad_outputs[0].contiguous();
      grad_x = torch::empty_like(input, torch::MemoryFormat::Contiguous);
      backward_on_device(input, grad_y, grad_x,
                         params_for(ctx->saved_data["n_levels"].toInt(), ctx->saved_data["bound"].toDouble()));
    }
    return {grad_x, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor uniform_ste(const torch::Tensor& x, int64_t n_levels, double bound) {
  detail::check_float_tensor(kOp, "x", x);
  detail::check_device_has_kernel(kOp, x);
  TORCH_CHECK(n_levels >= 2, kOp, ": n_levels must be at least 2, got ", n_levels);
  TORCH_CHECK(std::isfinite(bound) && bound > 0.0, kOp, ": the bound m must be positive and finite, got ", bound);
  TORCH_CHECK(std::isnormal(params_for(n_levels, bound).step), kOp, ": the step 2m/(n_levels - 1) = ",
              2.0 * bound / static_cast<double>(n_levels - 1), " is not a normal float32");
  return UniformSteFunction::apply(x, n_levels, bound);
}

torch::Tensor uniform_ste(const torch::Tensor& x, int64_t n_levels, const torch::Tensor& bound) {
  detail::check_float_tensor(kOp, "x", x);
  detail::check_device_has_kernel(kOp, x);
  TORCH_CHECK(bound.defined(), kOp, ": the bound m is an undefined tensor");
  detail::check_one_element(kOp, "the bound m", bound);
  return uniform_ste(x, n_levels, bound.item<double>());
}

}  // namespace quantlib::ops
