#include "quantlib/nn/Quantizer.h"

#include <utility>

namespace quantlib::nn {

Quantizer::Quantizer(std::string name, bool enabled) : torch::nn::Module(std::move(name)), enabled_(enabled) {}

// Quantizers compute in float32 whatever the layer before produced: under
// mixed precision (autocast) a convolution's bf16/fp16 output is widened here,
// and the next float layer narrows the quantized values again (the grids of
// up to 8 bits are exact in bf16 only up to 8 significant bits, in float32 always).
torch::Tensor Quantizer::forward(const torch::Tensor& x) {
  if (!enabled_) return x;
  return quantize(x.scalar_type() == torch::kFloat ? x : x.to(torch::kFloat));
}

IntegerGrid Quantizer::integer_grid() const { return IntegerGrid::none(name() + " describes no integer grid"); }

}  // namespace quantlib::nn
