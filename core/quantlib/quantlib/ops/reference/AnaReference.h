#pragma once
// ANA the slow way (see ../Ana.h and ../Reference.h for the conventions): the
// textbook formula q_0 + sum_i dq_i F((x - t_i) / s) with composed LibTorch ops,
// the hard staircase through bucketize, and the backward from autograd through the
// expectation at s_bwd (the detach trick). Random draws the same uniforms from the
// generator as the fused op, so a generator seeded alike gives the same noise.
// For tests and benchmarks.
#include <optional>

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "quantlib/ops/Ana.h"

namespace quantlib::ops::reference {

torch::Tensor ana(const torch::Tensor& x, const AnaStaircase& staircase, AnaNoise noise, AnaForward forward,
                  double s_fwd, double s_bwd, std::optional<at::Generator> generator = std::nullopt);

}  // namespace quantlib::ops::reference
