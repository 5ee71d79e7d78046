#include "manager/train/Optimizers.h"

#include <torch/torch.h>

namespace quantlab {

namespace {

double non_negative(const Params& params, const std::string& key, double fallback) {
  const double value = params.get<double>(key, fallback);
  if (!(value >= 0)) params.fail(key, "a non-negative number");
  return value;
}

std::tuple<double, double> betas(const Params& params) {
  const auto values = params.get<std::vector<double>>("betas", {0.9, 0.999});
  if (values.size() != 2) params.fail("betas", "a list of two numbers");
  return {values[0], values[1]};
}

}  // namespace

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const Params& section,
                                                        std::vector<torch::Tensor> parameters) {
  const std::string name = section.get<std::string>("class");
  const Params params = section.at("params");
  if (name == "SGD") {
    params.only({"lr", "momentum", "dampening", "weight_decay", "nesterov"});
    torch::optim::SGDOptions options(non_negative(params, "lr", 0.01));
    options.momentum(non_negative(params, "momentum", 0))
        .dampening(non_negative(params, "dampening", 0))
        .weight_decay(non_negative(params, "weight_decay", 0))
        .nesterov(params.get<bool>("nesterov", false));
    if (options.nesterov() && (options.momentum() <= 0 || options.dampening() != 0))
      params.fail("nesterov", "false unless momentum > 0 and dampening = 0");
    return std::make_unique<torch::optim::SGD>(parameters, options);
  }
  if (name == "Adam" || name == "AdamW") {
    params.only({"lr", "betas", "eps", "weight_decay", "amsgrad"});
    const double lr = non_negative(params, "lr", 0.001);
    const double eps = non_negative(params, "eps", 1e-8);
    const bool amsgrad = params.get<bool>("amsgrad", false);
    if (name == "Adam") {
      torch::optim::AdamOptions options(lr);
      options.betas(betas(params)).eps(eps).weight_decay(non_negative(params, "weight_decay", 0)).amsgrad(amsgrad);
      return std::make_unique<torch::optim::Adam>(parameters, options);
    }
    torch::optim::AdamWOptions options(lr);
    options.betas(betas(params)).eps(eps).weight_decay(non_negative(params, "weight_decay", 0.01)).amsgrad(amsgrad);
    return std::make_unique<torch::optim::AdamW>(parameters, options);
  }
  if (name == "RMSprop") {
    params.only({"lr", "alpha", "eps", "weight_decay", "momentum", "centered"});
    torch::optim::RMSpropOptions options(non_negative(params, "lr", 0.01));
    options.alpha(non_negative(params, "alpha", 0.99))
        .eps(non_negative(params, "eps", 1e-8))
        .weight_decay(non_negative(params, "weight_decay", 0))
        .momentum(non_negative(params, "momentum", 0))
        .centered(params.get<bool>("centered", false));
    return std::make_unique<torch::optim::RMSprop>(parameters, options);
  }
  if (name == "Adagrad") {
    params.only({"lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"});
    torch::optim::AdagradOptions options(non_negative(params, "lr", 0.01));
    options.lr_decay(non_negative(params, "lr_decay", 0))
        .weight_decay(non_negative(params, "weight_decay", 0))
        .initial_accumulator_value(non_negative(params, "initial_accumulator_value", 0))
        .eps(non_negative(params, "eps", 1e-10));
    return std::make_unique<torch::optim::Adagrad>(parameters, options);
  }
  section.fail("class", "one of SGD, Adam, AdamW, RMSprop, Adagrad");
}

double learning_rate(const torch::optim::Optimizer& optimizer) {
  return optimizer.param_groups().front().options().get_lr();
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

bool has_momentum(const torch::optim::Optimizer& optimizer) {
  const auto& options = optimizer.param_groups().front().options();
  return dynamic_cast<const torch::optim::SGDOptions*>(&options) ||
         dynamic_cast<const torch::optim::RMSpropOptions*>(&options) ||
         dynamic_cast<const torch::optim::AdamOptions*>(&options) ||
         dynamic_cast<const torch::optim::AdamWOptions*>(&options);
}

bool set_momentum(torch::optim::Optimizer& optimizer, double momentum) {
  for (auto& group : optimizer.param_groups()) {
    auto& options = group.options();
    if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&options)) {
      sgd->momentum(momentum);
    } else if (auto* rmsprop = dynamic_cast<torch::optim::RMSpropOptions*>(&options)) {
      rmsprop->momentum(momentum);
    } else if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&options)) {
      adam->betas({momentum, std::get<1>(adam->betas())});
    } else if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&options)) {
      adamw->betas({momentum, std::get<1>(adamw->betas())});
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace quantlab
