#include "support/CudaDevices.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/ops/Dispatch.h"
#include "quantlib/ops/Pact.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlib::test;

TEST_CASE("devices_to_test lists the CPU first and a CUDA GPU only where one is", "[cuda]") {
  const auto devices = devices_to_test();
  REQUIRE(!devices.empty());
  REQUIRE(devices.front().is_cpu());
  REQUIRE(devices.size() == (cuda_available() ? 2u : 1u));
  if (cuda_available()) REQUIRE(devices.back().is_cuda());
}

// That the guard stops a CUDA case before any tensor goes to CUDA is shown by
// every skipped CUDA case here: past the guard, .to(kCUDA) would throw.

TEST_CASE("the fused ops take CUDA tensors in a CUDA build and refuse them in one line otherwise", "[cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("no CUDA tensor can be made to check the fused ops' device check");
  const torch::Tensor x = torch::randn({16}).to(cuda_device());
  const torch::Tensor alpha = torch::full({1}, 1.0f).to(cuda_device());
  if (quantlib::ops::detail::cuda_kernels_built()) {
    const torch::Tensor y = quantlib::ops::pact(x, alpha, 4, quantlib::ops::Signedness::Unsigned);
    REQUIRE(y.is_cuda());
  } else {
    REQUIRE_THROWS_WITH(quantlib::ops::pact(x, alpha, 4, quantlib::ops::Signedness::Unsigned),
                        Catch::Contains("no kernel for cuda:0 tensors yet (CPU only)"));
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
