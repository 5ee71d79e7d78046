#include "ImageNetProblem.h"

#include <algorithm>
#include <string>
#include <system_error>

#include <torch/torch.h>

#include "ImageNetSplit.h"
#include "ImageNetTopology.h"
#include "MobileNetV1.h"
#include "MobileNetV2.h"
#include "ResNet.h"
#include "Vgg.h"
#include "quantlab/Errors.h"
#include "quantlab/Plugin.h"
#include "quantlab/TopKErrorMeter.h"

namespace imagenet {
namespace {

// The class folder names of a split, sorted; empty when it cannot be listed.
std::vector<std::string> class_folders(const std::filesystem::path& split) {
  std::vector<std::string> names;
  std::error_code error;
  for (std::filesystem::directory_iterator it(split, error), end; !error && it != end; it.increment(error))
    if (it->is_directory(error)) names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// A class index means a class only if both splits number the same folders:
// val with a class folder fewer or more than train would shift every label
// after it without a word.
void check_same_classes(const quantlab::data::ImageFolder& val, const std::filesystem::path& train) {
  const std::vector<std::string> train_classes = class_folders(train);
  if (train_classes.empty()) return;  // test mode may run on val alone
  const std::vector<std::string>& val_classes = val.classes();
  if (val_classes == train_classes) return;
  std::string difference;
  for (const auto& name : val_classes)
    if (!std::binary_search(train_classes.begin(), train_classes.end(), name)) {
      difference = name + " is in val but not in train";
      break;
    }
  if (difference.empty())
    for (const auto& name : train_classes)
      if (!std::binary_search(val_classes.begin(), val_classes.end(), name)) {
        difference = name + " is in train but not in val";
        break;
      }
  throw quantlab::DataError(val.root().string() + ": expected the same class folders as " + train.string() +
                            " (" + std::to_string(train_classes.size()) + "), found " +
                            std::to_string(val_classes.size()) + "; " + difference);
}

template <class Net, class Options>
quantlab::NetworkFactory factory() {
  return [](const quantlab::Params& params) -> std::shared_ptr<quantlab::Network> {
    return std::make_shared<Net>(Options::from(params));
  };
}

}  // namespace

std::shared_ptr<quantlab::Dataset> ImageNetProblem::dataset(quantlab::Partition partition,
                                                            const std::filesystem::path& data_dir) const {
  if (partition == quantlab::Partition::train)
    return std::make_shared<ImageNetSplit>(data_dir / "train");
  auto val = std::make_shared<ImageNetSplit>(data_dir / "val");
  check_same_classes(*val, data_dir / "train");
  return val;
}

std::unique_ptr<quantlab::Meter> ImageNetProblem::meter() const {
  return std::make_unique<quantlab::TopKErrorMeter>();
}

std::vector<std::shared_ptr<quantlab::Topology>> ImageNetProblem::topologies() const {
  return {std::make_shared<ImageNetTopology>("ResNet", factory<ResNet, ResNetOptions>()),
          std::make_shared<ImageNetTopology>("MobileNetV1", factory<MobileNetV1, MobileNetV1Options>()),
          std::make_shared<ImageNetTopology>("MobileNetV2", factory<MobileNetV2, MobileNetV2Options>()),
          std::make_shared<ImageNetTopology>("VGG", factory<Vgg, VggOptions>())};
}

}  // namespace imagenet

QUANTLAB_PLUGIN(imagenet::ImageNetProblem, "imagenet", "1.0.0")
