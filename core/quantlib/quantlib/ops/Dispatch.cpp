#include "quantlib/ops/Dispatch.h"

#include "quantlab/BuildConfig.h"

namespace quantlib::ops::detail {

bool cuda_kernels_built() { return QUANTLAB_WITH_CUDA != 0; }

}  // namespace quantlib::ops::detail
