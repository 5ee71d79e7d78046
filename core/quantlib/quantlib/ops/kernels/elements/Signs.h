#pragma once
// The per-element formulas of the binary, ternary and INQ ops, shared by their
// CPU and CUDA kernels. Formulas in ../../Binary.h, Ternary.h, Inq.h. Free of
// LibTorch (see FloatOps.h).
#include "quantlib/ops/kernels/elements/FloatOps.h"

namespace quantlib::ops::kernels {

// sign(0) = +1, as XNOR-Net's binarisation.
struct BinaryElement {
  float scale;

  QUANTLIB_HOST_DEVICE float forward(float x) const { return select(x >= 0.0f, scale, -scale); }
};

// Strictly beyond the threshold: an input at +-threshold maps to 0.
struct TernaryElement {
  float threshold;
  float scale;

  QUANTLIB_HOST_DEVICE float forward(float x) const {
    return select(x > threshold, scale, select(x < -threshold, -scale, 0.0f));
  }
};

// The straight-through backward of the binary and ternary ops: the derivative of hardtanh.
struct ClippedStraightThroughElement {
  QUANTLIB_HOST_DEVICE float forward(float x) const { return x; }
  QUANTLIB_HOST_DEVICE float grad_input(float x, float grad_y) const {
    return select(x >= -1.0f && x <= 1.0f, grad_y, 0.0f);
  }
  QUANTLIB_HOST_DEVICE float grad_param_term(float, float) const { return 0.0f; }
};

// INQ: NaN in frozen marks a free weight. NaN is the only float that differs
// from itself; a plain compare keeps the loop vectorisable where std::isnan
// would be a libm call.
QUANTLIB_HOST_DEVICE inline bool inq_is_free(float frozen) { return frozen != frozen; }

QUANTLIB_HOST_DEVICE inline float inq_forward_value(float w, float frozen) {
  return select(inq_is_free(frozen), w, frozen);
}

QUANTLIB_HOST_DEVICE inline float inq_grad_value(float frozen, float grad_y) {
  return select(inq_is_free(frozen), grad_y, 0.0f);
}

}  // namespace quantlib::ops::kernels
