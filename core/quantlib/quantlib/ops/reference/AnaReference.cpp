#include "quantlib/ops/reference/AnaReference.h"

#include <cmath>

#include <torch/torch.h>

namespace quantlib::ops::reference {
namespace {

constexpr double kSmallestDraw = 2.98023223876953125e-8;  // 2^-25, as the fused op

// Forward: value, exactly. Backward: the gradient of surrogate.
torch::Tensor straight_through(const torch::Tensor& value, const torch::Tensor& surrogate) {
  return value.detach() + (surrogate - surrogate.detach());
}

// The noise's CDF at scale 1.
torch::Tensor noise_cdf(const torch::Tensor& u, AnaNoise noise) {
  switch (noise) {
    case AnaNoise::Uniform:
      return ((u + 1.0) * 0.5).clamp(0.0, 1.0);
    case AnaNoise::Triangular:
      return torch::where(u < 0, 0.5 * (1.0 + u).clamp_min(0.0).square(),
                          1.0 - 0.5 * (1.0 - u).clamp_min(0.0).square());
    case AnaNoise::Normal:
      return 0.5 * (1.0 + torch::erf(u * M_SQRT1_2));
    case AnaNoise::Logistic:
      return torch::sigmoid(u);
  }
  TORCH_CHECK(false, "ana reference: unknown noise");
}

// The noise's inverse CDF at scale 1, for draws in (0, 1).
torch::Tensor noise_quantile(const torch::Tensor& draws, AnaNoise noise) {
  switch (noise) {
    case AnaNoise::Uniform:
      return 2.0 * draws - 1.0;
    case AnaNoise::Triangular:
      return torch::where(draws < 0.5, torch::sqrt(2.0 * draws) - 1.0, 1.0 - torch::sqrt(2.0 * (1.0 - draws)));
    case AnaNoise::Normal:
      return torch::erfinv(2.0 * draws - 1.0) * M_SQRT2;
    case AnaNoise::Logistic:
      return torch::log(draws) - torch::log1p(-draws);
  }
  TORCH_CHECK(false, "ana reference: unknown noise");
}

struct Staircase {
  torch::Tensor thresholds;
  torch::Tensor levels;
  torch::Tensor jumps;

  Staircase(const AnaStaircase& staircase, const torch::Device& device) {
    const auto floats = torch::TensorOptions().dtype(torch::kFloat).device(device);
    thresholds = torch::tensor(staircase.thresholds, floats);
    levels = torch::tensor(staircase.levels, floats);
    jumps = levels.slice(0, 1) - levels.slice(0, 0, -1);
  }

  torch::Tensor hard(const torch::Tensor& x) const {
    if (thresholds.numel() == 0) return torch::full_like(x, levels[0].item<float>());
    const torch::Tensor index = torch::bucketize(x.detach().contiguous(), thresholds, /*out_int32=*/false, /*right=*/true);
    return levels.index({index});
  }

  // q_0 + sum_i dq_i F((x - t_i) / scale), the sum over a trailing axis of thresholds.
  torch::Tensor expectation(const torch::Tensor& x, AnaNoise noise, float scale) const {
    const torch::Tensor u = (x.unsqueeze(-1) - thresholds) / scale;
    return levels[0] + (jumps * noise_cdf(u, noise)).sum(-1);
  }
};

}  // namespace

torch::Tensor ana(const torch::Tensor& x, const AnaStaircase& staircase, AnaNoise noise, AnaForward forward,
                  double s_fwd, double s_bwd, std::optional<at::Generator> generator) {
  const Staircase steps(staircase, x.device());
  // Scales rounded to float32 here, as the fused kernel sees them.
  const float forward_scale = static_cast<float>(s_fwd);
  const float backward_scale = static_cast<float>(s_bwd);

  torch::Tensor value;
  if (forward == AnaForward::Mode || forward_scale == 0.0f) {
    value = steps.hard(x);
  } else if (forward == AnaForward::Expectation) {
    value = steps.expectation(x.detach(), noise, forward_scale);
  } else {
    const torch::Tensor draws =
        torch::rand(x.sizes(), std::move(generator), x.options().requires_grad(false)).clamp_min(kSmallestDraw);
    value = steps.hard(x.detach() + noise_quantile(draws, noise) * forward_scale);
  }
  const torch::Tensor surrogate =
      backward_scale == 0.0f ? x * 0.0 : steps.expectation(x, noise, backward_scale);
  return straight_through(value, surrogate);
}

}  // namespace quantlib::ops::reference
