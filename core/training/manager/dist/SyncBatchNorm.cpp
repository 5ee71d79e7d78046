#include "manager/dist/SyncBatchNorm.h"

#include <cstdint>

#include <torch/torch.h>

#include "quantlib/graph/Layer.h"
#include "quantlib/nn/Block.h"

namespace quantlab {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// Per channel: the input viewed as (N, C, rest), and the dims to reduce over.
std::vector<int64_t> reduced_dims(const torch::Tensor& x) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}

torch::Tensor per_channel(const torch::Tensor& values, const torch::Tensor& like) {
  std::vector<int64_t> shape(static_cast<std::size_t>(like.dim()), 1);
  shape[1] = values.size(0);
  return values.view(shape);
}

// y = (x - mean) * invstd * weight + bias with mean and variance over every
// rank's batch. The backward needs the global sums of dy and dy * x_hat too
// (the statistics depend on every rank's inputs). The communicator travels
// as an address in the saved data: the graph never outlives the training step.
struct SyncBatchNormFunction : torch::autograd::Function<SyncBatchNormFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, torch::Tensor running_mean, torch::Tensor running_var,
                               torch::Tensor num_batches_tracked, double eps, double momentum,
                               int64_t communicator_address) {
    auto& communicator = *reinterpret_cast<Communicator*>(communicator_address);
    const auto dims = reduced_dims(x);
    const int64_t channels = x.size(1);
    // Sums in double, so that mean and variance of a large global batch keep
    // their precision; on the input's device (NCCL for CUDA inputs, through a
    // DeviceCommunicator).
    torch::Tensor sums = torch::empty({2 * channels + 1}, x.options().dtype(torch::kDouble));
    const torch::Tensor x64 = x.to(torch::kDouble);
    sums.narrow(0, 0, channels).copy_(x64.sum(dims));
    sums.narrow(0, channels, channels).copy_(x64.square().sum(dims));
    sums[2 * channels] = static_cast<double>(x.numel() / channels);
    communicator.allreduce_sum(sums);
    const double count = sums[2 * channels].item<double>();
    TORCH_CHECK(count > 1, "SyncBatchNorm: expected more than 1 value per channel over all ranks");
    const torch::Tensor mean = sums.narrow(0, 0, channels) / count;
    const torch::Tensor variance = (sums.narrow(0, channels, channels) / count - mean.square()).clamp_min(0);
    const torch::Tensor invstd = (variance + eps).rsqrt();
    {
      torch::NoGradGuard no_grad;
      running_mean.mul_(1 - momentum).add_(mean.to(running_mean.scalar_type()), momentum);
      running_var.mul_(1 - momentum).add_((variance * (count / (count - 1))).to(running_var.scalar_type()), momentum);
      num_batches_tracked.add_(1);
    }
    const torch::Tensor mean32 = mean.to(x.scalar_type());
    const torch::Tensor invstd32 = invstd.to(x.scalar_type());
    const torch::Tensor x_hat = (x - per_channel(mean32, x)) * per_channel(invstd32, x);
    ctx->save_for_backward({x_hat, weight, invstd32});
    ctx->saved_data["count"] = count;
    ctx->saved_data["communicator"] = communicator_address;
    return x_hat * per_channel(weight, x) + per_channel(bias, x);
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x_hat = saved[0];
    const torch::Tensor& weight = saved[1];
    const torch::Tensor& invstd = saved[2];
    const double count = ctx->saved_data["count"].toDouble();
    auto& communicator = *reinterpret_cast<Communicator*>(ctx->saved_data["communicator"].toInt());
    const torch::Tensor grad_y = grad_outputs[0].contiguous();
    const auto dims = reduced_dims(x_hat);
    const int64_t channels = x_hat.size(1);
    // Local sums give the parameters' gradients (averaged over ranks later,
    // like every gradient); their global sums give the input's.
    const torch::Tensor sum_dy = grad_y.sum(dims);
    const torch::Tensor sum_dy_xhat = (grad_y * x_hat).sum(dims);
    torch::Tensor global = torch::cat({sum_dy, sum_dy_xhat}).to(torch::kDouble);
    communicator.allreduce_sum(global);
    const torch::Tensor mean_dy = (global.narrow(0, 0, channels) / count).to(x_hat.scalar_type());
    const torch::Tensor mean_dy_xhat = (global.narrow(0, channels, channels) / count).to(x_hat.scalar_type());
    const torch::Tensor grad_x = per_channel(weight * invstd, x_hat) *
                                 (grad_y - per_channel(mean_dy, x_hat) - x_hat * per_channel(mean_dy_xhat, x_hat));
    return {grad_x, sum_dy_xhat, sum_dy, {}, {}, {}, {}, {}, {}};
  }
};

}  // namespace

SyncBatchNormImpl::SyncBatchNormImpl(const torch::nn::BatchNormImplBase<2, torch::nn::BatchNorm2dImpl>& layer,
                                     Communicator& communicator)
    : torch::nn::Module("SyncBatchNorm"), communicator_(communicator) {
  adopt(layer.options, layer.weight, layer.bias, layer.running_mean, layer.running_var, layer.num_batches_tracked);
}

SyncBatchNormImpl::SyncBatchNormImpl(const torch::nn::BatchNormImplBase<1, torch::nn::BatchNorm1dImpl>& layer,
                                     Communicator& communicator)
    : torch::nn::Module("SyncBatchNorm"), communicator_(communicator) {
  adopt(layer.options, layer.weight, layer.bias, layer.running_mean, layer.running_var, layer.num_batches_tracked);
}

void SyncBatchNormImpl::adopt(const torch::nn::BatchNormOptions& options, const torch::Tensor& weight,
                              const torch::Tensor& bias, const torch::Tensor& running_mean,
                              const torch::Tensor& running_var, const torch::Tensor& num_batches_tracked) {
  TORCH_CHECK(options.affine() && options.track_running_stats(),
              "SyncBatchNorm: only affine batch norms that track running statistics");
  TORCH_CHECK(options.momentum().has_value(),
              "SyncBatchNorm: a cumulative moving average (momentum None) is not supported");
  eps_ = options.eps();
  momentum_ = *options.momentum();
  weight_ = register_parameter("weight", weight);
  bias_ = register_parameter("bias", bias);
  running_mean_ = register_buffer("running_mean", running_mean);
  running_var_ = register_buffer("running_var", running_var);
  num_batches_tracked_ = register_buffer("num_batches_tracked", num_batches_tracked);
}

torch::Tensor SyncBatchNormImpl::forward(const torch::Tensor& input) {
  if (!is_training())
    return torch::batch_norm(input, weight_, bias_, running_mean_, running_var_, false, momentum_, eps_,
                             /*cudnn_enabled=*/false);
  return SyncBatchNormFunction::apply(input, weight_, bias_, running_mean_, running_var_, num_batches_tracked_, eps_,
                                      momentum_, reinterpret_cast<int64_t>(&communicator_));
}

int synchronize_batch_norms(torch::nn::Module& network, Communicator& communicator) {
  int swapped = 0;
  for (const auto& layer : quantlib::graph::list_layers(network)) {
    if (layer.parent == nullptr) continue;
    if (const auto* bn2 = dynamic_cast<const torch::nn::BatchNorm2dImpl*>(layer.module.get())) {
      layer.parent->replace_layer(layer.name_in_parent, SyncBatchNorm(*bn2, communicator));
      ++swapped;
    } else if (const auto* bn1 = dynamic_cast<const torch::nn::BatchNorm1dImpl*>(layer.module.get())) {
      layer.parent->replace_layer(layer.name_in_parent, SyncBatchNorm(*bn1, communicator));
      ++swapped;
    }
  }
  return swapped;
}

}  // namespace quantlab
