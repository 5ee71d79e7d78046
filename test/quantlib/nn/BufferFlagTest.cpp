// A quantizer's flag is read from its buffer again whenever the buffer was
// written since, and while it reads 0; a 1 is kept across forwards.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "quantlib/nn/BufferFlag.h"

namespace QUANTLAB_TEST_FILE {
namespace {

TEST_CASE("BufferFlag follows writes to its buffer and keeps a 1 between them", "[quantnn]") {
  torch::Tensor buffer = torch::zeros({1});
  const quantlib::nn::BufferFlag flag;
  CHECK_FALSE(flag.read(buffer));
  // A 0 is read again each time, also after a write that bumps no version.
  buffer.data_ptr<float>()[0] = 1.0f;
  CHECK(flag.read(buffer));
  // A 1 is kept while nothing writes the buffer through LibTorch ...
  buffer.data_ptr<float>()[0] = 0.0f;
  CHECK(flag.read(buffer));
  // ... and read again after an in-place write (a checkpoint's copy_, fill_).
  buffer.copy_(torch::zeros({1}));
  CHECK_FALSE(flag.read(buffer));
  buffer.fill_(1.0f);
  CHECK(flag.read(buffer));
  // Another storage (the buffer moved) is read again.
  torch::Tensor other = torch::zeros({1});
  CHECK_FALSE(flag.read(other));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
