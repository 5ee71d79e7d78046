#pragma once
#include <filesystem>
#include <string>

#include "quantlab/data/ImageFolder.h"

namespace imagenet {

// One split of the data set (train or val) as an ImageFolder whose
// description also shows the class mapping, so the log says which folder
// became which class index: all of them up to 10 classes, else the first
// three and the last, e.g. "classes 0 n01440764, 1 n01443537, 2 n01484850,
// ..., 999 n15075141".
class ImageNetSplit : public quantlab::data::ImageFolder {
 public:
  explicit ImageNetSplit(std::filesystem::path split) : ImageFolder(std::move(split)) {}
  std::string describe() const override;
};

}  // namespace imagenet
