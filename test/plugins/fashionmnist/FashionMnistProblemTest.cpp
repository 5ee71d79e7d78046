#include <numeric>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "problem_sdk/data/IdxTestFiles.h"
#include "plugins/fashionmnist/FashionMnistPlugin.h"
#include "quantlab/Errors.h"
#include "support/Files.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using quantlab::Partition;
using namespace quantlab::data::test;
using quantlab::test::read_bytes;
using quantlab::test::TempDir;
using quantlab::test::write_bytes;

namespace {

const std::filesystem::path kDebianData = "/usr/share/datasets/fashion-mnist";

quantlab::Batch everything(const quantlab::Dataset& dataset) {
  std::vector<std::int64_t> indices(static_cast<size_t>(dataset.size()));
  std::iota(indices.begin(), indices.end(), 0);
  return dataset.get(indices);
}

std::string data_error(Partition partition, const std::filesystem::path& data_dir) {
  try {
    fashionmnist::test::problem().dataset(partition, data_dir);
  } catch (const quantlab::DataError& error) {
    return error.what();
  }
  FAIL("expected a DataError for " << data_dir);
  return {};
}

// A small train set in dir: n images of side x side pixels and the given labels.
void write_train_set(const std::filesystem::path& dir, std::uint32_t n, std::uint32_t side,
                     const std::vector<std::uint8_t>& labels) {
  write_bytes(dir / "train-images-idx3-ubyte",
              idx_bytes(0x00000803, {n, side, side}, scrambled_bytes(n * side * side)));
  write_gzip(dir / "train-labels-idx1-ubyte.gz",
             idx_bytes(0x00000801, {static_cast<std::uint32_t>(labels.size())}, labels));
}

}  // namespace

TEST_CASE("the Debian Fashion-MNIST loads: 60000 train and 10000 test samples, 10 balanced classes",
          "[fashionmnist]") {
  TempDir empty;  // a data folder without the files falls back to the Debian package
  for (const auto& [partition, size] : {std::pair{Partition::train, 60000}, std::pair{Partition::test, 10000}}) {
    const auto dataset = fashionmnist::test::problem().dataset(partition, empty.path());
    REQUIRE(dataset->size() == size);
    CHECK_THAT(dataset->describe(), Catch::StartsWith(std::to_string(size) + " samples from " + kDebianData.string()));
    const quantlab::Batch all = everything(*dataset);
    CHECK(all.input.scalar_type() == torch::kFloat32);
    CHECK(all.input.sizes() == torch::IntArrayRef({size, 1, 28, 28}));
    CHECK(all.input.min().item<float>() == 0.0f);
    CHECK(all.input.max().item<float>() == 1.0f);
    CHECK(all.target.scalar_type() == torch::kLong);
    CHECK(all.target.min().item<std::int64_t>() == 0);
    CHECK(all.target.max().item<std::int64_t>() == 9);
    // Fashion-MNIST has exactly a tenth of each set in every class.
    CHECK(torch::equal(torch::bincount(all.target), torch::full({10}, size / 10, torch::kLong)));
    // Its pixel mean, which the pre-processing normalises with.
    CHECK(all.input.mean().item<double>() == Approx(0.286).margin(0.002));
  }
}

TEST_CASE("a data folder holding the files is used instead of the default", "[fashionmnist]") {
  TempDir dir;
  write_train_set(dir.path(), 3, 28, {4, 0, 9});
  const auto dataset = fashionmnist::test::problem().dataset(Partition::train, dir.path());
  CHECK(dataset->size() == 3);
  CHECK(dataset->describe() == "3 samples from " + (dir.path() / "train-images-idx3-ubyte").string());
  const quantlab::Batch batch = dataset->get({2, 0});
  CHECK(torch::equal(batch.target, torch::tensor({9, 4}, torch::kLong)));
  const std::vector<std::uint8_t> pixels = scrambled_bytes(3 * 28 * 28);
  CHECK(batch.input[1][0][0][5].item<float>() == Approx(pixels[5] / 255.0));
  CHECK(batch.input[0][0][1][0].item<float>() == Approx(pixels[2 * 784 + 28] / 255.0));
}

TEST_CASE("a truncated labels file in the data folder is a DataError naming it", "[fashionmnist]") {
  TempDir dir;
  std::filesystem::copy_file(kDebianData / "t10k-images-idx3-ubyte.gz", dir.path() / "t10k-images-idx3-ubyte.gz");
  const std::string labels = read_bytes(kDebianData / "t10k-labels-idx1-ubyte.gz");
  write_bytes(dir.path() / "t10k-labels-idx1-ubyte.gz", labels.substr(0, labels.size() / 2));
  const std::string message = data_error(Partition::test, dir.path());
  CHECK_THAT(message, Catch::Contains((dir.path() / "t10k-labels-idx1-ubyte.gz").string()));
  CHECK_THAT(message, Catch::Contains("truncated"));
  CHECK(message.find('\n') == std::string::npos);
}

TEST_CASE("damaged or mismatched data sets are DataErrors naming the file", "[fashionmnist]") {
  TempDir dir;
  const auto images = (dir.path() / "train-images-idx3-ubyte").string();
  const auto labels = (dir.path() / "train-labels-idx1-ubyte.gz").string();
  SECTION("labels outside 0..9") {
    write_train_set(dir.path(), 3, 28, {4, 10, 9});
    CHECK_THAT(data_error(Partition::train, dir.path()), Catch::Contains(labels) && Catch::Contains("0 to 9"));
  }
  SECTION("fewer labels than images") {
    write_train_set(dir.path(), 3, 28, {4, 1});
    CHECK_THAT(data_error(Partition::train, dir.path()), Catch::Contains(labels) && Catch::Contains("3 labels"));
  }
  SECTION("images of another size") {
    write_train_set(dir.path(), 2, 32, {4, 1});
    CHECK_THAT(data_error(Partition::train, dir.path()), Catch::Contains(images) && Catch::Contains("28x28"));
  }
  SECTION("images without labels") {
    write_train_set(dir.path(), 2, 28, {4, 1});
    std::filesystem::remove(labels);
    CHECK_THAT(data_error(Partition::train, dir.path()),
               Catch::Contains((dir.path() / "train-labels-idx1-ubyte").string()) && Catch::Contains(images));
  }
  SECTION("labels swapped with images") {
    write_train_set(dir.path(), 2, 28, {4, 1});
    std::filesystem::rename(images, dir.path() / "tmp");
    std::filesystem::rename(labels, dir.path() / "train-images-idx3-ubyte.gz");
    std::filesystem::rename(dir.path() / "tmp", dir.path() / "train-labels-idx1-ubyte");
    CHECK_THAT(data_error(Partition::train, dir.path()),
               Catch::Contains((dir.path() / "train-images-idx3-ubyte.gz").string()) && Catch::Contains("0x00000803"));
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
