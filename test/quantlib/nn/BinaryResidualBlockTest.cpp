#include "quantlib/nn/BinaryResidualBlock.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/graph/Layer.h"
#include "quantlib/nn/DownsampleShortcut.h"
#include "quantlib/nn/RPReLU.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using quantlib::nn::BinaryResidualBlock;

// Zero conv weights and batch-norm shift and statistics, and RPReLU the identity: what is
// left of the block is its shortcut.
void leave_only_the_shortcut(BinaryResidualBlock& block) {
  torch::NoGradGuard no_grad;
  auto p = block->named_parameters();
  p["conv.weight"].zero_();
  p["bn.bias"].zero_();
  p["act.beta"].fill_(1.0);
  // The batch norm's statistics back to 0 and 1 after the training-mode forward.
  auto b = block->named_buffers();
  b["bn.running_mean"].zero_();
  b["bn.running_var"].fill_(1.0);
}

TEST_CASE("BinaryResidualBlock is act(bn(conv(x)) + x) where the shape stays", "[binary_block]") {
  torch::manual_seed(7);
  BinaryResidualBlock block(4, 4, 1);
  CHECK(block->layer_names() == std::vector<std::string>{"conv", "bn", "shortcut", "act"});
  CHECK(quantlib::graph::find_layer(*block, "act").type == "RPReLU");
  const torch::Tensor x = torch::randn({2, 4, 6, 6});
  CHECK(block->forward(x).sizes() == x.sizes());
  block->eval();
  leave_only_the_shortcut(block);
  CHECK(torch::allclose(block->forward(x), x, 1e-5, 1e-6));
  // And with the conv back, its batch-normed output is added to x before the RPReLU.
  torch::nn::init::normal_(block->named_parameters()["conv.weight"]);
  const auto conv = block->layer("conv")->as<torch::nn::Conv2d>();
  const torch::Tensor expected = conv->forward(x) / std::sqrt(1.0 + 1e-5) + x;
  CHECK(torch::allclose(block->forward(x), expected, 1e-4, 1e-5));
}

TEST_CASE("BinaryResidualBlock downsamples: stride 2 halves the side, the shortcut averages and repeats channels",
          "[binary_block]") {
  torch::manual_seed(8);
  BinaryResidualBlock block(3, 6, 2);
  CHECK(quantlib::graph::find_layer(*block, "shortcut").type == "DownsampleShortcut");
  const torch::Tensor x = torch::randn({2, 3, 8, 8});
  CHECK(block->forward(x).sizes() == torch::IntArrayRef({2, 6, 4, 4}));
  block->eval();
  leave_only_the_shortcut(block);
  const torch::Tensor pooled = torch::avg_pool2d(x, {2, 2});
  CHECK(torch::allclose(block->forward(x), torch::cat({pooled, pooled}, 1), 1e-5, 1e-6));
  CHECK_THROWS_WITH(BinaryResidualBlock(4, 6, 2), Catch::Contains("multiple of in_channels"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
