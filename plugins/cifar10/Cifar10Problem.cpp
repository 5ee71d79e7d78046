#include "Cifar10Problem.h"

#include <string>
#include <system_error>

#include <torch/torch.h>

#include "Cifar10Topology.h"
#include "CifarBinary.h"
#include "ResNet.h"
#include "Vgg.h"
#include "quantlab/Errors.h"
#include "quantlab/Plugin.h"
#include "quantlab/TopKErrorMeter.h"

namespace cifar10 {
namespace {

std::vector<std::string> partition_files(quantlab::Partition partition) {
  if (partition == quantlab::Partition::test) return {"test_batch.bin"};
  std::vector<std::string> files;
  for (int i = 1; i <= 5; ++i) files.push_back("data_batch_" + std::to_string(i) + ".bin");
  return files;
}

std::string file_list(const std::vector<std::string>& files) {
  return files.size() == 1 ? files.front() : "data_batch_1.bin .. data_batch_5.bin";
}

// The folder holding the partition's files: data_dir when it holds any of
// them, else the unpacked archive's folder inside it. Files missing from the
// chosen folder are reported by the reader, by name.
std::filesystem::path locate(const std::vector<std::string>& files, const std::filesystem::path& data_dir,
                             const std::string& partition_name) {
  const std::filesystem::path candidates[] = {data_dir, data_dir / kArchiveFolder};
  for (const auto& folder : candidates)
    for (const auto& name : files) {
      std::error_code error;
      if (std::filesystem::exists(folder / name, error)) return folder;
    }
  throw quantlab::DataError("CIFAR-10 " + partition_name + " set: expected " + file_list(files) + " in " +
                            data_dir.string() + " or " + (data_dir / kArchiveFolder).string() +
                            " (the binary version of CIFAR-10), found none");
}

std::string class_names() {
  std::string names;
  for (const auto& name : kClassNames) names += (names.empty() ? "" : ", ") + name;
  return names;
}

}  // namespace

std::shared_ptr<quantlab::Dataset> Cifar10Problem::dataset(quantlab::Partition partition,
                                                           const std::filesystem::path& data_dir) const {
  const bool train = partition == quantlab::Partition::train;
  const auto files = partition_files(partition);
  const auto folder = locate(files, data_dir, train ? "training" : "test");
  std::vector<torch::Tensor> images, labels;
  for (const auto& name : files) {
    CifarImages read = read_cifar_binary(folder / name);
    images.push_back(std::move(read.images));
    labels.push_back(std::move(read.labels));
  }
  torch::Tensor inputs = images.size() == 1 ? images.front() : torch::cat(images);
  torch::Tensor targets = labels.size() == 1 ? labels.front() : torch::cat(labels);
  const std::string description = std::to_string(inputs.size(0)) + " samples of 10 classes (" + class_names() +
                                  ") from " + (folder / file_list(files)).string();
  return std::make_shared<quantlab::TensorDataset>(std::move(inputs), std::move(targets), description);
}

std::unique_ptr<quantlab::Meter> Cifar10Problem::meter() const {
  return std::make_unique<quantlab::TopKErrorMeter>();
}

std::vector<std::shared_ptr<quantlab::Topology>> Cifar10Problem::topologies() const {
  return {std::make_shared<Cifar10Topology>(
              "ResNet",
              [](const quantlab::Params& params) -> std::shared_ptr<quantlab::Network> {
                return std::make_shared<ResNet>(ResNetOptions::from(params));
              }),
          std::make_shared<Cifar10Topology>(
              "VGG", [](const quantlab::Params& params) -> std::shared_ptr<quantlab::Network> {
                return std::make_shared<Vgg>(VggOptions::from(params));
              })};
}

}  // namespace cifar10

QUANTLAB_PLUGIN(cifar10::Cifar10Problem, "cifar10", "1.0.0")
