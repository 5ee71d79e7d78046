#include "quantlab/data/ImageDecode.h"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "quantlab/Errors.h"

namespace quantlab::data {

namespace {

constexpr std::uint8_t kPngMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

bool starts_with(const std::uint8_t* data, std::size_t size, const std::uint8_t* magic, std::size_t n) {
  return size >= n && std::memcmp(data, magic, n) == 0;
}

// libjpeg's default error handler calls exit(); ours jumps back to the call
// that started the work, which throws. Warnings that mean the data is damaged
// (libjpeg pads a truncated file with a fake end marker and carries on) are
// errors here, so a damaged file is never trained on as grey rows.
struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jpeg_fail(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

bool damages_data(int code) {
  return code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_MUST_RESYNC ||
         code == JWRN_HUFF_BAD_CODE || code == JWRN_ARITH_BAD_CODE;
}

void jpeg_message(j_common_ptr info, int level) {
  if (level >= 0) return;  // trace messages
  info->err->num_warnings++;
  if (damages_data(info->err->msg_code)) jpeg_fail(info);
}

std::string hex_prefix(const std::uint8_t* data, std::size_t size) {
  std::string text;
  char byte[4];
  for (std::size_t i = 0; i < std::min<std::size_t>(size, 4); ++i) {
    std::snprintf(byte, sizeof(byte), "%02x", data[i]);
    text += byte;
  }
  return text;
}

// A complete JPEG ends with the end-of-image marker; encoders append nothing
// after it, though some tools leave a little padding. The marker cannot occur
// inside entropy-coded data (0xff is always stuffed there).
bool has_end_marker(const std::uint8_t* data, std::size_t size) {
  const std::size_t window = std::min<std::size_t>(size, 1024);
  for (std::size_t i = size - 1; i + window > size && i >= 1; --i)
    if (data[i] == 0xd9 && data[i - 1] == 0xff) return true;
  return false;
}

}  // namespace

struct ImageDecoder::Jpeg {
  jpeg_decompress_struct info{};
  JpegErrors errors{};
  bool created = false;
  bool check_to_end = false;
  std::vector<std::uint8_t> scratch_row;
  ~Jpeg() {
    if (created) jpeg_destroy_decompress(&info);
  }
};

namespace {

// The functions that call setjmp hold no objects with destructors, so the
// longjmp out of libjpeg skips nothing; they return false with the message in
// errors.message.
bool jpeg_read_header_safely(jpeg_decompress_struct* info, JpegErrors* errors, const std::uint8_t* data,
                             std::size_t size) {
  if (setjmp(errors->jump)) return false;
  jpeg_mem_src(info, data, static_cast<unsigned long>(size));
  jpeg_read_header(info, TRUE);
  return true;
}

void cmyk_to_rgb(const std::uint8_t* cmyk, std::uint8_t* rgb, std::int64_t width, bool inverted) {
  // Photoshop (Adobe marker) stores CMYK inverted: 255 means no ink.
  for (std::int64_t x = 0; x < width; ++x, cmyk += 4, rgb += 3) {
    const int k = inverted ? cmyk[3] : 255 - cmyk[3];
    for (int c = 0; c < 3; ++c) {
      const int v = inverted ? cmyk[c] : 255 - cmyk[c];
      rgb[c] = static_cast<std::uint8_t>((v * k + 127) / 255);
    }
  }
}

// check_to_end: no end marker was found near the end, so decode to the last
// row and let libjpeg's own check decide whether the file is truncated.
bool jpeg_decode_safely(jpeg_decompress_struct* info, JpegErrors* errors, bool check_to_end,
                        std::vector<std::uint8_t>* scratch_row, int reduction, const Region* region, Image* out) {
  if (setjmp(errors->jump)) return false;
  info->scale_num = 1;
  info->scale_denom = static_cast<unsigned>(reduction);
  const bool cmyk = info->jpeg_color_space == JCS_CMYK || info->jpeg_color_space == JCS_YCCK;
  info->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(info);

  const auto full_width = static_cast<std::int64_t>(info->output_width);
  const auto full_height = static_cast<std::int64_t>(info->output_height);
  const std::int64_t x0 = std::clamp<std::int64_t>(region->x0, 0, full_width - 1);
  const std::int64_t x1 = std::clamp<std::int64_t>(region->x1, x0 + 1, full_width);
  const std::int64_t y0 = std::clamp<std::int64_t>(region->y0, 0, full_height - 1);
  const std::int64_t y1 = std::clamp<std::int64_t>(region->y1, y0 + 1, full_height);

  // Chroma upsampling blends in the neighbouring column, which a cropped
  // decode replaces by the crop's edge: two spare columns on each side keep
  // the region's pixels identical to a full decode's.
  const std::int64_t spare_x0 = std::max<std::int64_t>(x0 - 2, 0);
  const std::int64_t spare_x1 = std::min<std::int64_t>(x1 + 2, full_width);
  JDIMENSION column = static_cast<JDIMENSION>(spare_x0);
  JDIMENSION width = static_cast<JDIMENSION>(spare_x1 - spare_x0);
  if (width < info->output_width) jpeg_crop_scanline(info, &column, &width);
  out->origin_x = column;
  out->origin_y = y0;
  out->width = width;
  out->height = y1 - y0;
  out->stride = out->width * 3;
  out->pixels.resize(static_cast<std::size_t>(out->stride * out->height));
  if (cmyk) scratch_row->resize(static_cast<std::size_t>(out->width) * 4);

  if (y0 > 0) jpeg_skip_scanlines(info, static_cast<JDIMENSION>(y0));
  while (info->output_scanline < static_cast<JDIMENSION>(y1)) {
    std::uint8_t* target = out->pixels.data() + (static_cast<std::int64_t>(info->output_scanline) - y0) * out->stride;
    JSAMPROW row = cmyk ? scratch_row->data() : target;
    if (jpeg_read_scanlines(info, &row, 1) != 1) break;
    if (cmyk) cmyk_to_rgb(scratch_row->data(), target, out->width, info->saw_Adobe_marker);
  }
  if (check_to_end) {
    // Skipping to the very end reads nothing, so skip to the last row and
    // read it: the source then reaches the end of the data, and warns if the
    // data ends early.
    if (info->output_scanline + 1 < info->output_height)
      jpeg_skip_scanlines(info, info->output_height - 1 - info->output_scanline);
    scratch_row->resize(static_cast<std::size_t>(info->output_width) * 4);
    JSAMPROW last = scratch_row->data();
    while (info->output_scanline < info->output_height) jpeg_read_scanlines(info, &last, 1);
    jpeg_finish_decompress(info);
  } else {
    jpeg_abort_decompress(info);
  }
  return true;
}

}  // namespace

ImageDecoder::ImageDecoder(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {
  if (size == 0) throw DataError("empty image file");
  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) {
    jpeg_ = std::make_unique<Jpeg>();
    jpeg_->info.err = jpeg_std_error(&jpeg_->errors.manager);
    jpeg_->errors.manager.error_exit = jpeg_fail;
    jpeg_->errors.manager.emit_message = jpeg_message;
    jpeg_create_decompress(&jpeg_->info);
    jpeg_->created = true;
    if (!jpeg_read_header_safely(&jpeg_->info, &jpeg_->errors, data, size))
      throw DataError(std::string("corrupt JPEG: ") + jpeg_->errors.message);
    jpeg_->check_to_end = !has_end_marker(data, size);
    width_ = jpeg_->info.image_width;
    height_ = jpeg_->info.image_height;
    check_pixel_count();
    return;
  }
  if (starts_with(data, size, kPngMagic, sizeof(kPngMagic))) {
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&png, data, size)) {
      const std::string message = png.message;
      png_image_free(&png);
      throw DataError("corrupt PNG: " + message);
    }
    width_ = png.width;
    height_ = png.height;
    png_image_free(&png);
    check_pixel_count();
    return;
  }
  throw DataError("not a JPEG or PNG image (" + std::to_string(size) + " bytes starting 0x" + hex_prefix(data, size) +
                  ")");
}

ImageDecoder::~ImageDecoder() = default;

void ImageDecoder::check_pixel_count() const {
  if (width_ * height_ > kMaxImagePixels)
    throw DataError("image of " + std::to_string(width_) + " x " + std::to_string(height_) +
                    " pixels, more than the " + std::to_string(kMaxImagePixels) +
                    "-pixel limit (a damaged header, or a decompression bomb)");
}

int ImageDecoder::best_reduction(double span_x, double span_y, double min_x, double min_y) const {
  if (!jpeg_) return 1;
  int reduction = 1;
  while (reduction < 8 && span_x / (2 * reduction) >= min_x && span_y / (2 * reduction) >= min_y) reduction *= 2;
  return reduction;
}

Image ImageDecoder::decode(const Region& region, int reduction) {
  TORCH_CHECK(reduction == 1 || reduction == 2 || reduction == 4 || reduction == 8, "bad JPEG reduction ",
              reduction);
  if (!jpeg_) {
    TORCH_CHECK(reduction == 1, "PNG images are decoded at full size");
    return decode_all();
  }
  Image image;
  if (!jpeg_decode_safely(&jpeg_->info, &jpeg_->errors, jpeg_->check_to_end, &jpeg_->scratch_row, reduction,
                          &region, &image))
    throw DataError(std::string("corrupt JPEG: ") + jpeg_->errors.message);
  return image;
}

Image ImageDecoder::decode_all() {
  if (jpeg_) return decode(Region{0, 0, width_, height_}, 1);
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, data_, size_)) {
    const std::string message = png.message;
    png_image_free(&png);
    throw DataError("corrupt PNG: " + message);
  }
  png.format = PNG_FORMAT_RGB;
  Image image;
  image.width = png.width;
  image.height = png.height;
  image.stride = image.width * 3;
  image.pixels.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, image.pixels.data(), static_cast<png_int_32>(image.stride), nullptr)) {
    const std::string message = png.message;
    png_image_free(&png);
    throw DataError("corrupt PNG: " + message);
  }
  png_image_free(&png);
  return image;
}

torch::Tensor decode_image(const torch::Tensor& encoded) {
  TORCH_CHECK(encoded.scalar_type() == torch::kUInt8 && encoded.dim() == 1 && encoded.is_contiguous(),
              "decode_image expects a contiguous uint8 1-D tensor of file bytes");
  ImageDecoder decoder(encoded.data_ptr<std::uint8_t>(), static_cast<std::size_t>(encoded.numel()));
  const Image image = decoder.decode_all();
  auto pixels = torch::empty({image.height, image.width, 3}, torch::kUInt8);
  if (!image.pixels.empty())  // an empty tensor's data pointer is null
    std::memcpy(pixels.data_ptr<std::uint8_t>(), image.pixels.data(), image.pixels.size());
  return pixels;
}

}  // namespace quantlab::data
