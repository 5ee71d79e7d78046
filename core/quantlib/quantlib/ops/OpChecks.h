#pragma once
// Argument checks shared by the fused quantization operations (internal).
#include <cstdint>

#include <torch/types.h>

#include "quantlib/ops/Dispatch.h"
#include "quantlib/ops/QuantizerOptions.h"

namespace quantlib::ops::detail {

inline void check_float_tensor(const char* op, const char* name, const torch::Tensor& tensor) {
  TORCH_CHECK(tensor.defined(), op, ": ", name, " is an undefined tensor");
  TORCH_CHECK(tensor.scalar_type() == torch::kFloat, op, ": ", name, " must be float32, got ",
              tensor.scalar_type());
}

inline void check_same_device(const char* op, const torch::Tensor& x, const char* name,
                              const torch::Tensor& parameter) {
  TORCH_CHECK(parameter.device() == x.device(), op, ": ", name, " is on ", parameter.device(),
              " but x is on ", x.device());
}

inline void check_one_element(const char* op, const char* name, const torch::Tensor& tensor) {
  TORCH_CHECK(tensor.numel() == 1, op, ": ", name, " must have one element, got shape ", tensor.sizes());
}

// Integer levels [level_min, level_max] of a b-bit quantizer whose levels are
// consecutive integers, two's-complement range when signed (LSQ, TQT).
struct IntegerRange {
  float level_min;
  float level_max;
};

inline void check_bits(const char* op, int64_t bits, Signedness signedness) {
  const int64_t min_bits = signedness == Signedness::Signed ? 2 : 1;
  TORCH_CHECK(bits >= min_bits && bits <= 24, op, ": bits must be in [", min_bits,
              ", 24] for a ", signedness == Signedness::Signed ? "signed" : "unsigned",
              " quantizer, got ", bits);
}

inline IntegerRange twos_complement_range(int64_t bits, Signedness signedness) {
  if (signedness == Signedness::Signed) {
    const float half = static_cast<float>(int64_t{1} << (bits - 1));
    return {-half, half - 1.0f};
  }
  return {0.0f, static_cast<float>((int64_t{1} << bits) - 1)};
}

}  // namespace quantlib::ops::detail
