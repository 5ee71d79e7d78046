#include "quantlib/ops/WeightRange.h"

#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "quantlib/ops/Inq.h"
#include "quantlib/ops/OpChecks.h"
#include "quantlib/ops/SymmetricUniform.h"

namespace quantlib::ops {
namespace {

// w as {rows, elements per row}: one row per channel, or one row.
torch::Tensor as_rows(const char* where, const torch::Tensor& w, bool per_channel) {
  detail::check_float_tensor(where, "w", w);
  detail::check_device_has_kernel(where, w);
  TORCH_CHECK(!per_channel || w.dim() >= 1, where, ": per-channel ranges need a tensor with a dim 0, got a 0-dim w");
  const int64_t rows = per_channel ? w.size(0) : 1;
  return w.detach().reshape({rows, rows == 0 ? 0 : w.numel() / rows});
}

torch::Tensor row_max_magnitudes(const torch::Tensor& rows) {
  if (rows.size(1) == 0) return torch::zeros({rows.size(0)}, rows.options());
  return rows.abs().amax(1);
}

// Per row, keeps the candidate when its error is strictly smaller.
void keep_better(torch::Tensor& best_value, torch::Tensor& best_error, const torch::Tensor& value,
                 const torch::Tensor& error) {
  const torch::Tensor better = error < best_error;
  best_value = torch::where(better, value, best_value);
  best_error = torch::where(better, error, best_error);
}

torch::Tensor mse_clips(const torch::Tensor& rows, const torch::Tensor& max_magnitudes, int64_t bits,
                        int64_t candidates) {
  const double level_max = static_cast<double>(symmetric_level_max(bits));
  torch::Tensor best_clip = max_magnitudes.clone();
  torch::Tensor best_error = torch::full({rows.size(0)}, INFINITY, rows.options().dtype(torch::kDouble));
  // From the largest ratio down, so that among equal errors the larger one stays.
  for (int64_t i = candidates; i >= 1; --i) {
    const torch::Tensor clip = max_magnitudes * (static_cast<double>(i) / static_cast<double>(candidates));
    const torch::Tensor scale = clip / level_max;
    // All-zero rows (and clips too small for a normal float32 scale) are never chosen.
    const torch::Tensor usable = scale >= std::numeric_limits<float>::min();
    const torch::Tensor quantized = symmetric_uniform(rows, torch::where(usable, scale, torch::ones_like(scale)), bits);
    const torch::Tensor error = (rows - quantized).square().sum(1, false, torch::kDouble);
    keep_better(best_clip, best_error, clip, torch::where(usable, error, torch::full_like(error, INFINITY)));
  }
  return best_clip;
}

// Error of the nearest of the uniform levels {0, +-s/h, ..., +-s} per row, for
// per-row scales s > 0.
torch::Tensor uniform_levels_error(const torch::Tensor& magnitudes, const torch::Tensor& scales, int64_t steps,
                                   LevelScaleInit init) {
  const torch::Tensor step = (scales / static_cast<double>(steps)).unsqueeze(1);
  const torch::Tensor index = (magnitudes / step + 0.5).floor().clamp(0, static_cast<double>(steps));
  const torch::Tensor difference = (magnitudes - index * step).abs();
  switch (init) {
    case LevelScaleInit::L1Optimal:
      return difference.sum(1, false, torch::kDouble);
    case LevelScaleInit::L2Optimal:
      return difference.square().sum(1, false, torch::kDouble);
    default:
      return difference.amax(1).to(torch::kDouble);
  }
}

torch::Tensor optimal_uniform_scales(const torch::Tensor& rows, const torch::Tensor& max_magnitudes, int64_t steps,
                                     LevelScaleInit init, int64_t grid_points) {
  const torch::Tensor magnitudes = rows.abs();
  // All-zero rows get a placeholder scale during the search and 0 at the end.
  const torch::Tensor has_range = max_magnitudes > 0;
  const torch::Tensor range = torch::where(has_range, max_magnitudes, torch::ones_like(max_magnitudes))
                                  .to(torch::kDouble);
  const auto error_at = [&](const torch::Tensor& scales_double) {
    return uniform_levels_error(magnitudes, scales_double.to(torch::kFloat), steps, init);
  };

  torch::Tensor best_ratio = torch::ones_like(range);
  torch::Tensor best_error = torch::full_like(range, INFINITY);
  for (int64_t i = grid_points; i >= 1; --i) {
    const torch::Tensor ratio = torch::full_like(range, static_cast<double>(i) / static_cast<double>(grid_points));
    keep_better(best_ratio, best_error, ratio, error_at(range * ratio));
  }
  torch::Tensor best_scale = range * best_ratio;

  // Golden-section search between the neighbours of the best grid point, all rows at once.
  const double grid_step = 1.0 / static_cast<double>(grid_points);
  torch::Tensor low = range * (best_ratio - grid_step).clamp_min(grid_step / 16);
  torch::Tensor high = range * (best_ratio + grid_step).clamp_max(1.0);
  const double inverse_golden = (std::sqrt(5.0) - 1.0) / 2.0;
  torch::Tensor left = high - inverse_golden * (high - low);
  torch::Tensor right = low + inverse_golden * (high - low);
  torch::Tensor left_error = error_at(left);
  torch::Tensor right_error = error_at(right);
  for (int iteration = 0; iteration < 40; ++iteration) {
    const torch::Tensor go_left = left_error <= right_error;
    const torch::Tensor next_low = torch::where(go_left, low, left);
    const torch::Tensor next_high = torch::where(go_left, right, high);
    // The kept inner point moves to the other side; only the new one is evaluated.
    const torch::Tensor probe = torch::where(go_left, next_high - inverse_golden * (next_high - next_low),
                                             next_low + inverse_golden * (next_high - next_low));
    const torch::Tensor probe_error = error_at(probe);
    const torch::Tensor next_left = torch::where(go_left, probe, right);
    const torch::Tensor next_right = torch::where(go_left, left, probe);
    const torch::Tensor next_left_error = torch::where(go_left, probe_error, right_error);
    right_error = torch::where(go_left, left_error, probe_error);
    left_error = next_left_error;
    low = next_low;
    high = next_high;
    left = next_left;
    right = next_right;
  }
  const torch::Tensor refined = (low + high) / 2;
  keep_better(best_scale, best_error, refined, error_at(refined));
  return torch::where(has_range, best_scale.to(torch::kFloat), torch::zeros_like(max_magnitudes));
}

}  // namespace

torch::Tensor symmetric_weight_scales(const torch::Tensor& w, int64_t bits, const RangeInit& init, bool per_channel) {
  constexpr const char* where = "symmetric_weight_scales";
  const double level_max = static_cast<double>(symmetric_level_max(bits));
  TORCH_CHECK(init.method != RangeMethod::Std || (std::isfinite(init.std_factor) && init.std_factor > 0.0), where,
              ": the std factor k must be positive and finite, got ", init.std_factor);
  TORCH_CHECK(init.method != RangeMethod::Mse || init.mse_candidates >= 1, where,
              ": the MSE search needs at least one candidate, got ", init.mse_candidates);
  torch::NoGradGuard no_grad;
  const torch::Tensor rows = as_rows(where, w, per_channel);
  const torch::Tensor max_magnitudes = row_max_magnitudes(rows);
  torch::Tensor clips = max_magnitudes;
  if (init.method == RangeMethod::Std && rows.size(1) > 0) {
    const torch::Tensor spread = rows.std(at::IntArrayRef{1}, /*unbiased=*/false) * init.std_factor;
    clips = torch::where(spread > 0, torch::minimum(spread, max_magnitudes), max_magnitudes);
  } else if (init.method == RangeMethod::Mse && rows.size(1) > 0) {
    clips = mse_clips(rows, max_magnitudes, bits, init.mse_candidates);
  }
  torch::Tensor scales = clips / level_max;
  // All-zero channels: the tensor's scale, or 1 when the whole tensor is zero.
  const torch::Tensor usable = scales >= std::numeric_limits<float>::min();
  const double fallback_clip = max_magnitudes.numel() == 0 ? 0.0 : max_magnitudes.max().item<double>();
  const double fallback = fallback_clip / level_max >= std::numeric_limits<float>::min() ? fallback_clip / level_max : 1.0;
  return torch::where(usable, scales, torch::full_like(scales, fallback));
}

torch::Tensor uniform_levels_scales(const torch::Tensor& w, int64_t n_levels, LevelScaleInit init, bool per_channel,
                                    int64_t grid_points) {
  constexpr const char* where = "uniform_levels_scales";
  check_inq_uniform_levels(where, n_levels);
  TORCH_CHECK(grid_points >= 2, where, ": the search needs at least 2 grid points, got ", grid_points);
  torch::NoGradGuard no_grad;
  const torch::Tensor rows = as_rows(where, w, per_channel);
  const torch::Tensor max_magnitudes = row_max_magnitudes(rows);
  if (init == LevelScaleInit::MaxMagnitude || rows.size(1) == 0) return max_magnitudes;
  return optimal_uniform_scales(rows, max_magnitudes, (n_levels - 1) / 2, init, grid_points);
}

}  // namespace quantlib::ops
