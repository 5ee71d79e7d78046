#pragma once
#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace cifar10 {

// The parameter-free shortcut of He et al. 2016 ("option A") where a residual
// block changes shape: the input subsampled by `stride` (every stride-th row
// and column) and zero-padded with new channels, half before and half after
// the input's, up to `out_channels`.
class ZeroPadShortcutImpl : public torch::nn::Module {
 public:
  ZeroPadShortcutImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride);
  torch::Tensor forward(const torch::Tensor& input);

 private:
  std::int64_t in_channels_;
  std::int64_t out_channels_;
  std::int64_t stride_;
};

TORCH_MODULE(ZeroPadShortcut);

}  // namespace cifar10
