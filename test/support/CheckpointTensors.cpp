#include "support/CheckpointTensors.h"

#include <torch/torch.h>

#include "manager/plugin/PluginLoader.h"
#include "manager/train/Checkpoint.h"
#include "support/Process.h"

namespace quantlab::test {

std::vector<torch::Tensor> simple_cnn_tensors(const std::filesystem::path& checkpoint) {
  const auto plugin = load_plugin(plugin_path("fashionmnist"));
  auto network = plugin.topology("SimpleCNN")->network(Params(YAML::Node(), "network.params", "test"));
  load_network(checkpoint, *network);
  std::vector<torch::Tensor> tensors;
  for (const auto& parameter : network->parameters()) tensors.push_back(parameter.detach().clone());
  for (const auto& buffer : network->buffers()) tensors.push_back(buffer.detach().clone());
  return tensors;
}

bool identical(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

}  // namespace quantlab::test
