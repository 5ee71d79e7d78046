#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlab/data/ImageTransforms.h"
#include "quantlab/Errors.h"
#include "support/ErrorMessage.h"
#include "support/ImageFiles.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace data = quantlab::data;
using data::CropBox;
using data::Normalization;
using quantlab::test::RgbImage;

namespace {

torch::Tensor bytes_tensor(const std::string& bytes) {
  auto tensor = torch::empty({static_cast<std::int64_t>(bytes.size())}, torch::kUInt8);
  std::memcpy(tensor.data_ptr<std::uint8_t>(), bytes.data(), bytes.size());
  return tensor;
}

// (pixel / 255 - mean) / std of source pixels [3, H, W], computed in double.
torch::Tensor normalized(const torch::Tensor& chw, const Normalization& norm) {
  auto out = chw.to(torch::kDouble) / 255.0;
  for (int c = 0; c < 3; ++c) out[c] = (out[c] - norm.mean[c]) / norm.std[c];
  return out.to(torch::kFloat);
}

torch::Tensor chw(const RgbImage& image) {
  auto hwc = torch::empty({image.height, image.width, 3}, torch::kUInt8);
  std::memcpy(hwc.data_ptr<std::uint8_t>(), image.pixels.data(), image.pixels.size());
  return hwc.permute({2, 0, 1}).contiguous();
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

// A horizontal ramp: pixel (x, y) = (x, 2x mod 256, 7), exact in a PNG.
RgbImage ramp(int width, int height) {
  RgbImage image{width, height, std::vector<std::uint8_t>(static_cast<std::size_t>(width) * height * 3)};
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      auto* p = &image.pixels[(static_cast<std::size_t>(y) * width + x) * 3];
      p[0] = static_cast<std::uint8_t>(x);
      p[1] = static_cast<std::uint8_t>(y);
      p[2] = 7;
    }
  return image;
}

const Normalization kIdentity{{0.f, 0.f, 0.f}, {1.f / 255.f, 1.f / 255.f, 1.f / 255.f}};

}  // namespace

TEST_CASE("Random-resized-crop boxes follow torchvision's rules", "[imagetransforms]") {
  for (std::uint64_t seed = 0; seed < 500; ++seed) {
    data::SampleRng rng(seed);
    const CropBox box = data::random_resized_crop_box(500, 375, rng);
    INFO("seed " << seed);
    REQUIRE(box.x >= 0);
    REQUIRE(box.y >= 0);
    REQUIRE(box.x + box.width <= 500);
    REQUIRE(box.y + box.height <= 375);
    const double area = static_cast<double>(box.width * box.height) / (500.0 * 375.0);
    const double ratio = static_cast<double>(box.width) / static_cast<double>(box.height);
    // Rounding each side to whole pixels moves area and ratio a little.
    CHECK(area >= 0.079);
    CHECK(ratio >= 0.75 * 0.97);
    CHECK(ratio <= 4.0 / 3.0 * 1.03);
  }
  // Too wide for any try: the centred box of ratio 4/3 over the full height.
  data::SampleRng rng(1);
  CHECK(data::random_resized_crop_box(1000, 10, rng) == CropBox{493, 0, 13, 10});
  data::SampleRng rng2(1);
  CHECK(data::random_resized_crop_box(10, 1000, rng2) == CropBox{0, 493, 10, 13});
}

TEST_CASE("Resize and center-crop sizes match torchvision", "[imagetransforms]") {
  CHECK(data::short_side_resize(500, 375, 256) == std::array<std::int64_t, 2>{341, 256});
  CHECK(data::short_side_resize(375, 500, 256) == std::array<std::int64_t, 2>{256, 341});
  CHECK(data::short_side_resize(256, 256, 256) == std::array<std::int64_t, 2>{256, 256});
  // Python rounds 16.5 to 16 and 17.5 to 18.
  CHECK(data::center_crop_box(257, 300, 224, 224) == CropBox{16, 38, 224, 224});
  CHECK(data::center_crop_box(259, 224, 224, 224) == CropBox{18, 0, 224, 224});
}

TEST_CASE("Train and eval transforms give normalized float [3, size, size]", "[imagetransforms]") {
  const auto norm = Normalization::imagenet();
  const auto jpeg = bytes_tensor(quantlab::test::encode_jpeg(quantlab::test::photo_like_image(500, 375, 1)));
  const auto small = bytes_tensor(quantlab::test::encode_jpeg(quantlab::test::photo_like_image(40, 30, 2)));
  for (const auto& input : {jpeg, small}) {
    const auto train = data::imagenet_train_transform(input, 224, norm, 7);
    CHECK(train.sizes() == torch::IntArrayRef({3, 224, 224}));
    CHECK(train.scalar_type() == torch::kFloat32);
    const auto eval = data::imagenet_eval_transform(input, 256, 224, norm);
    CHECK(eval.sizes() == torch::IntArrayRef({3, 224, 224}));
  }
  CHECK(data::imagenet_train_transform(jpeg, 96, norm, 7).sizes() == torch::IntArrayRef({3, 96, 96}));
}

TEST_CASE("A solid image normalizes to (colour / 255 - mean) / std everywhere", "[imagetransforms]") {
  const auto norm = Normalization::imagenet();
  const auto png = bytes_tensor(quantlab::test::encode_png(quantlab::test::solid_image(300, 200, 200, 100, 30)));
  const float expected[3] = {(200.f / 255.f - 0.485f) / 0.229f, (100.f / 255.f - 0.456f) / 0.224f,
                             (30.f / 255.f - 0.406f) / 0.225f};
  for (const auto& out : {data::imagenet_train_transform(png, 224, norm, 3),
                          data::imagenet_eval_transform(png, 256, 224, norm)}) {
    for (int c = 0; c < 3; ++c) {
      CHECK(out[c].min().item<float>() == Approx(expected[c]).margin(1e-5));
      CHECK(out[c].max().item<float>() == Approx(expected[c]).margin(1e-5));
    }
  }
}

TEST_CASE("Shrinking a ramp by 2 samples it at the output pixels' centres", "[imagetransforms]") {
  // A symmetric filter reproduces a linear ramp, so output pixel i of a 2x
  // shrink is the ramp at source position 2i + 0.5 (away from the borders).
  const RgbImage source = ramp(200, 60);
  const auto encoded = bytes_tensor(quantlab::test::encode_png(source));
  quantlab::data::ImageDecoder decoder(encoded.data_ptr<std::uint8_t>(), static_cast<std::size_t>(encoded.numel()));
  const auto image = decoder.decode_all();
  std::vector<float> out(3 * 30 * 100);
  data::resized_crop_normalize(image, CropBox{0, 0, 200, 60}, 100, 30, false, kIdentity, out.data());
  for (int i = 2; i < 98; ++i) CHECK(out[10 * 100 + i] == Approx(2.0 * i + 0.5).margin(1e-3));
  for (int j = 2; j < 28; ++j) CHECK(out[30 * 100 + j * 100 + 50] == Approx(2.0 * j + 0.5).margin(1e-3));
  // Growing by 2: output pixel i samples position (i + 0.5) / 2 - 0.5.
  std::vector<float> big(3 * 60 * 200);
  data::resized_crop_normalize(image, CropBox{20, 10, 100, 30}, 200, 60, false, kIdentity, big.data());
  for (int i = 2; i < 198; ++i) CHECK(big[30 * 200 + i] == Approx(20 + (i + 0.5) / 2 - 0.5).margin(1e-3));
}

TEST_CASE("Eval at the image's own short side is an exact center crop", "[imagetransforms]") {
  const RgbImage source = quantlab::test::photo_like_image(256, 300, 4);
  const auto out = data::imagenet_eval_transform(bytes_tensor(quantlab::test::encode_png(source)), 256, 224,
                                                 Normalization::imagenet());
  // Resize(256) keeps 256 x 300; the crop starts at (16, 38).
  const auto expected = normalized(chw(source).slice(1, 38, 262).slice(2, 16, 240), Normalization::imagenet());
  CHECK(max_abs_diff(out, expected) < 1e-4);
}

TEST_CASE("Flip mirrors the output and the train transform is the crop it draws", "[imagetransforms]") {
  const auto norm = Normalization::imagenet();
  const RgbImage source = quantlab::test::photo_like_image(300, 200, 6);
  const auto encoded = bytes_tensor(quantlab::test::encode_jpeg(source));
  quantlab::data::ImageDecoder decoder(encoded.data_ptr<std::uint8_t>(), static_cast<std::size_t>(encoded.numel()));
  const auto full = decoder.decode_all();
  const CropBox box{31, 17, 150, 120};
  auto plain = torch::empty({3, 64, 64});
  auto mirrored = torch::empty({3, 64, 64});
  data::resized_crop_normalize(full, box, 64, 64, false, norm, plain.data_ptr<float>());
  data::resized_crop_normalize(full, box, 64, 64, true, norm, mirrored.data_ptr<float>());
  CHECK(torch::equal(mirrored, plain.flip({2})));
  CHECK_FALSE(torch::equal(mirrored, plain));

  int flips = 0;
  for (std::uint64_t seed = 0; seed < 12; ++seed) {
    INFO("seed " << seed);
    const auto crop = data::imagenet_train_crop(300, 200, seed);
    flips += crop.flip ? 1 : 0;
    auto expected = torch::empty({3, 224, 224});
    data::resized_crop_normalize(full, crop.box, 224, 224, crop.flip, norm, expected.data_ptr<float>());
    // The transform decodes only the crop's region: the same pixels.
    CHECK(torch::equal(data::imagenet_train_transform(encoded, 224, norm, seed), expected));
  }
  CHECK(flips > 0);
  CHECK(flips < 12);
}

TEST_CASE("The train transform on a large JPEG reduces in the DCT domain and stays close", "[imagetransforms]") {
  const auto norm = Normalization::imagenet();
  const RgbImage source = quantlab::test::smooth_image(1600, 1200, 3);
  const auto encoded = bytes_tensor(quantlab::test::encode_jpeg(source));
  quantlab::data::ImageDecoder decoder(encoded.data_ptr<std::uint8_t>(), static_cast<std::size_t>(encoded.numel()));
  const auto full = decoder.decode_all();
  int reduced = 0;
  for (std::uint64_t seed = 0; seed < 40 && reduced < 3; ++seed) {
    const auto crop = data::imagenet_train_crop(1600, 1200, seed);
    if (crop.box.width < 448 || crop.box.height < 448) continue;
    ++reduced;
    INFO("seed " << seed << " box " << crop.box.width << "x" << crop.box.height);
    auto expected = torch::empty({3, 224, 224});
    data::resized_crop_normalize(full, crop.box, 224, 224, crop.flip, norm, expected.data_ptr<float>());
    const auto out = data::imagenet_train_transform(encoded, 224, norm, seed);
    // One grey level is 1 / (255 * 0.225) = 0.017 after normalisation.
    CHECK((out - expected).abs().mean().item<double>() < 0.03);
    CHECK(max_abs_diff(out, expected) < 0.15);
  }
  CHECK(reduced == 3);
}

TEST_CASE("Same seed gives the same sample, other seeds other samples", "[imagetransforms]") {
  const auto norm = Normalization::imagenet();
  const auto encoded = bytes_tensor(quantlab::test::encode_jpeg(quantlab::test::photo_like_image(320, 240, 8)));
  const auto first = data::imagenet_train_transform(encoded, 224, norm, 42);
  CHECK(torch::equal(first, data::imagenet_train_transform(encoded, 224, norm, 42)));
  for (std::uint64_t seed = 43; seed < 48; ++seed)
    CHECK_FALSE(torch::equal(first, data::imagenet_train_transform(encoded, 224, norm, seed)));
}

TEST_CASE("Two threads produce the same bytes as one", "[imagetransforms]") {
  const auto norm = Normalization::imagenet();
  std::vector<torch::Tensor> files;
  for (int i = 0; i < 6; ++i)
    files.push_back(bytes_tensor(quantlab::test::encode_jpeg(quantlab::test::photo_like_image(180 + 40 * i, 150, i))));
  const int count = 24;
  auto run = [&](int first, int step, std::vector<torch::Tensor>& out) {
    for (int i = first; i < count; i += step) {
      const auto& file = files[i % files.size()];
      out[i] = i % 3 == 2 ? data::imagenet_eval_transform(file, 256, 224, norm)
                          : data::imagenet_train_transform(file, 224, norm, 1000 + i);
    }
  };
  std::vector<torch::Tensor> serial(count), parallel(count);
  run(0, 1, serial);
  std::thread a([&] { run(0, 2, parallel); });
  std::thread b([&] { run(1, 2, parallel); });
  a.join();
  b.join();
  for (int i = 0; i < count; ++i) {
    INFO("sample " << i);
    REQUIRE(parallel[i].defined());
    CHECK(std::memcmp(parallel[i].data_ptr<float>(), serial[i].data_ptr<float>(), 3 * 224 * 224 * sizeof(float)) == 0);
  }
}

TEST_CASE("Transforms report a damaged JPEG as a DataError", "[imagetransforms]") {
  const std::string bytes = quantlab::test::encode_jpeg(quantlab::test::photo_like_image(200, 150, 1));
  const auto cut = bytes_tensor(bytes.substr(0, bytes.size() / 2));
  const auto norm = Normalization::imagenet();
  CHECK_THAT(quantlab::test::error_message_of<quantlab::DataError>(
                 [&] { data::imagenet_train_transform(cut, 224, norm, 1); }),
             Catch::Matchers::Contains("corrupt JPEG"));
  CHECK_THAT(quantlab::test::error_message_of<quantlab::DataError>(
                 [&] { data::imagenet_eval_transform(cut, 256, 224, norm); }),
             Catch::Matchers::Contains("corrupt JPEG"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
