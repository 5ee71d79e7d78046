#include "quantlib/nn/RPReLU.h"

#include <vector>

#include <torch/torch.h>

#include "quantlib/ops/AlongChannels.h"

namespace quantlib::nn {

RPReLUImpl::RPReLUImpl(std::int64_t channels, double slope) {
  TORCH_CHECK(channels > 0, "RPReLU: needs a positive channel count, got ", channels);
  gamma = register_parameter("gamma", torch::zeros({channels}));
  beta = register_parameter("beta", torch::full({channels}, slope));
  zeta = register_parameter("zeta", torch::zeros({channels}));
}

torch::Tensor RPReLUImpl::forward(const torch::Tensor& input) {
  TORCH_CHECK(input.dim() >= 2 && input.size(1) == channels(), "RPReLU: expected ", channels(),
              " channels along dim 1, got shape ", input.sizes());
  const int64_t dims = input.dim();
  const torch::Tensor z = input - along_channels(gamma, dims);
  return torch::where(z >= 0, z, z * along_channels(beta, dims)) + along_channels(zeta, dims);
}

}  // namespace quantlib::nn
