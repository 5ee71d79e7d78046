#pragma once
// The devices the op tests run on: the CPU always, the first CUDA GPU where
// this LibTorch has CUDA and the machine has a GPU. A test case that needs the
// GPU starts with QUANTLAB_SKIP_WITHOUT_CUDA("what it checks"): without one it
// ends there, before any tensor is moved to CUDA, with a warning that ctest
// reports as a skip (SKIP_REGULAR_EXPRESSION in test/CMakeLists.txt; this
// Catch2 2.x has no SKIP).
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

namespace quantlib::test {

inline bool cuda_available() { return torch::cuda::is_available(); }

inline std::vector<torch::Device> devices_to_test() {
  std::vector<torch::Device> devices{torch::Device(torch::kCPU)};
  if (cuda_available()) devices.emplace_back(torch::kCUDA, 0);
  return devices;
}

inline torch::Device cuda_device() { return torch::Device(torch::kCUDA, 0); }

}  // namespace quantlib::test

// Ends the current test case, counted as skipped, when there is no CUDA GPU.
#define QUANTLAB_SKIP_WITHOUT_CUDA(what)                 \
  do {                                                   \
    if (!::quantlib::test::cuda_available()) {           \
      WARN("no CUDA GPU: " << what << " (skipped)");     \
      return;                                            \
    }                                                    \
  } while (false)
