// A CIFAR-10 binary batch file, read as the cifar10 plugin reads it.
#include <stdexcept>

#include "../FuzzTarget.h"
#include "CifarBinary.h"

QUANTLAB_FUZZ_TARGET(cifar) {
  const auto file = quantlab::fuzz::write_scratch_file("data_batch_1.bin", {reinterpret_cast<const char*>(data), size});
  quantlab::fuzz::user_errors_only([&] {
    const auto batch = cifar10::read_cifar_binary(file);
    if (batch.labels.numel() != batch.images.size(0) || batch.labels.max().item<std::int64_t>() >= cifar10::kClasses)
      throw std::logic_error("read_cifar_binary returned labels that do not fit its images");
  });
}
