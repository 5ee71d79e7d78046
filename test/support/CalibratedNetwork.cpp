#include "support/CalibratedNetwork.h"

#include <torch/torch.h>

#include "manager/config/ExperimentConfig.h"

namespace quantlab::test {

torch::Tensor pixels(const std::vector<std::int64_t>& shape) {
  return torch::randint(0, 256, shape).to(torch::kFloat).div(255.0).sub(0.45).div(0.25);
}

BuiltNetwork calibrated_network(const Topology& topology, const std::filesystem::path& config_file,
                                const std::vector<std::int64_t>& calibration_shape,
                                const std::vector<std::string>& overrides, int forwards) {
  YAML::Node root = load_config_file(config_file);
  apply_override(root, "network.pretrained=null");
  for (const auto& assignment : overrides) apply_override(root, assignment);
  const ExperimentConfig config = ExperimentConfig::parse(root, config_file.string());
  torch::manual_seed(5);
  BuiltNetwork built = build_network(topology, config);
  torch::NoGradGuard no_grad;
  built.network->train();
  for (int i = 0; i < forwards; ++i) built.network->forward(pixels(calibration_shape));
  for (auto& controller : built.controllers) controller->step_pre_validation(0);
  built.network->eval();
  return built;
}

}  // namespace quantlab::test
