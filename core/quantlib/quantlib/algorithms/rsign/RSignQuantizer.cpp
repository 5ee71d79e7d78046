#include "quantlib/algorithms/rsign/RSignQuantizer.h"

#include "quantlib/ops/RSign.h"

namespace quantlib::nn {

RSignQuantizer::RSignQuantizer(int64_t channels) : Quantizer("RSignQuantizer", /*enabled=*/true) {
  TORCH_CHECK(channels > 0, "RSignQuantizer: needs a positive channel count, got ", channels);
  threshold_ = register_parameter("threshold", torch::zeros({channels}));
}

torch::Tensor RSignQuantizer::quantize(const torch::Tensor& x) { return ops::rsign(x, threshold_); }

IntegerGrid RSignQuantizer::integer_grid() const {
  return IntegerGrid::of_channel_thresholds(threshold_.reshape({-1, 1}), -1, 2);
}

std::vector<std::pair<std::string, torch::Tensor>> RSignQuantizer::statistics() const {
  return {{"threshold", threshold_.detach()}};
}

}  // namespace quantlib::nn
