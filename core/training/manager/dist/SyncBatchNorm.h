#pragma once
// Batch normalisation whose training-time statistics are those of the whole
// global batch (every rank's samples), for the small per-rank batches of
// data-parallel training. Local statistics are the default; the host swaps
// this in for each BatchNorm2d/BatchNorm1d when training.distributed says
// sync_batch_norm. Eval mode uses the running statistics, as BatchNorm does.
#include <memory>
#include <string>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/types.h>

#include "manager/dist/Communicator.h"

namespace quantlab {

class SyncBatchNormImpl : public torch::nn::Module {
 public:
  // Shares `layer`'s parameters and running buffers, under the same names, so
  // checkpoints of either load into the other. `communicator` must outlive it.
  SyncBatchNormImpl(const torch::nn::BatchNormImplBase<2, torch::nn::BatchNorm2dImpl>& layer,
                    Communicator& communicator);
  SyncBatchNormImpl(const torch::nn::BatchNormImplBase<1, torch::nn::BatchNorm1dImpl>& layer,
                    Communicator& communicator);

  torch::Tensor forward(const torch::Tensor& input);

 private:
  void adopt(const torch::nn::BatchNormOptions& options, const torch::Tensor& weight, const torch::Tensor& bias,
             const torch::Tensor& running_mean, const torch::Tensor& running_var,
             const torch::Tensor& num_batches_tracked);

  Communicator& communicator_;
  double eps_ = 1e-5;
  double momentum_ = 0.1;
  torch::Tensor weight_, bias_, running_mean_, running_var_, num_batches_tracked_;
};
TORCH_MODULE(SyncBatchNorm);

// Replaces every BatchNorm2d/BatchNorm1d a Block calls by name with a
// SyncBatchNorm; returns how many. Layers of other parents are left (and
// counted out) since they cannot be swapped.
int synchronize_batch_norms(torch::nn::Module& network, Communicator& communicator);

}  // namespace quantlab
