#pragma once
// The devices the op tests run on: the CPU always, the first CUDA GPU where
// this LibTorch has CUDA and the machine has a GPU. A test case that needs the
// GPU starts with QUANTLAB_SKIP_WITHOUT_CUDA("what it checks"): without one it
// ends there, before any tensor is moved to CUDA, and ctest reports it as
// skipped (support/Skip.h).
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "support/Skip.h"

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
#define QUANTLAB_SKIP_WITHOUT_CUDA(what)                                          \
  do {                                                                            \
    if (!::quantlib::test::cuda_available())                                      \
      QUANTLAB_SKIP(std::string("no CUDA GPU on this machine: ") + (what));       \
  } while (false)
