#pragma once
// Edits of a network made of Blocks (see quantlib/nn/Block.h): swap plain
// layers for their quantized twins, insert activation quantizers before or
// after a layer. Layers are named by their dotted names and looked up in the
// network again, so a Layer listed before other edits is still fine.
// A layer that cannot be edited (not called by a Block, a type without twin,
// no such layer) is a c10::Error naming the layer.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "quantlib/graph/Layer.h"
#include "quantlib/nn/QuantizedLayer.h"
#include "quantlib/nn/Quantizer.h"

namespace quantlib::graph {

// Conv2d -> QuantConv2d, Linear -> QuantLinear, each wrapping the very layer
// it replaces (same parameter tensors, so an optimizer built before still
// trains them). A layer that already is a twin stays as it is. Returns the
// twins by dotted name.
std::map<std::string, std::shared_ptr<nn::QuantizedLayer>> replace_with_twins(torch::nn::Module& network,
                                                                             const std::vector<Layer>& layers);

// The quantizer sees the layer's input (insert_before) or output
// (insert_after); one of each per layer, a second call replaces the first and
// nullptr removes it.
void insert_before(torch::nn::Module& network, const std::string& layer_name, std::shared_ptr<nn::Quantizer> quantizer);
void insert_after(torch::nn::Module& network, const std::string& layer_name, std::shared_ptr<nn::Quantizer> quantizer);

// The quantizer computes in place of the layer while it is enabled, and the
// layer as before while it is disabled (see nn::Block::set_output_quantizer):
// an unsigned activation quantizer clips at 0, so a ReLU before it does
// nothing but cost a pass over the tensor forward and one backward. The
// caller vouches that the quantizer computes what layer-then-quantizer would.
void substitute(torch::nn::Module& network, const std::string& layer_name, std::shared_ptr<nn::Quantizer> quantizer);

}  // namespace quantlib::graph
