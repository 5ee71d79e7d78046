#pragma once
// Batch-norm folding for deployment: y = BN(conv(x)) becomes conv'(x) with
//   W' = W * gamma / sqrt(running_var + eps)        (per output channel)
//   b' = beta + (b - running_mean) * gamma / sqrt(running_var + eps)
// The running statistics are what a deployed network uses, so the folded
// network equals the original in eval mode; in training mode the original
// normalised with batch statistics, which the folded one no longer does.
// Fold before building the optimizer: a convolution without bias gets a new
// bias parameter.
#include <string>
#include <utility>
#include <vector>

#include <torch/nn/module.h>

namespace quantlib::graph {

// Folds every BatchNorm1d/BatchNorm2d that a Block calls into the Conv2d or
// Linear (or their twins) that the same Block registered immediately before
// it, and replaces the batch-norm by torch::nn::Identity. Batch-norms without
// such a layer in front are left alone. The weight and bias tensors are
// updated in place. Returns the folded (layer, batch-norm) dotted names.
// c10::Error when the channels differ, the batch-norm has no running
// statistics, or a quantizer sits between the two layers.
std::vector<std::pair<std::string, std::string>> fold_batch_norm(torch::nn::Module& network);

}  // namespace quantlib::graph
