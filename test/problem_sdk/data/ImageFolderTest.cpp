#include <cstring>
#include <filesystem>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlab/data/ImageFolder.h"
#include "quantlab/Errors.h"
#include "support/ErrorMessage.h"
#include "support/Files.h"
#include "support/ImageFiles.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace fs = std::filesystem;
using quantlab::DataError;
using quantlab::data::ImageFolder;
using quantlab::test::error_message_of;
using quantlab::test::TempDir;
using Catch::Matchers::Contains;

namespace {

std::string folder_error(const fs::path& split) {
  return error_message_of<DataError>([&] { ImageFolder folder(split); });
}

}  // namespace

TEST_CASE("ImageFolder numbers classes by sorted folder name and images by sorted file name", "[imagefolder]") {
  TempDir dir;
  const auto split = dir / "train";
  const auto image = quantlab::test::solid_image(8, 6, 10, 20, 30);
  // Created out of order, with names that sort differently by case.
  for (const char* name : {"zebra", "apple", "Mango"}) fs::create_directories(split / name);
  quantlab::test::write_jpeg(split / "zebra" / "b.JPEG", image);
  quantlab::test::write_jpeg(split / "zebra" / "a.jpg", image);
  quantlab::test::write_png(split / "zebra" / "c.Png", image);
  quantlab::test::write_jpeg(split / "apple" / "x.jpeg", image);
  quantlab::test::write_jpeg(split / "Mango" / "m2.JPEG", image);
  quantlab::test::write_jpeg(split / "Mango" / "m1.JPEG", image);
  // Not images: ignored.
  quantlab::test::write_bytes(split / "zebra" / "notes.txt", "hello");
  fs::create_directories(split / "apple" / "nested.jpg");
  quantlab::test::write_bytes(split / "README", "not a class");

  const ImageFolder folder(split);
  CHECK(folder.classes() == std::vector<std::string>{"Mango", "apple", "zebra"});
  REQUIRE(folder.size() == 6);
  const std::vector<std::pair<std::string, std::int64_t>> expected = {
      {"Mango/m1.JPEG", 0}, {"Mango/m2.JPEG", 0}, {"apple/x.jpeg", 1},
      {"zebra/a.jpg", 2},   {"zebra/b.JPEG", 2},  {"zebra/c.Png", 2}};
  for (std::int64_t i = 0; i < folder.size(); ++i) {
    INFO("image " << i);
    CHECK(folder.path(i) == split / expected[i].first);
    CHECK(folder.target(i) == expected[i].second);
  }
  CHECK(folder.class_counts() == std::vector<std::int64_t>{2, 1, 3});
  CHECK(folder.describe() == "6 images in 3 classes from " + split.string());
}

TEST_CASE("ImageFolder samples are the file bytes, the class index and the path", "[imagefolder]") {
  TempDir dir;
  quantlab::test::ImageFolderSpec spec;
  spec.classes = 3;
  spec.images_per_class = 2;
  const auto names = quantlab::test::write_image_folder(dir / "val", spec);
  const ImageFolder folder(dir / "val");
  CHECK(folder.classes() == names);
  for (std::int64_t i = 0; i < folder.size(); ++i) {
    const auto sample = folder.sample(i);
    const std::string bytes = quantlab::test::read_bytes(folder.path(i));
    REQUIRE(sample.input.scalar_type() == torch::kUInt8);
    REQUIRE(sample.input.dim() == 1);
    REQUIRE(sample.input.numel() == static_cast<std::int64_t>(bytes.size()));
    CHECK(std::memcmp(sample.input.data_ptr<std::uint8_t>(), bytes.data(), bytes.size()) == 0);
    CHECK(sample.target.scalar_type() == torch::kInt64);
    CHECK(sample.target.dim() == 0);
    CHECK(sample.target.item<std::int64_t>() == i / 2);
    CHECK(sample.source == folder.path(i).string());
  }
}

TEST_CASE("ImageFolder names the folder that is missing, empty or not a folder", "[imagefolder]") {
  TempDir dir;
  SECTION("missing split") {
    const auto message = folder_error(dir / "train");
    CHECK_THAT(message, Contains((dir / "train").string()) && Contains("does not exist"));
  }
  SECTION("split is a file") {
    quantlab::test::write_bytes(dir / "train", "x");
    CHECK_THAT(folder_error(dir / "train"), Contains((dir / "train").string()) && Contains("not a folder"));
  }
  SECTION("split without class folders") {
    fs::create_directories(dir / "train");
    quantlab::test::write_jpeg(dir / "train" / "stray.JPEG", quantlab::test::solid_image(4, 4, 1, 2, 3));
    CHECK_THAT(folder_error(dir / "train"), Contains((dir / "train").string()) && Contains("no class folders"));
  }
  SECTION("empty class folder") {
    quantlab::test::write_image_folder(dir / "train", {});
    fs::create_directories(dir / "train" / "class_01b");
    quantlab::test::write_bytes(dir / "train" / "class_01b" / "labels.txt", "no images here");
    CHECK_THAT(folder_error(dir / "train"),
               Contains((dir / "train" / "class_01b").string()) && Contains("holds no images"));
  }
}

TEST_CASE("ImageFolder names an image file it cannot read", "[imagefolder]") {
  TempDir dir;
  quantlab::test::write_image_folder(dir / "train", {});
  const ImageFolder folder(dir / "train");
  const fs::path gone = folder.path(5);
  fs::remove(gone);
  const auto message = error_message_of<DataError>([&] { folder.sample(5); });
  CHECK_THAT(message, Contains("cannot read image " + gone.string()) && Contains("No such file"));
  CHECK_NOTHROW(folder.sample(4));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
