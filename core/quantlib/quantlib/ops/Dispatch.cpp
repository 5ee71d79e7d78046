#include "quantlib/ops/Dispatch.h"

namespace quantlib::ops::detail {

bool cuda_kernels_built() { return QUANTLAB_CUDA_BUILD != 0; }

}  // namespace quantlib::ops::detail
