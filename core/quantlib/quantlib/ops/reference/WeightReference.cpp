#include "quantlib/ops/reference/WeightReference.h"

#include <vector>

#include <torch/torch.h>

#include "quantlib/ops/Reference.h"

namespace quantlib::ops::reference {
namespace {

// Forward: value, exactly. Backward: the gradient of surrogate.
torch::Tensor straight_through(const torch::Tensor& value, const torch::Tensor& surrogate) {
  return value.detach() + (surrogate - surrogate.detach());
}

torch::Tensor scalar_like(const torch::Tensor& like, double value) {
  return torch::scalar_tensor(value, like.options().requires_grad(false));
}

// Shape {C, 1, ..., 1} broadcasting along dim 0 of x, or {} for one value.
std::vector<int64_t> channel_shape(const torch::Tensor& x, int64_t channels) {
  if (channels == 1) return {};
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[0] = channels;
  return shape;
}

torch::Tensor clipped_identity(const torch::Tensor& x) { return clip_closed(x, -1.0, 1.0); }

// Rows of |w| as double: one per channel along dim 0, or one.
torch::Tensor magnitude_rows(const torch::Tensor& w, bool per_channel) {
  const int64_t rows = per_channel ? w.size(0) : 1;
  return w.detach().abs().to(torch::kDouble).reshape({rows, rows == 0 ? 0 : w.numel() / rows});
}

}  // namespace

torch::Tensor symmetric_uniform(const torch::Tensor& x, const torch::Tensor& scale, int64_t bits) {
  const double level_max = static_cast<double>((int64_t{1} << (bits - 1)) - 1);
  const torch::Tensor s = scale.detach().reshape(channel_shape(x, scale.numel()));
  const torch::Tensor quantized = (x / s).round().clamp(-level_max, level_max) * s;
  const torch::Tensor bound = s * level_max;
  const torch::Tensor inside = (x >= -bound).logical_and(x <= bound);
  return straight_through(quantized, torch::where(inside, x, x.detach()));
}

torch::Tensor binary_weights(const torch::Tensor& w, bool per_channel) {
  const torch::Tensor rows = magnitude_rows(w, per_channel);
  const torch::Tensor scale =
      (rows.sum(1) / static_cast<double>(rows.size(1))).to(torch::kFloat).reshape(channel_shape(w, rows.size(0)));
  const torch::Tensor value = torch::where(w >= 0, scale, -scale);
  return straight_through(value, clipped_identity(w));
}

torch::Tensor binary_activations(const torch::Tensor& x) {
  const torch::Tensor value = torch::where(x >= 0, scalar_like(x, 1.0), scalar_like(x, -1.0));
  return straight_through(value, clipped_identity(x));
}

torch::Tensor ternary_weights(const torch::Tensor& w, bool per_channel, double threshold_factor) {
  const torch::Tensor rows = magnitude_rows(w, per_channel);
  const torch::Tensor threshold = (threshold_factor * (rows.sum(1) / static_cast<double>(rows.size(1))))
                                      .to(torch::kFloat);
  const torch::Tensor above = rows.to(torch::kFloat) > threshold.unsqueeze(1);
  const torch::Tensor count = above.sum(1).to(torch::kDouble);
  const torch::Tensor above_sum = torch::where(above, rows, torch::zeros_like(rows)).sum(1);
  const torch::Tensor scale = torch::where(count > 0, above_sum / count, torch::zeros_like(count)).to(torch::kFloat);
  const auto shape = channel_shape(w, rows.size(0));
  const torch::Tensor delta = threshold.reshape(shape);
  const torch::Tensor a = scale.reshape(shape);
  const torch::Tensor value = torch::where(w > delta, a, torch::where(w < -delta, -a, torch::zeros_like(a)));
  return straight_through(value, clipped_identity(w));
}

torch::Tensor ternary_activations(const torch::Tensor& x, double threshold) {
  const double t = static_cast<float>(threshold);
  const torch::Tensor value = torch::where(x > t, scalar_like(x, 1.0),
                                           torch::where(x < -t, scalar_like(x, -1.0), scalar_like(x, 0.0)));
  return straight_through(value, clipped_identity(x));
}

torch::Tensor inq(const torch::Tensor& w, const torch::Tensor& frozen) {
  const torch::Tensor fixed = frozen.detach();
  return torch::where(fixed.isnan(), w, fixed);
}

}  // namespace quantlib::ops::reference
