#include <cstdint>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlab/data/BatchTransforms.h"
#include "plugins/fashionmnist/FashionMnistPlugin.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace data = quantlab::data;

namespace {

torch::Generator seeded(std::uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// images[n] shifted by (dy - padding, dx - padding) with zeros where the
// window leaves the image, written out one element at a time.
torch::Tensor crop_by_hand(const torch::Tensor& images, std::int64_t n, std::int64_t padding, std::int64_t dy,
                           std::int64_t dx) {
  const auto channels = images.size(1), height = images.size(2), width = images.size(3);
  torch::Tensor out = torch::zeros({channels, height, width});
  auto source = images.accessor<float, 4>();
  auto target = out.accessor<float, 3>();
  for (std::int64_t c = 0; c < channels; ++c)
    for (std::int64_t y = 0; y < height; ++y)
      for (std::int64_t x = 0; x < width; ++x) {
        const std::int64_t sy = y + dy - padding, sx = x + dx - padding;
        if (sy >= 0 && sy < height && sx >= 0 && sx < width) target[c][y][x] = source[n][c][sy][sx];
      }
  return out;
}

}  // namespace

TEST_CASE("random_flip mirrors exactly the samples whose uniform draw is below one half", "[data][transforms]") {
  const torch::Tensor images = torch::rand({16, 2, 3, 5});
  auto generator = seeded(3);
  const torch::Tensor flipped = data::random_flip(images, generator);
  auto replay = seeded(3);
  const torch::Tensor draws = torch::rand({16}, replay);
  int mirrored = 0;
  for (int n = 0; n < 16; ++n) {
    const bool flip = draws[n].item<float>() < 0.5f;
    mirrored += flip;
    CHECK(torch::equal(flipped[n], flip ? images[n].flip({2}) : images[n]));
  }
  CHECK(mirrored > 0);
  CHECK(mirrored < 16);
  // It drew exactly N numbers: both generators continue alike.
  CHECK(torch::equal(torch::rand({4}, generator), torch::rand({4}, replay)));
}

TEST_CASE("random_crop shifts each sample by its drawn offsets with zero padding", "[data][transforms]") {
  const torch::Tensor images = torch::rand({12, 3, 7, 6}) + 1.0;  // no zero pixels of its own
  for (const std::int64_t padding : {1, 2, 4}) {
    INFO("padding " << padding);
    auto generator = seeded(17 + padding);
    const torch::Tensor cropped = data::random_crop(images, padding, generator);
    REQUIRE(cropped.sizes() == images.sizes());
    auto replay = seeded(17 + padding);
    const torch::Tensor offsets = torch::randint(0, 2 * padding + 1, {12, 2}, replay);
    bool moved = false;
    for (std::int64_t n = 0; n < 12; ++n) {
      const auto dy = offsets[n][0].item<std::int64_t>(), dx = offsets[n][1].item<std::int64_t>();
      moved = moved || dy != padding || dx != padding;
      CHECK(torch::equal(cropped[n], crop_by_hand(images, n, padding, dy, dx)));
    }
    CHECK(moved);
    CHECK(torch::equal(torch::rand({3}, generator), torch::rand({3}, replay)));
  }
  auto generator = seeded(1);
  CHECK(torch::equal(data::random_crop(images, 0, generator), images));
  CHECK_THROWS(data::random_crop(images.select(0, 0), 2, generator));
}

TEST_CASE("normalize subtracts and divides per channel or by one value for all", "[data][transforms]") {
  const torch::Tensor images = torch::rand({2, 3, 4, 4});
  const torch::Tensor out = data::normalize(images, {0.1, 0.2, 0.3}, {0.5, 0.25, 2.0});
  const std::vector<double> mean{0.1, 0.2, 0.3}, deviation{0.5, 0.25, 2.0};
  for (int c = 0; c < 3; ++c)
    CHECK(torch::allclose(out.select(1, c), (images.select(1, c) - mean[c]) / deviation[c], 1e-6, 1e-7));
  CHECK(torch::equal(data::normalize(images, {0.3}, {0.7}), images.sub(0.3).div(0.7)));
  CHECK_THROWS(data::normalize(images, {0.1, 0.2}, {1.0, 1.0}));
  CHECK_THROWS(data::normalize(images, {0.1}, {0.0}));
}

// Fashion-MNIST's preprocess is built on these functions: for a generator
// state it gives, bit for bit, a flip by rand(N) < 0.5, then
// (x - 0.2860) / 0.3530, here computed sample by sample.
TEST_CASE("Fashion-MNIST's augmentation is the flip of its generator stream",
          "[data][transforms][fashionmnist]") {
  const torch::Tensor images = torch::rand({8, 1, 28, 28});
  const torch::Tensor targets = torch::arange(8);
  auto generator = seeded(2024);
  const auto out = fashionmnist::test::topology("SimpleCNN")->preprocess({images, targets}, true, generator);

  auto replay = seeded(2024);
  const torch::Tensor flips = torch::rand({8}, replay).lt(0.5);
  for (std::int64_t n = 0; n < 8; ++n) {
    const torch::Tensor source = flips[n].item<bool>() ? images[n].flip({2}) : images[n];
    CHECK(torch::equal(out.input[n], source.sub(0.2860).div(0.3530)));
  }
  CHECK(torch::equal(out.target, targets));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
