#include <catch2/catch.hpp>

#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include <torch/torch.h>

#include "manager/train/ComputeThreads.h"

namespace QUANTLAB_TEST_FILE {
namespace {

TEST_CASE("configure_compute sets LibTorch's threads and keeps even large buffers in the heap", "[train]") {
  quantlab::configure_compute(1);
  CHECK(torch::get_num_threads() == 1);
  // 100 MB, past glibc's largest mmap threshold (32 MiB): an activation of a
  // batch of 1000. Mapped, it would be unmapped on free and faulted in again
  // at every batch; from the heap it is reused.
  const std::size_t size = std::size_t{100} << 20;
  const std::size_t mapped_before = mallinfo2().hblkhd;  // what was mapped before (static buffers)
  void* block = std::malloc(size);
  REQUIRE(block != nullptr);
  std::memset(block, 1, size);
  CHECK(mallinfo2().hblkhd == mapped_before);  // no new mapped chunk
  std::free(block);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
