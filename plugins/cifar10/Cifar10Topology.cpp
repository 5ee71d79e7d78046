#include "Cifar10Topology.h"

#include <torch/torch.h>

#include "DefaultConfigs.h"
#include "quantlab/data/BatchTransforms.h"

namespace cifar10 {

Cifar10Topology::Cifar10Topology(const std::string& name, quantlab::NetworkFactory factory)
    : BasicTopology(name, embedded_config(name), std::move(factory)) {}

quantlab::Batch Cifar10Topology::preprocess(quantlab::Batch batch, bool augment,
                                            torch::Generator& generator) const {
  TORCH_CHECK(batch.input.dim() == 4 && batch.input.size(1) == 3, "CIFAR-10 input must be [N, 3, H, W], got ",
              batch.input.sizes());
  torch::NoGradGuard no_grad;
  torch::Tensor images = batch.input.scalar_type() == torch::kUInt8 ? batch.input.to(torch::kFloat32).div_(255.0)
                                                                     : batch.input;
  // Augment before normalising so the padding is black (zero pixels), as in
  // the usual pad-and-crop.
  if (augment)
    images = quantlab::data::random_crop(quantlab::data::random_flip(images, generator), kCropPadding, generator);
  batch.input = quantlab::data::normalize(images, kChannelMean, kChannelStd);
  return batch;
}

}  // namespace cifar10
