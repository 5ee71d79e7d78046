#include "quantlab/data/ImageTransforms.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "quantlab/Random.h"

namespace quantlab::data {

Normalization Normalization::imagenet() {
  return Normalization{{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
}

std::uint64_t SampleRng::next() {
  const std::uint64_t z = splitmix64(state_);
  state_ += 0x9e3779b97f4a7c15ULL;
  return z;
}

double SampleRng::uniform(double low, double high) {
  const double unit = static_cast<double>(next() >> 11) * 0x1.0p-53;
  return low + (high - low) * unit;
}

std::int64_t SampleRng::integer(std::int64_t low, std::int64_t high) {
  const auto span = static_cast<std::uint64_t>(high - low) + 1;
  // Multiply-shift: unbiased enough for spans far below 2^64.
  return low + static_cast<std::int64_t>((static_cast<unsigned __int128>(next()) * span) >> 64);
}

CropBox random_resized_crop_box(std::int64_t width, std::int64_t height, SampleRng& rng,
                                const RandomResizedCropParams& params) {
  const double area = static_cast<double>(width) * static_cast<double>(height);
  const double log_ratio_min = std::log(params.ratio_min);
  const double log_ratio_max = std::log(params.ratio_max);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * rng.uniform(params.scale_min, params.scale_max);
    const double ratio = std::exp(rng.uniform(log_ratio_min, log_ratio_max));
    const auto w = static_cast<std::int64_t>(std::nearbyint(std::sqrt(target_area * ratio)));
    const auto h = static_cast<std::int64_t>(std::nearbyint(std::sqrt(target_area / ratio)));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const std::int64_t y = rng.integer(0, height - h);
      const std::int64_t x = rng.integer(0, width - w);
      return CropBox{x, y, w, h};
    }
  }
  const double in_ratio = static_cast<double>(width) / static_cast<double>(height);
  std::int64_t w = width;
  std::int64_t h = height;
  if (in_ratio < params.ratio_min) {
    h = static_cast<std::int64_t>(std::nearbyint(static_cast<double>(w) / params.ratio_min));
  } else if (in_ratio > params.ratio_max) {
    w = static_cast<std::int64_t>(std::nearbyint(static_cast<double>(h) * params.ratio_max));
  }
  return CropBox{(width - w) / 2, (height - h) / 2, w, h};
}

std::array<std::int64_t, 2> short_side_resize(std::int64_t width, std::int64_t height, std::int64_t size) {
  if (width <= height)
    return {size, static_cast<std::int64_t>(static_cast<double>(size) * static_cast<double>(height) /
                                            static_cast<double>(width))};
  return {static_cast<std::int64_t>(static_cast<double>(size) * static_cast<double>(width) /
                                    static_cast<double>(height)),
          size};
}

CropBox center_crop_box(std::int64_t width, std::int64_t height, std::int64_t crop_width, std::int64_t crop_height) {
  const auto x = static_cast<std::int64_t>(std::nearbyint(static_cast<double>(width - crop_width) / 2.0));
  const auto y = static_cast<std::int64_t>(std::nearbyint(static_cast<double>(height - crop_height) / 2.0));
  return CropBox{x, y, crop_width, crop_height};
}

TrainCrop imagenet_train_crop(std::int64_t width, std::int64_t height, std::uint64_t seed) {
  SampleRng rng(seed);
  TrainCrop crop;
  crop.box = random_resized_crop_box(width, height, rng);
  crop.flip = rng.coin();
  return crop;
}

namespace {

// The source taps of each output pixel along one axis, as PIL computes them
// for its bilinear filter: the triangle filter stretched by the shrink factor
// (so shrinking averages every source pixel, i.e. antialiases), windows
// clamped to [bound0, bound1), weights normalised to sum 1.
struct Axis {
  std::int64_t taps = 0;
  std::vector<std::int64_t> first;
  std::vector<std::int32_t> count;
  std::vector<float> weights;  // taps per output pixel
  std::int64_t lowest() const { return first.front(); }
  std::int64_t highest() const {  // one past the last source pixel used
    std::int64_t end = 0;
    for (std::size_t i = 0; i < first.size(); ++i) end = std::max(end, first[i] + count[i]);
    return end;
  }
};

// Output pixels [out_first, out_first + out_count) of a resize of the source
// span [box0, box1) to out_size pixels.
Axis make_axis(double box0, double box1, std::int64_t bound0, std::int64_t bound1, std::int64_t out_size,
               std::int64_t out_first, std::int64_t out_count) {
  const double scale = (box1 - box0) / static_cast<double>(out_size);
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter_scale;  // the triangle's radius is 1
  const double inverse = 1.0 / filter_scale;
  Axis axis;
  axis.taps = static_cast<std::int64_t>(std::ceil(support)) * 2 + 1;
  axis.first.resize(out_count);
  axis.count.resize(out_count);
  axis.weights.assign(static_cast<std::size_t>(out_count * axis.taps), 0.f);
  std::vector<double> w(axis.taps);
  for (std::int64_t i = 0; i < out_count; ++i) {
    const double center = box0 + (static_cast<double>(out_first + i) + 0.5) * scale;
    const std::int64_t lo = std::max(static_cast<std::int64_t>(std::floor(center - support + 0.5)), bound0);
    const std::int64_t hi = std::min(static_cast<std::int64_t>(std::floor(center + support + 0.5)), bound1);
    std::int64_t n = std::min(std::max<std::int64_t>(hi - lo, 1), axis.taps);
    double total = 0;
    for (std::int64_t k = 0; k < n; ++k) {
      const double t = std::abs((static_cast<double>(lo + k) - center + 0.5) * inverse);
      w[k] = t < 1.0 ? 1.0 - t : 0.0;
      total += w[k];
    }
    std::int64_t start = lo;
    if (total <= 0) {  // a window squeezed against a bound: take the nearest pixel
      start = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(center)), bound0, bound1 - 1);
      n = 1;
      w[0] = total = 1.0;
    }
    axis.first[i] = start;
    axis.count[i] = static_cast<std::int32_t>(n);
    for (std::int64_t k = 0; k < n; ++k) axis.weights[i * axis.taps + k] = static_cast<float>(w[k] / total);
  }
  return axis;
}

// Two separable passes over raw buffers. The horizontal pass reads the
// interleaved uint8 rows the vertical pass needs and writes planar float
// rows, mirrored when asked; the vertical pass blends those rows into the
// output planes and applies the normalisation in the same loop.
void resample(const Image& image, const Axis& ax, const Axis& ay, bool flip, const Normalization& norm, float* out) {
  const auto out_w = static_cast<std::int64_t>(ax.first.size());
  const auto out_h = static_cast<std::int64_t>(ay.first.size());
  const std::int64_t row0 = ay.lowest();
  const std::int64_t rows = ay.highest() - row0;
  TORCH_CHECK(ax.lowest() >= image.origin_x && ax.highest() <= image.origin_x + image.width &&
                  row0 >= image.origin_y && row0 + rows <= image.origin_y + image.height,
              "decoded region does not cover the resampling windows");

  const std::int64_t plane = rows * out_w;
  std::vector<float> horizontal(static_cast<std::size_t>(3 * plane));
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::uint8_t* src = image.row(row0 + r) - image.origin_x * 3;
    float* red = horizontal.data() + r * out_w;
    float* green = red + plane;
    float* blue = green + plane;
    for (std::int64_t i = 0; i < out_w; ++i) {
      const float* w = ax.weights.data() + i * ax.taps;
      const std::uint8_t* p = src + ax.first[i] * 3;
      float s0 = 0.f, s1 = 0.f, s2 = 0.f;
      for (std::int32_t k = 0; k < ax.count[i]; ++k, p += 3) {
        s0 += w[k] * static_cast<float>(p[0]);
        s1 += w[k] * static_cast<float>(p[1]);
        s2 += w[k] * static_cast<float>(p[2]);
      }
      const std::int64_t o = flip ? out_w - 1 - i : i;
      red[o] = s0;
      green[o] = s1;
      blue[o] = s2;
    }
  }

  for (int c = 0; c < 3; ++c) {
    const float scale = 1.f / (255.f * norm.std[c]);
    const float shift = -norm.mean[c] / norm.std[c];
    const float* source = horizontal.data() + c * plane;
    for (std::int64_t j = 0; j < out_h; ++j) {
      float* dst = out + (c * out_h + j) * out_w;
      const float* w = ay.weights.data() + j * ay.taps;
      const float* first = source + (ay.first[j] - row0) * out_w;
      const float w0 = w[0] * scale;
      for (std::int64_t x = 0; x < out_w; ++x) dst[x] = w0 * first[x] + shift;
      for (std::int32_t k = 1; k < ay.count[j]; ++k) {
        const float wk = w[k] * scale;
        const float* row = first + k * out_w;
        for (std::int64_t x = 0; x < out_w; ++x) dst[x] += wk * row[x];
      }
    }
  }
}

const std::uint8_t* encoded_bytes(const torch::Tensor& encoded) {
  TORCH_CHECK(encoded.scalar_type() == torch::kUInt8 && encoded.dim() == 1 && encoded.is_contiguous(),
              "image transforms expect a contiguous uint8 1-D tensor of file bytes");
  return encoded.data_ptr<std::uint8_t>();
}

Region covering(const Axis& ax, const Axis& ay) { return Region{ax.lowest(), ay.lowest(), ax.highest(), ay.highest()}; }

}  // namespace

void resized_crop_normalize(const Image& image, const CropBox& box, std::int64_t out_width, std::int64_t out_height,
                            bool flip, const Normalization& normalization, float* out) {
  const Axis ax = make_axis(box.x, box.x + box.width, box.x, box.x + box.width, out_width, 0, out_width);
  const Axis ay = make_axis(box.y, box.y + box.height, box.y, box.y + box.height, out_height, 0, out_height);
  resample(image, ax, ay, flip, normalization, out);
}

torch::Tensor imagenet_train_transform(const torch::Tensor& encoded, std::int64_t size,
                                       const Normalization& normalization, std::uint64_t seed) {
  ImageDecoder decoder(encoded_bytes(encoded), static_cast<std::size_t>(encoded.numel()));
  const TrainCrop crop = imagenet_train_crop(decoder.width(), decoder.height(), seed);
  const CropBox& box = crop.box;
  const int k = decoder.best_reduction(box.width, box.height, size, size);
  // The crop in the reduced image's pixels; the windows stay inside it, as
  // when the full-size crop is cut out first and then resized.
  const double x0 = static_cast<double>(box.x) / k, x1 = static_cast<double>(box.x + box.width) / k;
  const double y0 = static_cast<double>(box.y) / k, y1 = static_cast<double>(box.y + box.height) / k;
  const auto bx0 = static_cast<std::int64_t>(std::floor(x0));
  const auto by0 = static_cast<std::int64_t>(std::floor(y0));
  const auto bx1 = std::min(static_cast<std::int64_t>(std::ceil(x1)), decoder.reduced_width(k));
  const auto by1 = std::min(static_cast<std::int64_t>(std::ceil(y1)), decoder.reduced_height(k));
  const Axis ax = make_axis(x0, x1, bx0, bx1, size, 0, size);
  const Axis ay = make_axis(y0, y1, by0, by1, size, 0, size);
  const Image image = decoder.decode(covering(ax, ay), k);
  auto output = torch::empty({3, size, size}, torch::kFloat32);
  resample(image, ax, ay, crop.flip, normalization, output.data_ptr<float>());
  return output;
}

torch::Tensor imagenet_eval_transform(const torch::Tensor& encoded, std::int64_t resize, std::int64_t size,
                                      const Normalization& normalization) {
  TORCH_CHECK(resize >= size, "imagenet_eval_transform: resize ", resize, " below crop size ", size);
  ImageDecoder decoder(encoded_bytes(encoded), static_cast<std::size_t>(encoded.numel()));
  const auto [resized_w, resized_h] = short_side_resize(decoder.width(), decoder.height(), resize);
  const CropBox crop = center_crop_box(resized_w, resized_h, size, size);
  const int k = decoder.best_reduction(decoder.width(), decoder.height(), resized_w, resized_h);
  // Resize the whole (reduced) image, but compute only the centre's pixels
  // and decode only the source pixels their windows reach.
  const double width = static_cast<double>(decoder.width()) / k;
  const double height = static_cast<double>(decoder.height()) / k;
  const Axis ax = make_axis(0, width, 0, decoder.reduced_width(k), resized_w, crop.x, size);
  const Axis ay = make_axis(0, height, 0, decoder.reduced_height(k), resized_h, crop.y, size);
  const Image image = decoder.decode(covering(ax, ay), k);
  auto output = torch::empty({3, size, size}, torch::kFloat32);
  resample(image, ax, ay, false, normalization, output.data_ptr<float>());
  return output;
}

}  // namespace quantlab::data
