#include "FashionMnistTopology.h"

#include <torch/torch.h>

#include "DefaultConfigs.h"

namespace fashionmnist {
namespace {

torch::Tensor random_flip(const torch::Tensor& images, torch::Generator& generator) {
  const torch::Tensor flip = torch::rand({images.size(0)}, generator).lt(0.5).view({-1, 1, 1, 1});
  return torch::where(flip, images.flip({3}), images);
}

// Gathers every sample's window with one advanced-indexing call rather than a
// loop of per-sample slices.
torch::Tensor random_crop(const torch::Tensor& images, torch::Generator& generator) {
  const std::int64_t n = images.size(0), channels = images.size(1);
  const std::int64_t height = images.size(2), width = images.size(3);
  const torch::Tensor padded = torch::constant_pad_nd(
      images, {kCropPadding, kCropPadding, kCropPadding, kCropPadding}, 0.0);
  const torch::Tensor offsets = torch::randint(0, 2 * kCropPadding + 1, {n, 2}, generator);
  const auto index = torch::TensorOptions().dtype(torch::kLong);
  const torch::Tensor rows = offsets.select(1, 0).view({n, 1, 1, 1}) +
                             torch::arange(height, index).view({1, 1, height, 1});
  const torch::Tensor cols = offsets.select(1, 1).view({n, 1, 1, 1}) +
                             torch::arange(width, index).view({1, 1, 1, width});
  return padded.index({torch::arange(n, index).view({n, 1, 1, 1}),
                       torch::arange(channels, index).view({1, channels, 1, 1}), rows, cols});
}

}  // namespace

FashionMnistTopology::FashionMnistTopology(const std::string& name, quantlab::NetworkFactory factory)
    : BasicTopology(name, embedded_config(name), std::move(factory)) {}

quantlab::Batch FashionMnistTopology::preprocess(quantlab::Batch batch, bool augment,
                                                 torch::Generator& generator) const {
  TORCH_CHECK(batch.input.dim() == 4, "Fashion-MNIST input must be [N, C, H, W]");
  torch::NoGradGuard no_grad;
  torch::Tensor images = batch.input;
  // Augment before normalising so the padding is black, like the background.
  if (augment) images = random_crop(random_flip(images, generator), generator);
  batch.input = images.sub(kPixelMean).div(kPixelStd);
  return batch;
}

}  // namespace fashionmnist
