// A JPEG or PNG file through what the data pipeline does with one: the
// decoder's header, whole and region decodes at each reduction, and the
// ImageNet training and evaluation transforms.
#include <stdexcept>

#include "../FuzzTarget.h"
#include "quantlab/data/ImageDecode.h"
#include "quantlab/data/ImageTransforms.h"

// Images above this size are only checked, not decoded: the decoding paths do
// not depend on the size, and each such input would take a second or more.
constexpr std::int64_t kMaxFuzzedPixels = std::int64_t{1} << 22;

QUANTLAB_FUZZ_TARGET(image) {
  using namespace quantlab::data;
  bool small = false;
  quantlab::fuzz::user_errors_only([&] {
    const ImageDecoder decoder(data, size);
    small = decoder.width() * decoder.height() <= kMaxFuzzedPixels;
  });
  if (!small) return;
  quantlab::fuzz::user_errors_only([&] {
    ImageDecoder decoder(data, size);
    const Image all = decoder.decode_all();
    if (all.width != decoder.width() || all.height != decoder.height() ||
        all.pixels.size() < static_cast<std::size_t>(all.stride * (all.height - 1) + all.width * 3))
      throw std::logic_error("decode_all returned fewer pixels than the image has");
  });
  for (const int reduction : {1, 2, 8}) {
    quantlab::fuzz::user_errors_only([&] {
      ImageDecoder decoder(data, size);
      if (!decoder.is_jpeg() && reduction != 1) return;
      const std::int64_t w = decoder.reduced_width(reduction), h = decoder.reduced_height(reduction);
      const Region region{w / 4, h / 3, w - w / 5, h - h / 7};
      (void)decoder.decode(region, reduction);
    });
  }
  const torch::Tensor encoded =
      torch::from_blob(const_cast<std::uint8_t*>(data), {static_cast<std::int64_t>(size)}, torch::kUInt8);
  quantlab::fuzz::user_errors_only([&] {
    (void)imagenet_train_transform(encoded, 24, Normalization::imagenet(), size);
  });
  quantlab::fuzz::user_errors_only([&] {
    (void)imagenet_eval_transform(encoded, 28, 24, Normalization::imagenet());
  });
}
