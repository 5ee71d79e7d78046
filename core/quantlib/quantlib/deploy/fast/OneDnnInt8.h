#pragma once
// int8 convolution and matrix product through LibTorch's oneDNN operators
// (onednn::qconv_pointwise, onednn::qlinear_pointwise: the kernels PyTorch's
// x86 int8 inference uses). Activations are uint8 with a zero point, weights
// int8 (per-tensor scale 1, zero point 0); oneDNN accumulates in int32 and,
// asked for float32 output at scale 1, returns the accumulators as float32,
// which holds them exactly while |accumulator| < 2^24. Callers keep every
// accumulator below that bound (FastIntegerNetwork splits the input channels).
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include <torch/types.h>

namespace quantlib::deploy::fast {

// Why these kernels cannot run here, or nullopt when they can. Decided once
// per process: the operators exist in this LibTorch, and they compute
// worst-case products (all 255 times 127 and times -128, with and without a
// zero point) exactly. x86 CPUs without VNNI multiply uint8 by int8 in 16-bit
// pair sums that saturate; oneDNN does not correct that, so there the fast
// path gives way to the exact executor.
const std::optional<std::string>& int8_kernels_unavailable();

// A weight packed for oneDNN, with the unit scales and zero points the
// operators take beside it and the input zero point it was packed for.
struct PackedWeight {
  torch::Tensor packed;
  torch::Tensor scales;
  torch::Tensor zero_points;
  int64_t input_zero_point = 0;
};

struct ConvGeometry {
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
};

// A convolution whose weight is packed once, for inputs of any batch size.
// Padding is the input's zero point (real zero), as the exact executor pads
// with integer zero.
class Int8Conv {
 public:
  // weight: int8 [Cout, Cin / groups, kh, kw].
  Int8Conv(const torch::Tensor& weight, int64_t input_zero_point, const ConvGeometry& geometry);
  // uint8 NCHW (any layout; channels-last avoids a copy) -> float32
  // accumulators [N, Cout, Ho, Wo], channels-last.
  torch::Tensor operator()(const torch::Tensor& input) const;

 private:
  PackedWeight weight_;
  ConvGeometry geometry_;
};

// x @ weight^T with the weight packed once.
class Int8Linear {
 public:
  // weight: int8 [Fout, Fin].
  Int8Linear(const torch::Tensor& weight, int64_t input_zero_point);
  // uint8 [N, Fin] -> float32 accumulators [N, Fout].
  torch::Tensor operator()(const torch::Tensor& input) const;

 private:
  PackedWeight weight_;
};

}  // namespace quantlib::deploy::fast
