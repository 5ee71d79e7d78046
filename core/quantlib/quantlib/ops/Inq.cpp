#include "quantlib/ops/Inq.h"

#include <cmath>
#include <vector>

#include <torch/csrc/autograd/custom_function.h>
#include <torch/torch.h>

#include "quantlab/BuildConfig.h"
#include "quantlib/ops/Dispatch.h"
#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/kernels/InqKernels.h"

#if QUANTLAB_WITH_CUDA
#include "quantlib/ops/CudaLaunch.h"
#endif

namespace quantlib::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr const char* kOp = "inq";

void forward_on_device(const torch::Tensor& w, const torch::Tensor& frozen, torch::Tensor& y) {
  detail::on_device(
      kOp, w.device(),
      [&] { kernels::cpu::inq_forward(w.data_ptr<float>(), frozen.data_ptr<float>(), y.data_ptr<float>(), w.numel()); }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(w);
        kernels::cuda::inq_forward(w.data_ptr<float>(), frozen.data_ptr<float>(), y.data_ptr<float>(), w.numel(),
                                   launch.stream());
        launch.check();
      }
#endif
  );
}

void backward_on_device(const torch::Tensor& frozen, const torch::Tensor& grad_y, torch::Tensor& grad_w) {
  detail::on_device(
      kOp, frozen.device(),
      [&] {
        kernels::cpu::inq_backward(frozen.data_ptr<float>(), grad_y.data_ptr<float>(), grad_w.data_ptr<float>(),
                                   frozen.numel());
      }
#if QUANTLAB_WITH_CUDA
      ,
      [&] {
        const detail::CudaLaunch launch(frozen);
        kernels::cuda::inq_backward(frozen.data_ptr<float>(), grad_y.data_ptr<float>(), grad_w.data_ptr<float>(),
                                    frozen.numel(), launch.stream());
        launch.check();
      }
#endif
  );
}

class InqFunction : public torch::autograd::Function<InqFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& w, const torch::Tensor& frozen) {
    const torch::Tensor input = w.contiguous();
    // Saved as it is, no copy: freezing more weights between this forward and its
    // backward bumps frozen's version, and autograd refuses such a backward.
    const torch::Tensor mask = frozen.contiguous();
    torch::Tensor output = torch::empty_like(input, torch::MemoryFormat::Contiguous);
    forward_on_device(input, mask, output);
    ctx->save_for_backward({mask});
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    torch::Tensor grad_w;
    if (ctx->needs_input_grad(0)) {
      const torch::Tensor mask = ctx->get_saved_variables()[0];
      const torch::Tensor grad_y = grad_outputs[0].contiguous();
      grad_w = torch::empty_like(mask, torch::MemoryFormat::Contiguous);
      backward_on_device(mask, grad_y, grad_w);
    }
    return {grad_w, torch::Tensor()};
  }
};

}  // namespace

void check_inq_power_of_two_bits(const char* where, int64_t n_bits) {
  TORCH_CHECK(n_bits >= 2 && n_bits <= 8, where, ": power-of-two levels need n_bits in [2, 8], got ", n_bits);
}

void check_inq_uniform_levels(const char* where, int64_t n_levels) {
  TORCH_CHECK(n_levels >= 3 && n_levels % 2 == 1 && n_levels <= (int64_t{1} << 24) + 1, where,
              ": uniform levels need an odd n_levels >= 3 (zero is a level), got ", n_levels);
}

torch::Tensor inq(const torch::Tensor& w, const torch::Tensor& frozen) {
  detail::check_float_tensor(kOp, "w", w);
  detail::check_float_tensor(kOp, "frozen", frozen);
  detail::check_same_device(kOp, w, "frozen", frozen);
  detail::check_device_has_kernel(kOp, w);
  TORCH_CHECK(frozen.sizes() == w.sizes(), kOp, ": frozen must have the weight's shape ", w.sizes(), ", got ",
              frozen.sizes());
  return InqFunction::apply(w, frozen);
}

torch::Tensor inq_power_of_two_magnitudes(double max_magnitude, int64_t n_bits) {
  check_inq_power_of_two_bits("inq_power_of_two_magnitudes", n_bits);
  TORCH_CHECK(std::isfinite(max_magnitude) && max_magnitude >= 0.0,
              "inq_power_of_two_magnitudes: max |w| must be non-negative and finite, got ", max_magnitude);
  const int64_t exponents = int64_t{1} << (n_bits - 2);  // n1 - n2 + 1 = 2^(b-1) / 2
  std::vector<float> magnitudes(static_cast<size_t>(exponents + 1), 0.0f);
  if (max_magnitude > 0.0) {
    const int n1 = static_cast<int>(std::floor(std::log2(4.0 * max_magnitude / 3.0)));
    for (int64_t j = 1; j <= exponents; ++j)
      magnitudes[static_cast<size_t>(j)] = std::ldexp(1.0f, n1 - static_cast<int>(exponents - j));
  }
  return torch::tensor(magnitudes, torch::kFloat);
}

torch::Tensor inq_uniform_magnitudes(double scale, int64_t n_levels) {
  check_inq_uniform_levels("inq_uniform_magnitudes", n_levels);
  TORCH_CHECK(std::isfinite(scale) && scale >= 0.0, "inq_uniform_magnitudes: the scale s must be non-negative and "
              "finite, got ", scale);
  const int64_t steps = (n_levels - 1) / 2;
  std::vector<float> magnitudes(static_cast<size_t>(steps + 1), 0.0f);
  for (int64_t j = 1; j <= steps; ++j)
    magnitudes[static_cast<size_t>(j)] = static_cast<float>(scale * static_cast<double>(j) / static_cast<double>(steps));
  return torch::tensor(magnitudes, torch::kFloat);
}

torch::Tensor inq_nearest_levels(const torch::Tensor& w, const torch::Tensor& magnitudes) {
  constexpr const char* where = "inq_nearest_levels";
  detail::check_float_tensor(where, "w", w);
  detail::check_float_tensor(where, "magnitudes", magnitudes);
  TORCH_CHECK(magnitudes.dim() == 2 && magnitudes.size(1) >= 1, where,
              ": magnitudes must have shape {rows, K}, got ", magnitudes.sizes());
  const int64_t rows = magnitudes.size(0);
  TORCH_CHECK(rows == 1 || (w.dim() >= 1 && w.size(0) == rows), where, ": magnitudes must have one row or one per "
              "channel along dim 0 of w (shape ", w.sizes(), "), got ", rows, " rows");
  torch::NoGradGuard no_grad;
  const torch::Tensor values = w.detach().reshape({rows, -1});
  const torch::Tensor table = magnitudes.detach().to(w.device()).contiguous();
  // bucketize with right = true counts the midpoints <= |w|: ties go to the larger magnitude.
  const torch::Tensor midpoints = (table.slice(1, 0, -1) + table.slice(1, 1)) / 2;
  torch::Tensor result = torch::empty_like(values);
  for (int64_t row = 0; row < rows; ++row) {
    const torch::Tensor index = torch::bucketize(values[row].abs(), midpoints[row], /*out_int32=*/false, /*right=*/true);
    result[row].copy_(table[row].index({index}) * values[row].sign());
  }
  return result.reshape(w.sizes());
}

}  // namespace quantlib::ops
