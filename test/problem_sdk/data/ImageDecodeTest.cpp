#include <cstring>
#include <string>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlab/data/ImageDecode.h"
#include "quantlab/data/ImageFolder.h"
#include "quantlab/Errors.h"
#include "support/ErrorMessage.h"
#include "support/Files.h"
#include "support/ImageFiles.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using quantlab::DataError;
using quantlab::data::decode_image;
using quantlab::data::Image;
using quantlab::data::ImageDecoder;
using quantlab::data::Region;
using quantlab::test::error_message_of;
using quantlab::test::RgbImage;
using Catch::Matchers::Contains;

namespace {

torch::Tensor bytes_tensor(const std::string& bytes) {
  auto tensor = torch::empty({static_cast<std::int64_t>(bytes.size())}, torch::kUInt8);
  // An empty tensor's data pointer is null, which memcpy may not be given.
  if (!bytes.empty()) std::memcpy(tensor.data_ptr<std::uint8_t>(), bytes.data(), bytes.size());
  return tensor;
}

torch::Tensor as_tensor(const RgbImage& image) {
  auto tensor = torch::empty({image.height, image.width, 3}, torch::kUInt8);
  std::memcpy(tensor.data_ptr<std::uint8_t>(), image.pixels.data(), image.pixels.size());
  return tensor;
}

// The pixels of a decoded region as [H, W, 3], cut to `region`.
torch::Tensor region_pixels(const Image& image, const Region& region) {
  auto tensor = torch::empty({region.y1 - region.y0, region.x1 - region.x0, 3}, torch::kUInt8);
  auto* out = tensor.data_ptr<std::uint8_t>();
  for (std::int64_t y = region.y0; y < region.y1; ++y) {
    REQUIRE(y >= image.origin_y);
    REQUIRE(y < image.origin_y + image.height);
    REQUIRE(region.x0 >= image.origin_x);
    REQUIRE(region.x1 <= image.origin_x + image.width);
    std::memcpy(out + (y - region.y0) * (region.x1 - region.x0) * 3, image.row(y) + (region.x0 - image.origin_x) * 3,
                static_cast<std::size_t>((region.x1 - region.x0) * 3));
  }
  return tensor;
}

double mean_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat) - b.to(torch::kFloat)).abs().mean().item<double>();
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat) - b.to(torch::kFloat)).abs().max().item<double>();
}

std::string decode_error(const std::string& bytes) {
  return error_message_of<DataError>([&] { decode_image(bytes_tensor(bytes)); });
}

}  // namespace

TEST_CASE("A quality-100 JPEG of a smooth image decodes close to the source", "[imagedecode]") {
  const RgbImage source = quantlab::test::smooth_image(64, 48, 1);
  quantlab::test::JpegOptions options;
  options.quality = 100;
  options.subsample = false;
  const auto pixels = decode_image(bytes_tensor(quantlab::test::encode_jpeg(source, options)));
  REQUIRE(pixels.sizes() == torch::IntArrayRef({48, 64, 3}));
  REQUIRE(pixels.scalar_type() == torch::kUInt8);
  CHECK(mean_abs_diff(pixels, as_tensor(source)) < 1.0);
  CHECK(max_abs_diff(pixels, as_tensor(source)) <= 4.0);
}

TEST_CASE("PNG decodes exactly, detected by its bytes whatever the file is called", "[imagedecode]") {
  quantlab::test::TempDir dir;
  const RgbImage source = quantlab::test::photo_like_image(37, 23, 5);
  // As in real ImageNet: a PNG named .JPEG.
  std::filesystem::create_directories(dir / "train" / "n01");
  quantlab::test::write_png(dir / "train" / "n01" / "odd.JPEG", source);
  const quantlab::data::ImageFolder folder(dir / "train");
  const auto pixels = decode_image(folder.sample(0).input);
  CHECK(torch::equal(pixels, as_tensor(source)));
}

TEST_CASE("Grayscale and CMYK JPEGs decode to RGB", "[imagedecode]") {
  const RgbImage source = quantlab::test::smooth_image(48, 40, 2);
  quantlab::test::JpegOptions options;
  options.quality = 100;
  options.subsample = false;
  SECTION("grayscale: three equal channels holding the luminance") {
    options.grayscale = true;
    const auto pixels = decode_image(bytes_tensor(quantlab::test::encode_jpeg(source, options)));
    REQUIRE(pixels.sizes() == torch::IntArrayRef({40, 48, 3}));
    CHECK(torch::equal(pixels.select(2, 0), pixels.select(2, 1)));
    CHECK(torch::equal(pixels.select(2, 0), pixels.select(2, 2)));
    const auto rgb = as_tensor(source).to(torch::kFloat);
    const auto luma = 0.299 * rgb.select(2, 0) + 0.587 * rgb.select(2, 1) + 0.114 * rgb.select(2, 2);
    CHECK(mean_abs_diff(pixels.select(2, 0), luma) < 1.5);
  }
  SECTION("Adobe CMYK") {
    options.cmyk = true;
    const auto pixels = decode_image(bytes_tensor(quantlab::test::encode_jpeg(source, options)));
    REQUIRE(pixels.sizes() == torch::IntArrayRef({40, 48, 3}));
    CHECK(mean_abs_diff(pixels, as_tensor(source)) < 2.0);
  }
  SECTION("progressive decodes as baseline") {
    const auto baseline = decode_image(bytes_tensor(quantlab::test::encode_jpeg(source, options)));
    options.progressive = true;
    const auto progressive = decode_image(bytes_tensor(quantlab::test::encode_jpeg(source, options)));
    CHECK(max_abs_diff(progressive, baseline) <= 1.0);
  }
}

TEST_CASE("Decoding a region gives the full decode's pixels of that region", "[imagedecode]") {
  const RgbImage source = quantlab::test::photo_like_image(203, 157, 3);
  for (const bool progressive : {false, true}) {
    INFO("progressive " << progressive);
    quantlab::test::JpegOptions options;
    options.progressive = progressive;
    const std::string bytes = quantlab::test::encode_jpeg(source, options);
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    ImageDecoder full_decoder(data, bytes.size());
    const Image full = full_decoder.decode_all();
    for (const Region region : {Region{37, 21, 101, 77}, Region{0, 0, 203, 9}, Region{150, 100, 203, 157},
                                Region{8, 16, 9, 17}}) {
      INFO("region " << region.x0 << "," << region.y0 << " " << region.x1 << "," << region.y1);
      ImageDecoder decoder(data, bytes.size());
      const Image part = decoder.decode(region);
      CHECK(part.height == region.y1 - region.y0);
      if (region.x1 - region.x0 < 100) CHECK(part.width < 203);  // only the needed columns
      CHECK(torch::equal(region_pixels(part, region), region_pixels(full, region)));
    }
  }
}

TEST_CASE("DCT-domain reduction agrees with a full decode averaged over blocks", "[imagedecode]") {
  const RgbImage source = quantlab::test::smooth_image(320, 240, 0);
  quantlab::test::JpegOptions options;
  options.quality = 95;
  const std::string bytes = quantlab::test::encode_jpeg(source, options);
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const auto full = decode_image(bytes_tensor(bytes)).to(torch::kFloat).permute({2, 0, 1}).unsqueeze(0);
  for (const int k : {2, 4, 8}) {
    INFO("reduction " << k);
    ImageDecoder decoder(data, bytes.size());
    REQUIRE(decoder.reduced_width(k) == 320 / k);
    const Region all{0, 0, decoder.reduced_width(k), decoder.reduced_height(k)};
    const auto reduced = region_pixels(decoder.decode(all, k), all).to(torch::kFloat).permute({2, 0, 1}).unsqueeze(0);
    const auto averaged = torch::avg_pool2d(full, k);
    REQUIRE(reduced.sizes() == averaged.sizes());
    CHECK(mean_abs_diff(reduced, averaged) < 1.5);
    // A reduced region is the same region of the reduced whole.
    ImageDecoder part_decoder(data, bytes.size());
    const Region region{5, 3, all.x1 - 2, all.y1 / 2};
    const auto part = region_pixels(part_decoder.decode(region, k), region);
    const auto whole = reduced.squeeze(0).permute({1, 2, 0}).slice(0, region.y0, region.y1).slice(1, region.x0, region.x1);
    CHECK(torch::equal(part.to(torch::kFloat), whole));
  }
}

TEST_CASE("best_reduction keeps the span at least the requested size", "[imagedecode]") {
  const std::string jpeg = quantlab::test::encode_jpeg(quantlab::test::smooth_image(64, 64));
  ImageDecoder decoder(reinterpret_cast<const std::uint8_t*>(jpeg.data()), jpeg.size());
  CHECK(decoder.best_reduction(447, 1000, 224, 224) == 1);
  CHECK(decoder.best_reduction(448, 448, 224, 224) == 2);
  CHECK(decoder.best_reduction(1000, 900, 224, 224) == 4);
  CHECK(decoder.best_reduction(4000, 4000, 224, 224) == 8);
  const std::string png = quantlab::test::encode_png(quantlab::test::smooth_image(64, 64));
  ImageDecoder png_decoder(reinterpret_cast<const std::uint8_t*>(png.data()), png.size());
  CHECK(png_decoder.best_reduction(4000, 4000, 224, 224) == 1);
}

TEST_CASE("Corrupt, truncated and foreign data is a DataError saying what is wrong", "[imagedecode]") {
  quantlab::test::TempDir dir;
  const RgbImage source = quantlab::test::photo_like_image(120, 90, 9);
  SECTION("truncated JPEG, which libjpeg only warns about") {
    quantlab::test::write_truncated_jpeg(dir / "cut.JPEG", source, 0.6);
    const auto message = decode_error(quantlab::test::read_bytes(dir / "cut.JPEG"));
    CHECK_THAT(message, Contains("corrupt JPEG") && Contains("Premature end"));
  }
  SECTION("truncated progressive JPEG") {
    quantlab::test::JpegOptions options;
    options.progressive = true;
    const std::string bytes = quantlab::test::encode_jpeg(source, options);
    CHECK_THAT(decode_error(bytes.substr(0, bytes.size() * 2 / 3)), Contains("corrupt JPEG"));
  }
  SECTION("truncated JPEG decoded only in its first rows") {
    const std::string bytes = quantlab::test::encode_jpeg(source);
    const std::string cut = bytes.substr(0, bytes.size() * 7 / 10);
    ImageDecoder decoder(reinterpret_cast<const std::uint8_t*>(cut.data()), cut.size());
    const auto message = error_message_of<DataError>([&] { decoder.decode(Region{0, 0, 16, 8}); });
    CHECK_THAT(message, Contains("Premature end"));
  }
  SECTION("corrupt JPEG header") {
    quantlab::test::write_corrupt_jpeg(dir / "bad.JPEG", source);
    CHECK_THAT(decode_error(quantlab::test::read_bytes(dir / "bad.JPEG")), Contains("corrupt JPEG"));
  }
  SECTION("JPEG cut inside its header") {
    const std::string bytes = quantlab::test::encode_jpeg(source);
    CHECK_THAT(decode_error(bytes.substr(0, 40)), Contains("corrupt JPEG"));
  }
  SECTION("truncated PNG") {
    const std::string bytes = quantlab::test::encode_png(source);
    CHECK_THAT(decode_error(bytes.substr(0, bytes.size() / 2)), Contains("corrupt PNG"));
  }
  SECTION("not an image") {
    CHECK_THAT(decode_error("GIF89a and so on"), Contains("not a JPEG or PNG image") && Contains("0x47494638"));
  }
  SECTION("empty file") { CHECK_THAT(decode_error(""), Contains("empty image file")); }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
