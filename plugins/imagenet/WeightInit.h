#pragma once
#include <torch/nn/module.h>

namespace imagenet {

// How the fully connected layers start: PyTorch's own default (ResNet keeps
// it) or N(0, 0.01) with zero bias (VGG and the MobileNets, as torchvision).
enum class LinearInit { keep_default, normal_001 };

// torchvision's initialisation of its ImageNet models, so that training from
// scratch behaves as the published recipes expect: every conv's weight
// Kaiming-normal with fan_out and the ReLU gain, its bias (if any) zero;
// linear layers as `linear` says. (Batch-norms start at weight 1 and bias 0
// as LibTorch builds them, which is torchvision's initialisation too.)
void init_weights(torch::nn::Module& network, LinearInit linear);

}  // namespace imagenet
