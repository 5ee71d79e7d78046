#pragma once
// ANA, fused: Spallanzani, Cavigelli, Leonardi, Benini and Benini 2019, "Additive
// Noise Annealing and Approximation Properties of Quantized Neural Networks".
//
// A staircase with sorted thresholds t_1 <= .. <= t_n and levels q_0 .. q_n:
//   y = q_0 + sum_i dq_i H(x - t_i),  dq_i = q_i - q_{i-1},  H(0) = 1
// (an input at a threshold takes the level above it). Training adds zero-mean
// noise nu of scale s to x before the staircase; with F and f the CDF and pdf of
// the noise at scale 1:
//   Expectation  y = q_0 + sum_i dq_i F((x - t_i) / s_fwd)   (E[staircase(x + nu)])
//   Mode         y = staircase(x)
//   Random       y = staircase(x + s_fwd * nu), nu drawn from the given generator
//   dy/dx        = sum_i dq_i f((x - t_i) / s_bwd) / s_bwd   (every forward mode)
// s_fwd = 0 makes every forward mode the hard staircase; s_bwd = 0 makes the
// gradient zero, as at the end of the original's annealing.
//
// What the scale s of each noise family is:
//   Uniform     half-width: nu on [-s, s]; Expectation is the original's clamped ramp
//   Triangular  half-width: nu on [-s, s], pdf peaking at 0
//   Normal      standard deviation
//   Logistic    scale: F(u) = 1 / (1 + exp(-u)), standard deviation s pi / sqrt(3)
// The uniform pdf is 1/2 on the closed interval [-1, 1].
//
// Random draws one uniform float32 per element from the generator (torch::rand
// with x's sizes, in x's logical order) and maps it through the inverse CDF; a
// draw of exactly 0 counts as 2^-25, so every noise is finite. With s_fwd = 0
// nothing is drawn.
//
// x: float32 CPU or CUDA tensor of any shape, contiguous or not. Returns a new contiguous
// tensor of x's shape. Throws c10::Error (TORCH_CHECK) on wrong arguments.
#include <cstdint>
#include <optional>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "quantlib/ops/AnaOptions.h"

namespace quantlib::ops {

// Binary {-1, +1}, ternary {-1, 0, +1}, or n uniform levels on [-1, 1]; thresholds
// halfway between neighbouring levels.
enum class AnaLevels { Binary, Ternary, Uniform };

// thresholds sorted ascending, levels.size() == thresholds.size() + 1.
struct AnaStaircase {
  std::vector<float> thresholds;
  std::vector<float> levels;
};

// The level set times scale (levels and thresholds both). n_levels must be 2 for
// Binary, 3 for Ternary, in [2, kAnaMaxLevels] for Uniform; scale positive, finite.
AnaStaircase ana_staircase(AnaLevels kind, int64_t n_levels, double scale);

// The kernels visit every threshold for every element: meant for few levels.
constexpr int64_t kAnaMaxLevels = 65536;

// s_fwd, s_bwd >= 0 and finite. generator: used by Random only, of x's device;
// none means the default generator of x's device.
torch::Tensor ana(const torch::Tensor& x, const AnaStaircase& staircase, AnaNoise noise, AnaForward forward,
                  double s_fwd, double s_bwd, std::optional<at::Generator> generator = std::nullopt);

}  // namespace quantlib::ops
