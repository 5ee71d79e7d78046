#include "manager/train/ComputeThreads.h"

#include <dlfcn.h>
#include <malloc.h>

#include <torch/torch.h>

namespace quantlab {
namespace {

// Looked up at run time: the BLAS behind libblas.so.3 is chosen by Debian's
// alternatives (OpenBLAS pthread or OpenMP, BLIS, reference), and only some
// have these calls.
template <typename Function>
Function blas_function(const char* name) {
  return reinterpret_cast<Function>(dlsym(RTLD_DEFAULT, name));
}

// glibc keeps chunks below the mmap threshold in its heaps and trims the top
// of a heap only above the trim threshold. 32 MiB is glibc's largest mmap
// threshold on 64-bit, and activations grow past it (SimpleCNN's first conv
// at batch 1000: 100 MB): with mmap off (M_MMAP_MAX 0) those come from the
// heap too, instead of being mapped and unmapped, page by page faulted in,
// at every batch (1.3 million faults in a 10,000-image evaluation).
constexpr int kMmapThreshold = 32 << 20;
constexpr int kTrimThreshold = 1 << 30;
constexpr int kTopPad = 64 << 20;

}  // namespace

void configure_compute(int threads) {
  mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
  mallopt(M_TOP_PAD, kTopPad);
  torch::set_num_threads(threads);
  if (const auto set_threads = blas_function<void (*)(int)>("openblas_set_num_threads")) set_threads(threads);
}

int blas_threads() {
  if (const auto get_threads = blas_function<int (*)()>("openblas_get_num_threads")) return get_threads();
  return 0;
}

}  // namespace quantlab
