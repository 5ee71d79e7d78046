#include "ImageNetTopology.h"

#include <utility>

#include <torch/torch.h>

#include "DefaultConfigs.h"
#include "quantlab/data/ImageTransforms.h"

namespace imagenet {

ImageNetTopology::ImageNetTopology(const std::string& name, quantlab::NetworkFactory factory)
    : BasicTopology(name, embedded_config(name), std::move(factory)) {}

quantlab::Sample ImageNetTopology::preprocess_sample(quantlab::Sample sample, bool augment,
                                                     std::uint64_t seed) const {
  const auto normalization = quantlab::data::Normalization::imagenet();
  sample.input = augment ? quantlab::data::imagenet_train_transform(sample.input, kCropSize, normalization, seed)
                         : quantlab::data::imagenet_eval_transform(sample.input, kResizeSize, kCropSize,
                                                                    normalization);
  return sample;
}

}  // namespace imagenet
