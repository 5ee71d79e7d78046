// The ImageNet problem's data sets on tiny generated ImageFolder trees: the
// splits it reads, the class mapping through the data pipeline, and every
// kind of bad input named in one message.
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "manager/data/Batcher.h"
#include "plugins/imagenet/ImageNetPlugin.h"
#include "quantlab/Dataset.h"
#include "quantlab/Errors.h"
#include "support/Files.h"
#include "support/ImageFiles.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace fs = std::filesystem;
using imagenet::test::problem;
using imagenet::test::topology;
using quantlab::Partition;

namespace {

quantlab::test::ImageFolderSpec tiny(int classes, int images) {
  quantlab::test::ImageFolderSpec spec;
  spec.classes = classes;
  spec.images_per_class = images;
  spec.width = 64;
  spec.height = 48;
  return spec;
}

}  // namespace

TEST_CASE("the imagenet problem reads train/ for training and val/ for testing", "[imagenet][data]") {
  quantlab::test::TempDir data;
  const auto classes = quantlab::test::write_image_folder(data / "train", tiny(3, 4));
  quantlab::test::write_image_folder(data / "val", tiny(3, 2));
  REQUIRE(classes == std::vector<std::string>{"class_00", "class_01", "class_02"});

  const auto train = problem().dataset(Partition::train, data.path());
  const auto test = problem().dataset(Partition::test, data.path());
  CHECK(train->size() == 12);
  CHECK(test->size() == 6);
  CHECK_THAT(train->describe(), Catch::Contains((data / "train").string()) &&
                                    Catch::Contains("classes 0 class_00, 1 class_01, 2 class_02"));
  CHECK_THAT(test->describe(), Catch::Contains((data / "val").string()));

  // A sample is the file as stored, its class index and its path.
  const auto* samples = dynamic_cast<const quantlab::SampleDataset*>(test.get());
  REQUIRE(samples != nullptr);
  const quantlab::Sample last = samples->sample(5);
  CHECK(last.target.item<std::int64_t>() == 2);
  CHECK(fs::path(last.source).parent_path() == data / "val" / "class_02");
  const std::string bytes = quantlab::test::read_bytes(last.source);
  REQUIRE(last.input.numel() == static_cast<std::int64_t>(bytes.size()));
  CHECK(std::memcmp(last.input.data_ptr(), bytes.data(), bytes.size()) == 0);
}

TEST_CASE("batches carry each image's class: sorted folder names, colours that survive the crops",
          "[imagenet][data]") {
  quantlab::test::TempDir data;
  // Folder names that sort differently from the order they were written in:
  // class_00's pictures become the last class, class_03's the first.
  quantlab::test::write_image_folder(data / "train", tiny(4, 2));
  fs::rename(data / "train" / "class_00", data / "train" / "zebra");
  fs::rename(data / "train" / "class_03", data / "train" / "aardvark");
  const int colour_of_class[4] = {3, 1, 2, 0};
  const auto train = problem().dataset(Partition::train, data.path());
  const auto topo = topology("ResNet");
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float std[3] = {0.229f, 0.224f, 0.225f};
  for (const bool augment : {false, true}) {
    INFO("augment " << augment);
    const quantlab::Batch batch = quantlab::data::read_batch(*train, *topo, {0, 1, 2, 3, 4, 5, 6, 7}, augment, 9);
    CHECK_THAT(train->describe(), Catch::Contains("classes 0 aardvark, 1 class_01, 2 class_02, 3 zebra"));
    REQUIRE(batch.input.sizes() == torch::IntArrayRef({8, 3, 224, 224}));
    CHECK(torch::equal(batch.target, torch::tensor({0, 0, 1, 1, 2, 2, 3, 3}, torch::kLong)));
    // Each image's mean colour is its class's colour.
    for (int i = 0; i < 8; ++i) {
      const auto colour = quantlab::test::class_colour(colour_of_class[i / 2]);
      for (int c = 0; c < 3; ++c) {
        const float pixel = batch.input[i][c].mean().item<float>() * std[c] + mean[c];
        CHECK(pixel * 255.f == Approx(static_cast<float>(colour[c])).margin(3.0));
      }
    }
  }
}

TEST_CASE("a missing split, an empty class folder or different classes in val are named", "[imagenet][data]") {
  quantlab::test::TempDir data;
  quantlab::test::write_image_folder(data / "train", tiny(3, 2));
  // No val/ at all.
  CHECK_THROWS_WITH(problem().dataset(Partition::test, data.path()),
                    Catch::Contains((data / "val").string()) && Catch::Contains("does not exist"));
  CHECK_THROWS_AS(problem().dataset(Partition::train, data / "elsewhere"), quantlab::DataError);

  // val with a class folder that holds nothing.
  quantlab::test::write_image_folder(data / "val", tiny(3, 2));
  fs::create_directories(data / "val" / "class_03");
  CHECK_THROWS_WITH(problem().dataset(Partition::test, data.path()),
                    Catch::Contains((data / "val" / "class_03").string()) && Catch::Contains("no images"));

  // val with a class train does not have: every label after it would shift.
  fs::remove_all(data / "val" / "class_03");
  fs::rename(data / "val" / "class_01", data / "val" / "class_09");
  CHECK_THROWS_WITH(problem().dataset(Partition::test, data.path()),
                    Catch::Contains((data / "val").string()) && Catch::Contains("class_09 is in val but not in train"));
  fs::rename(data / "val" / "class_09", data / "val" / "class_01");
  CHECK(problem().dataset(Partition::test, data.path())->size() == 6);
}

TEST_CASE("a corrupt or truncated JPEG stops the batch with a message naming the file", "[imagenet][data]") {
  quantlab::test::TempDir data;
  quantlab::test::write_image_folder(data / "train", tiny(2, 2));
  const fs::path corrupt = data / "train" / "class_01" / "img_001.JPEG";
  quantlab::test::write_corrupt_jpeg(corrupt, quantlab::test::solid_image(64, 48, 10, 20, 30));
  const auto train = problem().dataset(Partition::train, data.path());
  const auto topo = topology("MobileNetV2");
  for (const bool augment : {false, true}) {
    CHECK_THROWS_WITH(quantlab::data::read_batch(*train, *topo, {0, 1, 2, 3}, augment, 1),
                      Catch::Contains(corrupt.string()));
    // The good ones read.
    CHECK(quantlab::data::read_batch(*train, *topo, {0, 1, 2}, augment, 1).input.size(0) == 3);
  }
  // Empty files are no images either.
  quantlab::test::write_bytes(corrupt, "");
  CHECK_THROWS_WITH(quantlab::data::read_batch(*train, *topo, {3}, false, 1), Catch::Contains(corrupt.string()));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
