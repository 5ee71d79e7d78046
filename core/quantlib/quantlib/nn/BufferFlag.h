#pragma once
// A 0/1 buffer a quantizer reads on the host each forward (its "initialised"
// flag). Reading a GPU buffer waits for the GPU, so a 1 once read is kept
// until the buffer is written again: a write (fill_, a checkpoint's copy_)
// bumps its version counter, a move to another device changes its storage.
// A 0 is read again every time: a collective writing the buffer's memory
// directly (rank 0's flags sent to the others) bumps no version.
#include <cstdint>

#include <torch/types.h>

namespace quantlib::nn {

class BufferFlag {
 public:
  bool read(const torch::Tensor& buffer) const {
    const void* storage = buffer.data_ptr();
    const auto version = static_cast<std::int64_t>(buffer._version());
    if (!value_ || storage != storage_ || version != version_) {
      value_ = buffer.item<float>() != 0.0f;
      storage_ = storage;
      version_ = version;
    }
    return value_;
  }

 private:
  mutable const void* storage_ = nullptr;
  mutable std::int64_t version_ = -1;
  mutable bool value_ = false;
};

}  // namespace quantlib::nn
