#pragma once
// A small network of Blocks for the graph-editing tests: a nested Sequential
// of conv blocks (with and without conv bias), a Linear + BatchNorm1d, and a
// plain torch module whose child no Block calls.
#include <torch/torch.h>

#include "quantlib/nn/Block.h"
#include "quantlib/nn/Sequential.h"

namespace quantlib::graph::test {

// Calls its child through a typed handle, as plain LibTorch modules do.
struct PlainHeadImpl : torch::nn::Module {
  PlainHeadImpl() : linear(register_module("linear", torch::nn::Linear(8, 3))) {}
  torch::Tensor forward(const torch::Tensor& x) { return linear(x); }
  torch::nn::Linear linear;
};
TORCH_MODULE(PlainHead);

// Input [N, 2, 4, 4], output [N, 3].
struct SmallNet : nn::Block {
  SmallNet() {
    features = add("features", nn::Sequential());
    features->push_back("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(2, 4, 3).padding(1)));
    features->push_back("bn1", torch::nn::BatchNorm2d(4));
    features->push_back("relu1", torch::nn::ReLU());
    features->push_back("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 6, 3).padding(1).bias(false)));
    features->push_back("bn2", torch::nn::BatchNorm2d(6));
    features->push_back("relu2", torch::nn::ReLU());
    add("pool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
    add("fc1", torch::nn::Linear(6 * 2 * 2, 8));
    add("bn3", torch::nn::BatchNorm1d(8));
    add("relu3", torch::nn::ReLU());
    add("head", PlainHead());
  }

  torch::Tensor forward(const torch::Tensor& input) {
    torch::Tensor x = call("pool", call("features", input)).flatten(1);
    x = call("relu3", call("bn3", call("fc1", x)));
    return call("head", x);
  }

  nn::Sequential features{nullptr};
};

}  // namespace quantlib::graph::test
