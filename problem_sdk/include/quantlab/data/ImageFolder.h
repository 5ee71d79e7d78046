#pragma once
// torchvision's ImageFolder layout: <split>/<class>/<image>, classes numbered
// by their sorted folder names, images of a class in sorted name order.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "quantlab/Dataset.h"

namespace quantlab::data {

// One split folder (e.g. <data>/train) of an image data set. The folder is
// indexed once at construction (one directory listing per class, no per-file
// stat); sample() reads the file's encoded bytes, decoding is left to the
// topology's preprocess_sample. Files count as images by their extension
// (.jpeg, .jpg, .png, any case); other files and nested folders are ignored.
class ImageFolder : public SampleDataset {
 public:
  // Throws DataError naming the folder when the split is missing or not a
  // folder, holds no class folders, or a class folder holds no images.
  explicit ImageFolder(std::filesystem::path split);

  std::int64_t size() const override { return static_cast<std::int64_t>(offsets_.size()) - 1; }
  // input: the file's bytes (uint8 [n]); target: the class index (int64, 0-dim);
  // source: the file's path. Throws DataError naming the file when it cannot
  // be read.
  Sample sample(std::int64_t index) const override;
  // "1281167 images in 1000 classes from /data/imagenet/train"
  std::string describe() const override;

  const std::vector<std::string>& classes() const { return classes_; }
  const std::filesystem::path& root() const { return root_; }
  std::int64_t target(std::int64_t index) const;
  std::filesystem::path path(std::int64_t index) const;
  // Number of images of each class, in class order.
  std::vector<std::int64_t> class_counts() const;

 private:
  std::filesystem::path root_;
  std::vector<std::string> classes_;
  // Image i's file name is names_[offsets_[i], offsets_[i + 1]); class c owns
  // images [class_begin_[c], class_begin_[c + 1]). One buffer instead of a
  // string per file keeps 1.28 M names in ~30 MB.
  std::string names_;
  std::vector<std::uint64_t> offsets_;
  std::vector<std::int64_t> class_begin_;
};

}  // namespace quantlab::data
