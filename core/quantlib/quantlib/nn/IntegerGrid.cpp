#include "quantlib/nn/IntegerGrid.h"

#include <utility>

namespace quantlib::nn {

IntegerGrid IntegerGrid::none(std::string reason) {
  IntegerGrid grid;
  grid.reason = std::move(reason);
  return grid;
}

IntegerGrid IntegerGrid::uniform(torch::Tensor step, int64_t lo, int64_t hi, ops::Rounding rounding) {
  IntegerGrid grid;
  grid.form = Form::Uniform;
  grid.step = std::move(step);
  grid.lo = lo;
  grid.hi = hi;
  grid.rounding = rounding;
  return grid;
}

IntegerGrid IntegerGrid::of_bits(torch::Tensor step, int64_t bits, ops::Signedness signedness, bool symmetric,
                                 ops::Rounding rounding) {
  if (signedness == ops::Signedness::Unsigned) return uniform(std::move(step), 0, (int64_t{1} << bits) - 1, rounding);
  const int64_t hi = (int64_t{1} << (bits - 1)) - 1;
  return uniform(std::move(step), symmetric ? -hi : -hi - 1, hi, rounding);
}

IntegerGrid IntegerGrid::of_thresholds(std::vector<IntegerThreshold> thresholds, int64_t lo, int64_t gain) {
  IntegerGrid grid;
  grid.form = Form::Thresholds;
  grid.step = grid_step(1.0);
  grid.thresholds = std::move(thresholds);
  grid.lo = lo;
  grid.hi = lo + gain * static_cast<int64_t>(grid.thresholds.size());
  grid.gain = gain;
  return grid;
}

IntegerGrid IntegerGrid::of_channel_thresholds(torch::Tensor thresholds, int64_t lo, int64_t gain) {
  TORCH_CHECK(thresholds.dim() == 2, "IntegerGrid: per-channel thresholds are [C, T], got ", thresholds.sizes());
  IntegerGrid grid = of_thresholds({}, lo, gain);
  grid.hi = lo + gain * thresholds.size(1);
  grid.channel_thresholds = thresholds.detach().to(torch::kDouble).contiguous();
  return grid;
}

IntegerGrid IntegerGrid::multiples() {
  IntegerGrid grid;
  grid.form = Form::Multiples;
  return grid;
}

torch::Tensor grid_step(const torch::Tensor& step) { return step.detach().to(torch::kDouble).flatten().clone(); }

torch::Tensor grid_step(double step) { return torch::tensor({step}, torch::kDouble); }

}  // namespace quantlib::nn
