#include "quantlib/ops/Ana.h"

#include <cmath>

#include <torch/csrc/autograd/custom_function.h>
#include <torch/torch.h>

#include "quantlab/BuildConfig.h"
#include "quantlib/ops/Dispatch.h"
#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/kernels/AnaKernels.h"

#if QUANTLAB_WITH_CUDA
#include "quantlib/ops/CudaLaunch.h"
#endif

namespace quantlib::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using kernels::AnaKernelParams;

constexpr const char* kOp = "ana";

// The staircase as float32 tensors on x's device, so it can ride in the autograd context.
AnaKernelParams params_for(const torch::Tensor& thresholds, const torch::Tensor& levels, AnaNoise noise,
                           float scale) {
  return {thresholds.data_ptr<float>(), levels.data_ptr<float>(), thresholds.numel(), noise, scale};
}

void forward_on_device(const torch::Tensor& x, const torch::Tensor& uniform_draws, torch::Tensor& y,
                       AnaForward forward, const AnaKernelParams& params) {
  detail::on_device(
      kOp, x.device(),
      [&] {
        if (forward == AnaForward::Mode || params.scale == 0.0f)
          kernels::cpu::ana_forward_mode(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(), params);
        else if (forward == AnaForward::Expectation)
          kernels::cpu::ana_forward_expectation(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(), params);
        else
          kernels::cpu::ana_forward_random(x.data_ptr<float>(), uniform_draws.data_ptr<float>(), y.data_ptr<float>(),
                                           x.numel(), params);
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        if (forward == AnaForward::Mode || params.scale == 0.0f)
          kernels::cuda::ana_forward_mode(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(), params, launch.stream());
        else if (forward == AnaForward::Expectation)
          kernels::cuda::ana_forward_expectation(x.data_ptr<float>(), y.data_ptr<float>(), x.numel(), params,
                                                 launch.stream());
        else
          kernels::cuda::ana_forward_random(x.data_ptr<float>(), uniform_draws.data_ptr<float>(),
                                            y.data_ptr<float>(), x.numel(), params, launch.stream());
        launch.check();
      }
#endif
  );
}

void backward_on_device(const torch::Tensor& x, const torch::Tensor& grad_y, torch::Tensor& grad_x,
                        const AnaKernelParams& params) {
  detail::on_device(
      kOp, x.device(),
      [&] {
        kernels::cpu::ana_backward(x.data_ptr<float>(), grad_y.data_ptr<float>(), grad_x.data_ptr<float>(),
                                   x.numel(), params);
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(x);
        kernels::cuda::ana_backward(x.data_ptr<float>(), grad_y.data_ptr<float>(), grad_x.data_ptr<float>(),
                                    x.numel(), params, launch.stream());
        launch.check();
      }
#endif
  );
}

class AnaFunction : public torch::autograd::Function<AnaFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const AnaStaircase& staircase,
                               AnaNoise noise, AnaForward forward, double s_fwd, double s_bwd,
                               std::optional<at::Generator> generator) {
    const torch::Tensor input = x.contiguous();
    // On x's device: the kernels read them there.
    const auto cpu_floats = torch::TensorOptions().dtype(torch::kFloat);
    const torch::Tensor thresholds = torch::tensor(staircase.thresholds, cpu_floats).to(input.device());
    const torch::Tensor levels = torch::tensor(staircase.levels, cpu_floats).to(input.device());
    const float forward_scale = static_cast<float>(s_fwd);
    torch::Tensor uniform_draws;
    if (forward == AnaForward::Random && forward_scale != 0.0f)
      uniform_draws = torch::rand(input.sizes(), std::move(generator), input.options());
    torch::Tensor output = torch::empty_like(input, torch::MemoryFormat::Contiguous);
    forward_on_device(input, uniform_draws, output, forward, params_for(thresholds, levels, noise, forward_scale));
    ctx->save_for_backward({input});
    ctx->saved_data["thresholds"] = thresholds;
    ctx->saved_data["levels"] = levels;
    ctx->saved_data["noise"] = static_cast<int64_t>(noise);
    ctx->saved_data["s_bwd"] = s_bwd;
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    torch::Tensor grad_x;
    if (ctx->needs_input_grad(0)) {
      const torch::Tensor input = ctx->get_saved_variables()[0];
      const torch::Tensor grad_y = grad_outputs[0].contiguous();
      grad_x = torch::empty_like(input, torch::MemoryFormat::Contiguous);
      const auto params = params_for(ctx->saved_data["thresholds"].toTensor(), ctx->saved_data["levels"].toTensor(),
                                     static_cast<AnaNoise>(ctx->saved_data["noise"].toInt()),
                                     static_cast<float>(ctx->saved_data["s_bwd"].toDouble()));
      backward_on_device(input, grad_y, grad_x, params);
    }
    return {grad_x, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(),
            torch::Tensor()};
  }
};

void check_staircase(const AnaStaircase& staircase) {
  TORCH_CHECK(staircase.levels.size() == staircase.thresholds.size() + 1, kOp, ": a staircase with ",
              staircase.thresholds.size(), " thresholds needs ", staircase.thresholds.size() + 1, " levels, got ",
              staircase.levels.size());
  TORCH_CHECK(static_cast<int64_t>(staircase.levels.size()) <= kAnaMaxLevels, kOp, ": at most ", kAnaMaxLevels,
              " levels, got ", staircase.levels.size());
  for (size_t i = 0; i < staircase.levels.size(); ++i)
    TORCH_CHECK(std::isfinite(staircase.levels[i]), kOp, ": level ", i, " is ", staircase.levels[i]);
  for (size_t i = 0; i < staircase.thresholds.size(); ++i) {
    TORCH_CHECK(std::isfinite(staircase.thresholds[i]), kOp, ": threshold ", i, " is ", staircase.thresholds[i]);
    TORCH_CHECK(i == 0 || staircase.thresholds[i - 1] <= staircase.thresholds[i], kOp,
                ": thresholds must be sorted ascending, but threshold ", i, " (", staircase.thresholds[i],
                ") is below threshold ", i - 1, " (", staircase.thresholds[i - 1], ")");
  }
}

void check_noise_scale(const char* name, double scale) {
  TORCH_CHECK(std::isfinite(scale) && scale >= 0.0, kOp, ": the noise scale ", name,
              " must be finite and at least 0, got ", scale);
}

}  // namespace

AnaStaircase ana_staircase(AnaLevels kind, int64_t n_levels, double scale) {
  switch (kind) {
    case AnaLevels::Binary:
      TORCH_CHECK(n_levels == 2, kOp, ": binary levels are 2, got n_levels = ", n_levels);
      break;
    case AnaLevels::Ternary:
      TORCH_CHECK(n_levels == 3, kOp, ": ternary levels are 3, got n_levels = ", n_levels);
      break;
    case AnaLevels::Uniform:
      TORCH_CHECK(n_levels >= 2 && n_levels <= kAnaMaxLevels, kOp, ": n_levels must be in [2, ", kAnaMaxLevels,
                  "], got ", n_levels);
      break;
  }
  TORCH_CHECK(std::isfinite(scale) && scale > 0.0, kOp, ": the level scale must be positive and finite, got ",
              scale);
  // Integer numerators keep the level set exactly symmetric about 0.
  const double steps = static_cast<double>(n_levels - 1);
  AnaStaircase staircase;
  for (int64_t k = 0; k < n_levels; ++k) {
    staircase.levels.push_back(static_cast<float>(scale * static_cast<double>(2 * k - (n_levels - 1)) / steps));
    if (k > 0) staircase.thresholds.push_back(static_cast<float>(scale * static_cast<double>(2 * k - n_levels) / steps));
  }
  return staircase;
}

torch::Tensor ana(const torch::Tensor& x, const AnaStaircase& staircase, AnaNoise noise, AnaForward forward,
                  double s_fwd, double s_bwd, std::optional<at::Generator> generator) {
  detail::check_float_tensor(kOp, "x", x);
  detail::check_device_has_kernel(kOp, x);
  check_staircase(staircase);
  check_noise_scale("s_fwd", s_fwd);
  check_noise_scale("s_bwd", s_bwd);
  return AnaFunction::apply(x, staircase, noise, forward, s_fwd, s_bwd, std::move(generator));
}

}  // namespace quantlib::ops
