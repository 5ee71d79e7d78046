#pragma once
// Per-sample image transforms of the data pipeline, run in its worker threads:
// decode, random-resized-crop, resize, center-crop, horizontal flip, normalize.
// Everything works on raw buffers (no LibTorch ops,
// so no intra-op threads inside the workers), holds no global state and takes
// its random choices from the `seed` argument only, so a sample's result is the
// same whichever thread computes it.
#include <array>
#include <cstdint>

#include <torch/types.h>

#include "quantlab/data/ImageDecode.h"

namespace quantlab::data {

// Per-channel mean and standard deviation of pixel values scaled to [0, 1]:
// output = (pixel / 255 - mean) / std.
struct Normalization {
  std::array<float, 3> mean{0.f, 0.f, 0.f};
  std::array<float, 3> std{1.f, 1.f, 1.f};
  // The ImageNet statistics every torchvision model is trained with.
  static Normalization imagenet();
};

// A small, fast random stream (splitmix64) for one sample's choices.
class SampleRng {
 public:
  explicit SampleRng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  // Uniform in [low, high).
  double uniform(double low, double high);
  // Uniform integer in [low, high]; high >= low.
  std::int64_t integer(std::int64_t low, std::int64_t high);
  bool coin() { return (next() >> 63) != 0; }

 private:
  std::uint64_t state_;
};

// A rectangle of an image in pixels: columns [x, x + width), rows [y, y + height).
struct CropBox {
  std::int64_t x = 0;
  std::int64_t y = 0;
  std::int64_t width = 0;
  std::int64_t height = 0;
  bool operator==(const CropBox& other) const {
    return x == other.x && y == other.y && width == other.width && height == other.height;
  }
};

// torchvision's RandomResizedCrop parameters: area a uniform share of
// [scale_min, scale_max] of the image, log-uniform aspect ratio in
// [ratio_min, ratio_max], 10 tries, then the largest centred box whose ratio
// is within bounds.
struct RandomResizedCropParams {
  double scale_min = 0.08;
  double scale_max = 1.0;
  double ratio_min = 3.0 / 4.0;
  double ratio_max = 4.0 / 3.0;
};
CropBox random_resized_crop_box(std::int64_t width, std::int64_t height, SampleRng& rng,
                                const RandomResizedCropParams& params = {});

// torchvision's Resize(size) with an int size: the short side becomes `size`,
// the long side int(size * long / short). Returns {width, height}.
std::array<std::int64_t, 2> short_side_resize(std::int64_t width, std::int64_t height, std::int64_t size);

// torchvision's CenterCrop box (offsets rounded half to even, as Python does).
CropBox center_crop_box(std::int64_t width, std::int64_t height, std::int64_t crop_width,
                        std::int64_t crop_height);

// The random choices of one training sample, drawn from its seed: the crop of
// the (full-size) image and whether it is mirrored. The bench hands these to
// its Python twin so both do the same work.
struct TrainCrop {
  CropBox box;
  bool flip = false;
};
TrainCrop imagenet_train_crop(std::int64_t width, std::int64_t height, std::uint64_t seed);

// Resizes `box` of `image` to out_width x out_height (bilinear, antialiased
// when shrinking, as PIL's resize does on the cropped image), optionally
// mirrored, and writes (v / 255 - mean) / std as float CHW into `out`, which
// must hold 3 * out_height * out_width floats.
void resized_crop_normalize(const Image& image, const CropBox& box, std::int64_t out_width,
                            std::int64_t out_height, bool flip, const Normalization& normalization,
                            float* out);

// ImageNet training pre-processing in one call: decode (only the crop's rows
// and columns, DCT-downscaled when the crop is at least twice the output),
// random-resized-crop to size x size, flip with probability 1/2, normalize.
// `encoded` is a uint8 1-D tensor holding a JPEG or PNG file; returns float
// [3, size, size]. Throws DataError for data that is not a readable image.
torch::Tensor imagenet_train_transform(const torch::Tensor& encoded, std::int64_t size,
                                       const Normalization& normalization, std::uint64_t seed);

// ImageNet evaluation pre-processing: decode, resize the short side to
// `resize`, center-crop size x size, normalize (as torchvision's Resize(256),
// CenterCrop(224), ToTensor, Normalize). Returns float [3, size, size].
torch::Tensor imagenet_eval_transform(const torch::Tensor& encoded, std::int64_t resize, std::int64_t size,
                                      const Normalization& normalization);

// Batch-level augmentation of images already decoded (CIFAR's random crop
// with padding, flip, per-channel normalize) is in BatchTransforms.h.

}  // namespace quantlab::data
