#pragma once
// Image files for tests and benches: synthetic RGB pictures, JPEG (libjpeg)
// and PNG (libpng) encoders, a small ImageFolder tree, and broken files.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace quantlab::test {

// Interleaved RGB, row-major (HWC, uint8).
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;
  std::uint8_t at(int x, int y, int c) const { return pixels[(static_cast<std::size_t>(y) * width + x) * 3 + c]; }
};

// Slow gradients (no edges), so a quality-100 JPEG decodes close to it; `variant`
// shifts the colours, so images of different variants are told apart by their
// mean colour.
RgbImage smooth_image(int width, int height, int variant = 0);

// Photo-like content for benchmarks: smooth shading, a few shapes with edges,
// texture and mild noise, different for every seed (JPEG sizes like photos').
RgbImage photo_like_image(int width, int height, std::uint64_t seed);

// A solid colour; a class of a tiny data set can be told apart by it even after
// cropping and resizing.
RgbImage solid_image(int width, int height, std::uint8_t r, std::uint8_t g, std::uint8_t b);

struct JpegOptions {
  int quality = 90;
  bool grayscale = false;    // stored as one channel
  bool cmyk = false;         // stored as Adobe CMYK (inverted, as Photoshop writes it)
  bool progressive = false;
  bool subsample = true;     // 4:2:0 chroma (libjpeg's default); false: 4:4:4
};

std::string encode_jpeg(const RgbImage& image, const JpegOptions& options = {});
std::string encode_png(const RgbImage& image);
void write_jpeg(const std::filesystem::path& file, const RgbImage& image, const JpegOptions& options = {});
void write_png(const std::filesystem::path& file, const RgbImage& image);

// A valid JPEG cut to `keep` of its bytes (0 < keep < 1): no end marker, and
// libjpeg only warns about it.
void write_truncated_jpeg(const std::filesystem::path& file, const RgbImage& image, double keep = 0.6);
// A JPEG whose header is intact but whose markers after it are garbage, so the
// decoder fails with an error.
void write_corrupt_jpeg(const std::filesystem::path& file, const RgbImage& image);

// A tree <split>/<class>/<image>: `classes` class folders named class_00,
// class_01, ... each with `images_per_class` JPEGs named img_000.JPEG, ...
// of `width` x `height`; every image of class c is solid_image in a colour
// that identifies c (class_colour). Returns the class names in order.
struct ImageFolderSpec {
  int classes = 3;
  int images_per_class = 4;
  int width = 40;
  int height = 30;
  int quality = 95;
};
std::vector<std::string> write_image_folder(const std::filesystem::path& split, const ImageFolderSpec& spec);
// The colour of class c in write_image_folder: distinct for c < 27.
std::array<std::uint8_t, 3> class_colour(int c);

}  // namespace quantlab::test
