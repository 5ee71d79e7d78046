#pragma once
// Choices shared by the quantization operations.

namespace quantlib::ops {

// Signed quantizers have levels on both sides of zero; unsigned ones start at zero.
enum class Signedness { Unsigned, Signed };

// Nearest rounds half to even, like torch::round; Floor rounds towards minus infinity.
enum class Rounding { Nearest, Floor };

}  // namespace quantlib::ops
