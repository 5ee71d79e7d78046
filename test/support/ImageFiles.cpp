#include "support/ImageFiles.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include <jpeglib.h>
#include <png.h>

#include "support/Files.h"

namespace quantlab::test {

namespace {

std::uint8_t clamp_byte(double v) { return static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

// splitmix64, so a seed gives the same picture on every platform.
struct Stream {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

[[noreturn]] void throw_jpeg_error(j_common_ptr info) {
  char message[JMSG_LENGTH_MAX];
  (*info->err->format_message)(info, message);
  throw std::runtime_error(std::string("test JPEG encoder: ") + message);
}

}  // namespace

RgbImage smooth_image(int width, int height, int variant) {
  RgbImage image{width, height, std::vector<std::uint8_t>(static_cast<std::size_t>(width) * height * 3)};
  const double pi = 3.14159265358979;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const double u = static_cast<double>(x) / width, v = static_cast<double>(y) / height;
      auto* p = &image.pixels[(static_cast<std::size_t>(y) * width + x) * 3];
      p[0] = clamp_byte(40 + 150 * u + 12 * variant);
      p[1] = clamp_byte(40 + 150 * v + 5 * variant);
      p[2] = clamp_byte(120 + 60 * std::sin(pi * (u + v) + variant));
    }
  return image;
}

RgbImage photo_like_image(int width, int height, std::uint64_t seed) {
  Stream rng{seed * 0x2545f4914f6cdd1dULL + 1};
  RgbImage image{width, height, std::vector<std::uint8_t>(static_cast<std::size_t>(width) * height * 3)};
  double base[2][3];
  for (auto& corner : base)
    for (double& c : corner) c = 30 + 200 * rng.unit();
  struct Blob {
    double cx, cy, rx, ry, colour[3];
    bool box;
  };
  std::vector<Blob> blobs(6 + rng.next() % 6);
  for (auto& b : blobs) {
    b = Blob{rng.unit() * width, rng.unit() * height, (0.05 + 0.25 * rng.unit()) * width,
             (0.05 + 0.25 * rng.unit()) * height, {255 * rng.unit(), 255 * rng.unit(), 255 * rng.unit()},
             rng.unit() < 0.4};
  }
  const double fx = 0.05 + 0.4 * rng.unit(), fy = 0.05 + 0.4 * rng.unit();
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const double t = (static_cast<double>(x) / width + static_cast<double>(y) / height) / 2;
      double c[3];
      for (int k = 0; k < 3; ++k) c[k] = base[0][k] * (1 - t) + base[1][k] * t;
      for (const auto& b : blobs) {
        const double dx = (x - b.cx) / b.rx, dy = (y - b.cy) / b.ry;
        const bool inside = b.box ? std::abs(dx) < 1 && std::abs(dy) < 1 : dx * dx + dy * dy < 1;
        if (inside)
          for (int k = 0; k < 3; ++k) c[k] = 0.3 * c[k] + 0.7 * b.colour[k] * (1 - 0.3 * (dx * dx + dy * dy));
      }
      const double texture = 14 * std::sin(x * fx) * std::cos(y * fy);
      const double noise = 16 * (rng.unit() - 0.5);
      auto* p = &image.pixels[(static_cast<std::size_t>(y) * width + x) * 3];
      for (int k = 0; k < 3; ++k) p[k] = clamp_byte(c[k] + texture + noise);
    }
  return image;
}

RgbImage solid_image(int width, int height, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  RgbImage image{width, height, {}};
  image.pixels.reserve(static_cast<std::size_t>(width) * height * 3);
  for (int i = 0; i < width * height; ++i) image.pixels.insert(image.pixels.end(), {r, g, b});
  return image;
}

std::string encode_jpeg(const RgbImage& image, const JpegOptions& options) {
  jpeg_compress_struct info{};
  jpeg_error_mgr errors{};
  info.err = jpeg_std_error(&errors);
  errors.error_exit = throw_jpeg_error;
  jpeg_create_compress(&info);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  std::vector<std::uint8_t> cmyk;
  try {
    jpeg_mem_dest(&info, &buffer, &size);
    info.image_width = static_cast<JDIMENSION>(image.width);
    info.image_height = static_cast<JDIMENSION>(image.height);
    info.input_components = options.cmyk ? 4 : 3;
    info.in_color_space = options.cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&info);
    if (options.grayscale) jpeg_set_colorspace(&info, JCS_GRAYSCALE);
    if (options.cmyk) jpeg_set_colorspace(&info, JCS_YCCK);
    jpeg_set_quality(&info, options.quality, TRUE);
    if (!options.subsample) info.comp_info[0].h_samp_factor = info.comp_info[0].v_samp_factor = 1;
    if (options.progressive) jpeg_simple_progression(&info);
    const std::uint8_t* source = image.pixels.data();
    if (options.cmyk) {
      // Inverted CMYK as Photoshop stores it: K = max(R, G, B), C = R / K, ...
      cmyk.resize(static_cast<std::size_t>(image.width) * image.height * 4);
      for (std::size_t i = 0; i < static_cast<std::size_t>(image.width) * image.height; ++i) {
        const auto* p = &image.pixels[i * 3];
        const int k = std::max({p[0], p[1], p[2]});
        for (int c = 0; c < 3; ++c) cmyk[i * 4 + c] = k == 0 ? 0 : clamp_byte(p[c] * 255.0 / k);
        cmyk[i * 4 + 3] = static_cast<std::uint8_t>(k);
      }
      source = cmyk.data();
    }
    jpeg_start_compress(&info, TRUE);
    const std::size_t stride = static_cast<std::size_t>(image.width) * info.input_components;
    while (info.next_scanline < info.image_height) {
      JSAMPROW row = const_cast<std::uint8_t*>(source + info.next_scanline * stride);
      jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
  } catch (...) {
    jpeg_destroy_compress(&info);
    std::free(buffer);
    throw;
  }
  jpeg_destroy_compress(&info);
  std::string bytes(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  return bytes;
}

std::string encode_png(const RgbImage& image) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, image.pixels.data(), 0, nullptr))
    throw std::runtime_error(std::string("test PNG encoder: ") + png.message);
  std::string bytes(size, '\0');
  if (!png_image_write_to_memory(&png, bytes.data(), &size, 0, image.pixels.data(), 0, nullptr))
    throw std::runtime_error(std::string("test PNG encoder: ") + png.message);
  bytes.resize(size);
  return bytes;
}

void write_jpeg(const std::filesystem::path& file, const RgbImage& image, const JpegOptions& options) {
  write_bytes(file, encode_jpeg(image, options));
}

void write_png(const std::filesystem::path& file, const RgbImage& image) { write_bytes(file, encode_png(image)); }

void write_truncated_jpeg(const std::filesystem::path& file, const RgbImage& image, double keep) {
  const std::string bytes = encode_jpeg(image);
  write_bytes(file, bytes.substr(0, static_cast<std::size_t>(static_cast<double>(bytes.size()) * keep)));
}

void write_corrupt_jpeg(const std::filesystem::path& file, const RgbImage& image) {
  std::string bytes = encode_jpeg(image);
  // The baseline frame header's sample precision (8) becomes 3, which no
  // decoder supports.
  const auto frame = bytes.find("\xff\xc0");
  if (frame == std::string::npos) throw std::runtime_error("test JPEG has no baseline frame header");
  bytes[frame + 4] = 3;
  write_bytes(file, bytes);
}

std::array<std::uint8_t, 3> class_colour(int c) {
  constexpr std::uint8_t levels[3] = {30, 128, 225};
  return {levels[c % 3], levels[(c / 3) % 3], levels[(c / 9) % 3]};
}

std::vector<std::string> write_image_folder(const std::filesystem::path& split, const ImageFolderSpec& spec) {
  std::vector<std::string> names;
  for (int c = 0; c < spec.classes; ++c) {
    char name[32];
    std::snprintf(name, sizeof(name), "class_%02d", c);
    names.emplace_back(name);
    const auto folder = split / name;
    std::filesystem::create_directories(folder);
    const auto colour = class_colour(c);
    const RgbImage image = solid_image(spec.width, spec.height, colour[0], colour[1], colour[2]);
    JpegOptions options;
    options.quality = spec.quality;
    const std::string bytes = encode_jpeg(image, options);
    for (int i = 0; i < spec.images_per_class; ++i) {
      char file[32];
      std::snprintf(file, sizeof(file), "img_%03d.JPEG", i);
      write_bytes(folder / file, bytes);
    }
  }
  return names;
}

}  // namespace quantlab::test
