#include "quantlib/graph/FoldBatchNorm.h"

#include <functional>
#include <memory>

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/container/any.h>

#include "quantlib/graph/Layer.h"
#include "quantlib/nn/Block.h"
#include "quantlib/nn/QuantConv2d.h"
#include "quantlib/nn/QuantLinear.h"

namespace quantlib::graph {

namespace {

// A Conv2d's or Linear's parameters are registered once, in reset(); a layer
// built without bias has an undefined "bias" entry that register_parameter
// cannot fill again. The registry is protected, so reach it the way a derived
// module would.
struct ParameterRegistry : torch::nn::Module {
  static torch::Tensor& entry(torch::nn::Module& module, const std::string& name) {
    return (module.*&ParameterRegistry::parameters_)[name];
  }
};

// The weight and bias that a batch-norm folds into, whatever wraps them.
struct Foldable {
  torch::nn::Module* module = nullptr;  // the one holding the parameters
  torch::Tensor* weight = nullptr;
  torch::Tensor* bias = nullptr;
  std::function<void()> mark_bias;  // the options must say bias(true) once it exists
};

Foldable foldable(const std::shared_ptr<torch::nn::Module>& layer) {
  std::shared_ptr<torch::nn::Module> plain = layer;
  if (auto twin = std::dynamic_pointer_cast<nn::QuantizedLayer>(layer)) plain = twin->original();
  if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(plain))
    return {conv.get(), &conv->weight, &conv->bias, [conv] { conv->options.bias(true); }};
  if (auto linear = std::dynamic_pointer_cast<torch::nn::LinearImpl>(plain))
    return {linear.get(), &linear->weight, &linear->bias, [linear] { linear->options.bias(true); }};
  return {};
}

// The batch-norm's options and state, for 1-d and 2-d alike.
template <class BatchNorm>
bool as_batch_norm(const std::shared_ptr<torch::nn::Module>& layer, torch::nn::BatchNormOptions& options,
                   torch::Tensor& gamma, torch::Tensor& beta, torch::Tensor& mean, torch::Tensor& var) {
  auto norm = std::dynamic_pointer_cast<BatchNorm>(layer);
  if (!norm) return false;
  options = norm->options;
  gamma = norm->weight;
  beta = norm->bias;
  mean = norm->running_mean;
  var = norm->running_var;
  return true;
}

void fold(const std::string& layer_name, Foldable& target, const std::string& norm_name,
          const torch::nn::BatchNormOptions& options, torch::Tensor gamma, torch::Tensor beta,
          const torch::Tensor& mean, const torch::Tensor& var) {
  TORCH_CHECK(options.track_running_stats() && mean.defined() && var.defined(), "batch-norm '", norm_name,
              "' keeps no running statistics (track_running_stats false), so it cannot be folded into '",
              layer_name, "'");
  torch::Tensor& weight = *target.weight;
  const int64_t channels = weight.size(0);
  TORCH_CHECK(channels == options.num_features(), "cannot fold batch-norm '", norm_name, "' (",
              options.num_features(), " features) into '", layer_name, "' (", channels, " output channels)");
  torch::NoGradGuard no_grad;
  if (!gamma.defined()) gamma = torch::ones_like(mean);
  if (!beta.defined()) beta = torch::zeros_like(mean);
  const torch::Tensor scale = gamma / (var + options.eps()).sqrt();
  std::vector<int64_t> per_channel(weight.dim(), 1);
  per_channel[0] = channels;
  weight.mul_(scale.reshape(per_channel).to(weight.dtype()));
  torch::Tensor& bias = *target.bias;
  const torch::Tensor old_bias = bias.defined() ? bias : torch::zeros_like(mean);
  const torch::Tensor new_bias = (beta + (old_bias - mean) * scale).to(weight.dtype());
  if (bias.defined()) {
    bias.copy_(new_bias);
  } else {
    torch::Tensor parameter = new_bias.clone().set_requires_grad(weight.requires_grad());
    ParameterRegistry::entry(*target.module, "bias") = parameter;
    bias = parameter;
    target.mark_bias();
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> fold_batch_norm(torch::nn::Module& network) {
  std::vector<std::pair<nn::Block*, std::string>> blocks;  // with the prefix of their layers' names
  if (auto* root = dynamic_cast<nn::Block*>(&network)) blocks.emplace_back(root, "");
  for (const auto& layer : list_layers(network))
    if (auto* block = dynamic_cast<nn::Block*>(layer.module.get())) blocks.emplace_back(block, layer.name + ".");

  std::vector<std::pair<std::string, std::string>> folded;
  for (const auto& [block, prefix] : blocks) {
    const std::vector<std::string> names = block->layer_names();
    for (std::size_t i = 1; i < names.size(); ++i) {
      torch::nn::BatchNormOptions options(0);
      torch::Tensor gamma, beta, mean, var;
      const auto norm = block->layer(names[i]);
      if (!as_batch_norm<torch::nn::BatchNorm2dImpl>(norm, options, gamma, beta, mean, var) &&
          !as_batch_norm<torch::nn::BatchNorm1dImpl>(norm, options, gamma, beta, mean, var))
        continue;
      Foldable target = foldable(block->layer(names[i - 1]));
      if (!target.module) continue;
      const std::string layer_name = prefix + names[i - 1];
      const std::string norm_name = prefix + names[i];
      TORCH_CHECK(!block->output_quantizer(names[i - 1]) && !block->input_quantizer(names[i]),
                  "cannot fold batch-norm '", norm_name, "' into '", layer_name,
                  "': a quantizer sits between them; fold batch-norm before inserting quantizers");
      fold(layer_name, target, norm_name, options, gamma, beta, mean, var);
      block->replace_layer(names[i], torch::nn::Identity());
      folded.emplace_back(layer_name, norm_name);
    }
  }
  return folded;
}

}  // namespace quantlib::graph
