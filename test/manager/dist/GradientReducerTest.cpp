#include "manager/dist/GradientReducer.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "manager/dist/TestCommunicators.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;

namespace {

// A parameter the forward never uses (first, so it lands in the last
// bucket), then fc1 (4->32), fc2 (32->32), fc3 (32->3).
struct Net : torch::nn::Module {
  Net() {
    unused = register_parameter("unused", torch::ones({5}));
    fc1 = register_module("fc1", torch::nn::Linear(4, 32));
    fc2 = register_module("fc2", torch::nn::Linear(32, 32));
    fc3 = register_module("fc3", torch::nn::Linear(32, 3));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc3(torch::relu(fc2(torch::relu(fc1(x))))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
  torch::Tensor unused;
};

// Gradients of one backward, by parameter, and the reduction calls it made.
struct Step {
  std::vector<torch::Tensor> gradients;
  int started_during_backward = 0;
  std::vector<int64_t> sizes;
};

Step step(Net& net, const ReducerOptions& options, int ranks) {
  test::MirrorCommunicator communicator(ranks);
  GradientReducer reducer(communicator, net.parameters(), options);
  torch::manual_seed(5);
  net.zero_grad();
  net.forward(torch::randn({8, 4})).square().sum().backward();
  Step result;
  result.started_during_backward = communicator.async_started;
  reducer.finish();
  result.sizes = communicator.sizes;
  for (const auto& parameter : net.parameters())
    result.gradients.push_back(parameter.grad().defined() ? parameter.grad().clone() : torch::Tensor());
  return result;
}

}  // namespace

TEST_CASE("GradientReducer: fused buckets in reverse parameter order, averaged gradients", "[dist]") {
  torch::manual_seed(1);
  Net net;
  ReducerOptions one_rank_like;
  one_rank_like.bucket_bytes = 1 << 20;
  const Step reference = step(net, one_rank_like, 1);

  for (const bool overlap : {true, false}) {
    CAPTURE(overlap);
    ReducerOptions options;
    options.overlap = overlap;
    // 4 KiB: fc3 (99 floats) and fc2's bias share a bucket; fc2's weight (1024
    // floats, 4 KiB) gets its own; fc1 and `unused` share the last.
    options.bucket_bytes = 4096;
    test::MirrorCommunicator probe(2);
    CHECK(GradientReducer(probe, net.parameters(), options).bucket_count() == 3);

    const Step reduced = step(net, options, 2);
    // Identical peers: the average is this rank's own gradient.
    REQUIRE(reduced.gradients.size() == reference.gradients.size());
    for (std::size_t i = 0; i < reduced.gradients.size(); ++i) {
      CAPTURE(i);
      REQUIRE(reduced.gradients[i].defined() == reference.gradients[i].defined());
      if (reduced.gradients[i].defined()) CHECK(torch::allclose(reduced.gradients[i], reference.gradients[i]));
    }
    // The parameter no one used keeps no gradient, so an optimizer skips it.
    CHECK_FALSE(net.unused.grad().defined());
    // Buckets start in order, each with one flag per parameter after the gradients:
    // fc3 bias+weight and fc2 bias; fc2 weight; fc1 bias+weight and unused.
    CHECK(reduced.sizes == std::vector<int64_t>{96 + 3 + 32 + 3, 1024 + 1, 128 + 32 + 5 + 3});
    // Overlap starts the complete buckets from the hooks, during backward;
    // the last one waits for `unused`, which never comes, until finish().
    CHECK(reduced.started_during_backward == (overlap ? 2 : 0));
  }
}

TEST_CASE("GradientReducer: steps after the first reuse the buckets", "[dist]") {
  torch::manual_seed(2);
  Net net;
  ReducerOptions options;
  options.bucket_bytes = 4096;
  test::MirrorCommunicator communicator(3);
  GradientReducer reducer(communicator, net.parameters(), options);
  for (int i = 0; i < 3; ++i) {
    net.zero_grad();
    const torch::Tensor x = torch::randn({8, 4});
    net.forward(x).sum().backward();
    std::vector<torch::Tensor> local;
    for (const auto& parameter : net.parameters())
      local.push_back(parameter.grad().defined() ? parameter.grad().clone() : torch::Tensor());
    reducer.finish();
    const auto parameters = net.parameters();
    for (std::size_t p = 0; p < parameters.size(); ++p)
      if (local[p].defined()) CHECK(torch::allclose(parameters[p].grad(), local[p]));
  }
  CHECK(communicator.async_started == 3 * 3);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
