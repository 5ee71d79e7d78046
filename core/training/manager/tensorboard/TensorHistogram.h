#pragma once
// A tensor's histogram for the LibTorch-free EventWriter: any dtype, shape
// and device; its values as float64 (see EventWriter::add_histogram).
#include <cstdint>
#include <string>

#include <torch/types.h>

#include "manager/tensorboard/EventWriter.h"

namespace quantlab::tensorboard {

inline void add_histogram(EventWriter& writer, const std::string& tag, const torch::Tensor& values, std::int64_t step) {
  const torch::Tensor flat = values.detach().to(torch::kCPU, torch::kDouble).contiguous().reshape({-1});
  writer.add_histogram(tag, {flat.data_ptr<double>(), static_cast<std::size_t>(flat.numel())}, step);
}

}  // namespace quantlab::tensorboard
