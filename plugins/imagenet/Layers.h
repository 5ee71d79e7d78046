#pragma once
// Small groups of layers the ImageNet networks share, each a quantlib
// Sequential whose layers are called by name (so recipes can edit them).
#include <cstdint>
#include <string>

#include "quantlib/nn/Sequential.h"

namespace imagenet {

// A residual block's shortcut when its stride or width changes: layers "0" (a
// 1x1 conv without bias) and "1" (batch-norm), so the parameters are named
// downsample.0.weight, downsample.1.weight, ... as in torchvision.
quantlib::nn::Sequential make_downsample(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride);

enum class Activation { relu, relu6 };

// conv (kernel k, padding k/2, no bias) -> batch-norm -> activation, as layers
// `<prefix>conv`, `<prefix>bn`, `<prefix>relu` added to `block`; groups ==
// in_channels makes the conv depthwise.
void add_conv_bn_act(quantlib::nn::Block& block, const std::string& prefix, std::int64_t in_channels,
                     std::int64_t out_channels, std::int64_t kernel, std::int64_t stride, std::int64_t groups,
                     Activation activation);

}  // namespace imagenet
