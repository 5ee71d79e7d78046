#pragma once
#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace quantlib::nn {

// A parameter-free real-valued shortcut for a residual block that changes
// shape (ReActNet's): a stride x stride average pool, then the channels
// repeated up to out_channels (a multiple of in_channels), so that no
// convolution besides the block's own is needed.
class DownsampleShortcutImpl : public torch::nn::Module {
 public:
  DownsampleShortcutImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride);
  torch::Tensor forward(const torch::Tensor& input);

 private:
  std::int64_t in_channels_;
  std::int64_t out_channels_;
  std::int64_t stride_;
};

TORCH_MODULE(DownsampleShortcut);

}  // namespace quantlib::nn
