#pragma once
#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace quantlib::nn {

// The parameter-free shortcut of He et al. 2016 ("option A") where a residual
// block changes shape: the input subsampled by `stride` (every stride-th row
// and column) and zero-padded with new channels, half before and half after
// the input's, up to `out_channels`.
// It is quantlib's (not a problem's) so that integerize knows it: a
// max-pool of kernel 1 and a 1x1 convolution with 0/1 weights, both exact.
class ZeroPadShortcutImpl : public torch::nn::Module {
 public:
  ZeroPadShortcutImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride);
  torch::Tensor forward(const torch::Tensor& input);

  std::int64_t in_channels() const { return in_channels_; }
  std::int64_t out_channels() const { return out_channels_; }
  std::int64_t stride() const { return stride_; }
  // Output channel of input channel 0: the new channels are split half before, half after.
  std::int64_t first_channel() const { return (out_channels_ - in_channels_) / 2; }

 private:
  std::int64_t in_channels_;
  std::int64_t out_channels_;
  std::int64_t stride_;
};

TORCH_MODULE(ZeroPadShortcut);

}  // namespace quantlib::nn
