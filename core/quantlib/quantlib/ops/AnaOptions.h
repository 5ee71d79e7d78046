#pragma once
// ANA's choices (see Ana.h), free of LibTorch so the CUDA kernels can see them.

namespace quantlib::ops {

enum class AnaNoise { Uniform, Triangular, Normal, Logistic };
enum class AnaForward { Expectation, Mode, Random };

}  // namespace quantlib::ops
