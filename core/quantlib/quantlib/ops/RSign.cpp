#include "quantlib/ops/RSign.h"

#include <vector>

#include <torch/csrc/autograd/custom_function.h>

#include "quantlib/ops/AlongChannels.h"
#include "quantlib/ops/OpChecks.h"

namespace quantlib::ops {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr const char* kOp = "rsign";

// b [C] as a tensor that broadcasts along dim 1 of a tensor of `dims` dims.
class RSignFunction : public torch::autograd::Function<RSignFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& threshold) {
    const torch::Tensor shifted = x - along_channels(threshold, x.dim());
    ctx->save_for_backward({shifted});
    return torch::where(shifted >= 0, 1.0f, -1.0f).to(torch::kFloat);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const torch::Tensor shifted = ctx->get_saved_variables()[0];
    const torch::Tensor slope = (2.0 - 2.0 * shifted.abs()).clamp_min(0.0);
    const torch::Tensor grad_x = grad_outputs[0] * slope;
    torch::Tensor grad_threshold;
    if (ctx->needs_input_grad(1)) {
      std::vector<int64_t> dims;
      for (int64_t d = 0; d < grad_x.dim(); ++d)
        if (d != 1) dims.push_back(d);
      grad_threshold = -grad_x.sum(dims);
    }
    return {ctx->needs_input_grad(0) ? grad_x : torch::Tensor(), grad_threshold};
  }
};

}  // namespace

torch::Tensor rsign(const torch::Tensor& x, const torch::Tensor& threshold) {
  detail::check_float_tensor(kOp, "x", x);
  detail::check_float_tensor(kOp, "threshold", threshold);
  detail::check_same_device(kOp, x, "threshold", threshold);
  TORCH_CHECK(x.dim() >= 2, kOp, ": x needs a channel dim 1, got shape ", x.sizes());
  TORCH_CHECK(threshold.dim() == 1 && threshold.numel() == x.size(1), kOp, ": one threshold per channel of x (",
              x.size(1), "), got threshold of shape ", threshold.sizes());
  return RSignFunction::apply(x, threshold);
}

}  // namespace quantlib::ops
