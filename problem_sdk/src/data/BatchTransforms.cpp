#include "quantlab/data/BatchTransforms.h"

#include <torch/torch.h>

namespace quantlab::data {
namespace {

void check_images(const torch::Tensor& images) {
  TORCH_CHECK(images.dim() == 4, "batch transforms expect images [N, C, H, W], got ", images.sizes());
}

}  // namespace

torch::Tensor random_flip(const torch::Tensor& images, torch::Generator& generator) {
  check_images(images);
  torch::NoGradGuard no_grad;
  const torch::Tensor flip =
      torch::rand({images.size(0)}, generator).lt(0.5).to(images.device()).view({-1, 1, 1, 1});
  return torch::where(flip, images.flip({3}), images);
}

// Gathers every sample's window with one advanced-indexing call rather than a
// loop of per-sample slices.
torch::Tensor random_crop(const torch::Tensor& images, std::int64_t padding, torch::Generator& generator) {
  check_images(images);
  TORCH_CHECK(padding >= 0, "random_crop: padding must be >= 0, got ", padding);
  if (padding == 0) return images;
  torch::NoGradGuard no_grad;
  const std::int64_t n = images.size(0), channels = images.size(1);
  const std::int64_t height = images.size(2), width = images.size(3);
  const torch::Tensor padded = torch::constant_pad_nd(images, {padding, padding, padding, padding}, 0.0);
  // Drawn on the generator's (CPU) device, used on the images'.
  const torch::Tensor offsets = torch::randint(0, 2 * padding + 1, {n, 2}, generator).to(images.device());
  const auto index = torch::TensorOptions().dtype(torch::kLong).device(images.device());
  const torch::Tensor rows = offsets.select(1, 0).view({n, 1, 1, 1}) +
                             torch::arange(height, index).view({1, 1, height, 1});
  const torch::Tensor cols = offsets.select(1, 1).view({n, 1, 1, 1}) +
                             torch::arange(width, index).view({1, 1, 1, width});
  return padded.index({torch::arange(n, index).view({n, 1, 1, 1}),
                       torch::arange(channels, index).view({1, channels, 1, 1}), rows, cols});
}

torch::Tensor normalize(const torch::Tensor& images, const std::vector<double>& mean, const std::vector<double>& std) {
  check_images(images);
  const auto channels = static_cast<std::size_t>(images.size(1));
  TORCH_CHECK(mean.size() == std.size() && (mean.size() == 1 || mean.size() == channels),
              "normalize: expected one mean and std per channel (", channels, ") or one for all, got ", mean.size(),
              " and ", std.size());
  for (const double deviation : std) TORCH_CHECK(deviation > 0.0, "normalize: std must be > 0, got ", deviation);
  torch::NoGradGuard no_grad;
  // Scalars for one value: the same arithmetic (and bits) as x.sub(m).div(s).
  if (mean.size() == 1) return images.sub(mean[0]).div(std[0]);
  const auto options = torch::TensorOptions().dtype(images.scalar_type()).device(images.device());
  const auto shape = std::vector<std::int64_t>{1, images.size(1), 1, 1};
  const torch::Tensor means = torch::tensor(mean, torch::kDouble).to(options).view(shape);
  const torch::Tensor deviations = torch::tensor(std, torch::kDouble).to(options).view(shape);
  return images.sub(means).div(deviations);
}

}  // namespace quantlab::data
