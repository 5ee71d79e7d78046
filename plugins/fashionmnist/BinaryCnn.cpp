#include "BinaryCnn.h"

#include <string>
#include <utility>

#include <torch/torch.h>

#include "FashionMnistProblem.h"
#include "quantlib/nn/BinaryResidualBlock.h"
#include "quantlib/nn/Sequential.h"

namespace fashionmnist {

BinaryCnnOptions BinaryCnnOptions::from(const quantlab::Params& params) {
  params.only({"stem", "channels", "blocks", "dropout"});
  BinaryCnnOptions options;
  options.stem = params.get("stem", options.stem);
  options.channels = params.get("channels", options.channels);
  options.blocks = params.get("blocks", options.blocks);
  options.dropout = params.get("dropout", options.dropout);
  if (options.stem <= 0) params.fail("stem", "a positive width of the first convolution");
  // Each stage halves the image side: 28 -> 14 -> 7 -> 3.
  if (options.channels.empty() || options.channels.size() > 3)
    params.fail("channels", "a list of 1 to 3 stage widths");
  std::int64_t previous = options.stem;
  for (const auto width : options.channels) {
    // The shortcut repeats its input's channels up to the stage's width.
    if (width <= 0 || width % previous != 0)
      params.fail("channels", "positive stage widths, each a multiple of the one before (the first of stem)");
    previous = width;
  }
  if (options.blocks <= 0) params.fail("blocks", "a positive number of residual blocks per stage");
  if (!(options.dropout >= 0.0 && options.dropout < 1.0)) params.fail("dropout", "a probability in [0, 1)");
  return options;
}

BinaryCnn::BinaryCnn(const BinaryCnnOptions& options) : stages_(options.channels.size()) {
  add("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, options.stem, 3).padding(1).bias(false)));
  add("bn1", torch::nn::BatchNorm2d(options.stem));
  std::int64_t in_channels = options.stem;
  std::int64_t side = kImageSide;
  for (std::size_t stage = 0; stage < stages_; ++stage) {
    quantlib::nn::Sequential layer;
    for (std::int64_t block = 0; block < options.blocks; ++block) {
      const std::int64_t stride = block == 0 ? 2 : 1;
      layer->push_back(std::to_string(block),
                       quantlib::nn::BinaryResidualBlock(in_channels, options.channels[stage], stride));
      in_channels = options.channels[stage];
    }
    add("layer" + std::to_string(stage + 1), layer);
    side /= 2;
  }
  add("dropout", torch::nn::Dropout(options.dropout));
  add("fc", torch::nn::Linear(in_channels * side * side, kClasses));
}

torch::Tensor BinaryCnn::forward(torch::Tensor input) {
  torch::Tensor x = call("conv1", input);
  x = call("bn1", x);
  for (std::size_t stage = 1; stage <= stages_; ++stage) x = call("layer" + std::to_string(stage), x);
  x = call("dropout", x.flatten(1));
  return call("fc", x);
}

}  // namespace fashionmnist
