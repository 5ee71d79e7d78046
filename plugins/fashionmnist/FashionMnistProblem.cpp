#include "FashionMnistProblem.h"

#include <optional>
#include <string>
#include <system_error>

#include <torch/torch.h>

#include "FashionMnistTopology.h"
#include "BinaryCnn.h"
#include "Mlp.h"
#include "SimpleCnn.h"
#include "quantlab/TopKErrorMeter.h"
#include "quantlab/data/Idx.h"
#include "quantlab/Errors.h"
#include "quantlab/Plugin.h"

namespace fashionmnist {
namespace {

// stem or stem.gz in folder; the plain file wins when both are there.
std::optional<std::filesystem::path> find_idx(const std::filesystem::path& folder,
                                              const std::string& stem) {
  if (folder.empty()) return std::nullopt;
  for (const auto& name : {stem, stem + ".gz"}) {
    std::error_code error;
    if (std::filesystem::is_regular_file(folder / name, error)) return folder / name;
  }
  return std::nullopt;
}

struct IdxPair {
  std::filesystem::path images;
  std::filesystem::path labels;
};

// Images and labels always come from one folder: mixing a user's images with
// the default labels would silently pair the wrong files.
IdxPair locate(const std::string& prefix, const std::filesystem::path& data_dir) {
  const std::string images_stem = prefix + "-images-idx3-ubyte";
  const std::string labels_stem = prefix + "-labels-idx1-ubyte";
  for (const auto& folder : {data_dir, kDefaultDataDir}) {
    const auto images = find_idx(folder, images_stem);
    const auto labels = find_idx(folder, labels_stem);
    if (images && labels) return {*images, *labels};
    if (images || labels) {
      const std::string missing = images ? labels_stem : images_stem;
      throw quantlab::DataError((folder / missing).string() + "[.gz]: expected it beside " +
                                (images ? *images : *labels).string() + ", found none");
    }
  }
  throw quantlab::DataError("Fashion-MNIST " + prefix + " set: expected " + images_stem + "[.gz] and " +
                            labels_stem + "[.gz] in " +
                            (data_dir.empty() ? std::string() : data_dir.string() + " or ") +
                            kDefaultDataDir.string() + ", found neither");
}

}  // namespace

std::shared_ptr<quantlab::Dataset> FashionMnistProblem::dataset(
    quantlab::Partition partition, const std::filesystem::path& data_dir) const {
  const IdxPair files = locate(partition == quantlab::Partition::train ? "train" : "t10k", data_dir);
  const torch::Tensor images = quantlab::data::read_idx(files.images, 3);
  const torch::Tensor labels = quantlab::data::read_idx(files.labels, 1);
  if (images.size(1) != kImageSide || images.size(2) != kImageSide)
    throw quantlab::DataError(files.images.string() + ": expected 28x28 images, got " +
                              std::to_string(images.size(1)) + "x" + std::to_string(images.size(2)));
  if (images.size(0) != labels.size(0))
    throw quantlab::DataError(files.labels.string() + ": expected " + std::to_string(images.size(0)) +
                              " labels, one per image in " + files.images.string() + ", got " +
                              std::to_string(labels.size(0)));
  if (labels.numel() > 0 && labels.max().item<std::int64_t>() >= kClasses)
    throw quantlab::DataError(files.labels.string() + ": expected labels 0 to 9, found " +
                              std::to_string(labels.max().item<std::int64_t>()));
  torch::Tensor inputs = images.unsqueeze(1).to(torch::kFloat32).div_(255.0);
  return std::make_shared<quantlab::TensorDataset>(
      std::move(inputs), labels.to(torch::kLong),
      std::to_string(images.size(0)) + " samples from " + files.images.string());
}

std::unique_ptr<quantlab::Meter> FashionMnistProblem::meter() const {
  return std::make_unique<quantlab::TopKErrorMeter>();
}

std::vector<std::shared_ptr<quantlab::Topology>> FashionMnistProblem::topologies() const {
  return {std::make_shared<FashionMnistTopology>(
              "SimpleCNN",
              [](const quantlab::Params& params) -> std::shared_ptr<quantlab::Network> {
                return std::make_shared<SimpleCnn>(SimpleCnnOptions::from(params));
              }),
          std::make_shared<FashionMnistTopology>(
              "MLP", [](const quantlab::Params& params) -> std::shared_ptr<quantlab::Network> {
                return std::make_shared<Mlp>(MlpOptions::from(params));
              }),
          std::make_shared<FashionMnistTopology>(
              "BinaryCNN", [](const quantlab::Params& params) -> std::shared_ptr<quantlab::Network> {
                return std::make_shared<BinaryCnn>(BinaryCnnOptions::from(params));
              })};
}

}  // namespace fashionmnist

QUANTLAB_PLUGIN(fashionmnist::FashionMnistProblem, "fashionmnist", "1.0.0")
