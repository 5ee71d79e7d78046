#include "support/SmallNetwork.h"

#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

namespace quantlab::test {

quantlib::nn::Sequential small_network() {
  torch::manual_seed(3);
  quantlib::nn::Sequential net;
  net->push_back("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3).padding(1).bias(false)));
  net->push_back("bn1", torch::nn::BatchNorm2d(4));
  net->push_back("relu1", torch::nn::ReLU());
  net->push_back("flatten", torch::nn::Flatten());
  net->push_back("fc1", torch::nn::Linear(4 * 5 * 5, 8));
  net->push_back("relu2", torch::nn::ReLU());
  net->push_back("fc2", torch::nn::Linear(8, 3));
  return net;
}

Params recipe_params(const std::string& yaml) {
  return Params(YAML::Load(yaml), "network.quantize.params", "recipe.yaml");
}

}  // namespace quantlab::test
