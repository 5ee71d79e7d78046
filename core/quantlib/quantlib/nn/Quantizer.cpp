#include "quantlib/nn/Quantizer.h"

#include <utility>

namespace quantlib::nn {

Quantizer::Quantizer(std::string name, bool enabled) : torch::nn::Module(std::move(name)), enabled_(enabled) {}

torch::Tensor Quantizer::forward(const torch::Tensor& x) { return enabled_ ? quantize(x) : x; }

IntegerGrid Quantizer::integer_grid() const { return IntegerGrid::none(name() + " describes no integer grid"); }

}  // namespace quantlib::nn
