#pragma once
// Decoding of JPEG (libjpeg-turbo) and PNG (libpng) files held in memory into
// 8-bit RGB, with the JPEG tricks that make a pre-processing pipeline fast:
// decoding only a region's rows and columns, and shrinking by 2, 4 or 8 in the
// DCT domain. Safe to use from several threads (one decoder per thread).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <torch/types.h>

namespace quantlab::data {

// Interleaved RGB pixels (HWC, uint8) of a region of a possibly reduced image:
// pixel (x, y) of the reduced image, for origin_x <= x < origin_x + width and
// origin_y <= y < origin_y + height, is at
// pixels[(y - origin_y) * stride + (x - origin_x) * 3].
struct Image {
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::int64_t origin_x = 0;
  std::int64_t origin_y = 0;
  std::int64_t stride = 0;
  std::vector<std::uint8_t> pixels;
  const std::uint8_t* row(std::int64_t y) const { return pixels.data() + (y - origin_y) * stride; }
};

// A region of an image: columns [x0, x1), rows [y0, y1).
struct Region {
  std::int64_t x0 = 0;
  std::int64_t y0 = 0;
  std::int64_t x1 = 0;
  std::int64_t y1 = 0;
};

// The most pixels an image may have: a few bytes of JPEG or PNG can claim
// gigapixels, which decoding would fill whether or not the data is there.
// Twice the 89.5 million of PIL's MAX_IMAGE_PIXELS, past which PIL refuses.
inline constexpr std::int64_t kMaxImagePixels = 2 * 89'478'485;

// One encoded image. The constructor reads the header (size, format); decode()
// may then be called once. Throws DataError for data that is not a JPEG or
// PNG, is corrupt or truncated, or has more than kMaxImagePixels; the
// message names what is wrong, not the file (the caller knows that).
class ImageDecoder {
 public:
  ImageDecoder(const std::uint8_t* data, std::size_t size);
  ~ImageDecoder();
  ImageDecoder(const ImageDecoder&) = delete;
  ImageDecoder& operator=(const ImageDecoder&) = delete;

  std::int64_t width() const { return width_; }
  std::int64_t height() const { return height_; }
  bool is_jpeg() const { return jpeg_ != nullptr; }

  // The size of the image reduced by `reduction` (1, 2, 4 or 8; JPEG only
  // reduces, PNG is decoded at full size so only 1 is accepted for it):
  // ceil(width / reduction) x ceil(height / reduction).
  std::int64_t reduced_width(int reduction) const { return (width_ + reduction - 1) / reduction; }
  std::int64_t reduced_height(int reduction) const { return (height_ + reduction - 1) / reduction; }
  // The largest reduction (1, 2, 4, 8) that keeps a span of `span_x` x
  // `span_y` full-size pixels at least `min_x` x `min_y` pixels; 1 for PNG.
  int best_reduction(double span_x, double span_y, double min_x, double min_y) const;

  // Decodes at least `region` (in reduced coordinates, clipped to the reduced
  // image) of the image reduced by `reduction`. The result may start left of
  // region.x0 (JPEG decodes whole blocks of columns) and covers every column
  // and row of the region.
  Image decode(const Region& region, int reduction = 1);
  // The whole image at full size.
  Image decode_all();

 private:
  void check_pixel_count() const;

  struct Jpeg;
  const std::uint8_t* data_;
  std::size_t size_;
  std::int64_t width_ = 0;
  std::int64_t height_ = 0;
  std::unique_ptr<Jpeg> jpeg_;
};

// The whole image as uint8 [H, W, 3] (RGB). Throws DataError as ImageDecoder.
torch::Tensor decode_image(const torch::Tensor& encoded);

}  // namespace quantlab::data
