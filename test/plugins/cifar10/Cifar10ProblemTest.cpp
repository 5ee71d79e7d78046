#include <array>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "plugins/cifar10/Cifar10Plugin.h"
#include "quantlab/Errors.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using cifar10::test::problem;
using quantlab::Partition;
namespace fs = std::filesystem;

TEST_CASE("the plugin describes itself as cifar10 with ResNet and VGG", "[cifar10]") {
  const auto& plugin = cifar10::test::plugin();
  CHECK(plugin.name == "cifar10");
  std::vector<std::string> names;
  for (const auto& topology : plugin.problem->topologies()) names.push_back(topology->name());
  CHECK(names == std::vector<std::string>{"ResNet", "VGG"});
  const auto meter = problem().meter();
  CHECK(meter->main_metric() == "top1_error");
  CHECK_FALSE(meter->higher_is_better());
}

TEST_CASE("binary batches are read as R, G, B planes into N x 3 x 32 x 32 with their labels", "[cifar10]") {
  quantlab::test::TempDir data;
  cifar10::test::write_cifar_data(data.path(), 3, 4);

  const auto train = problem().dataset(Partition::train, data.path());
  REQUIRE(train->size() == 15);
  const auto all = train->get({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14});
  REQUIRE(all.input.sizes() == torch::IntArrayRef({15, 3, 32, 32}));
  CHECK(all.input.scalar_type() == torch::kUInt8);
  CHECK(all.target.scalar_type() == torch::kLong);
  // Files in order 1..5, records in file order: labels 0..9, 0..4.
  CHECK(torch::equal(all.target, torch::arange(15) % 10));
  // Spot checks, and every pixel of one record of the third file.
  for (const auto& [record, c, y, x] : std::vector<std::array<int, 4>>{{0, 0, 0, 0}, {0, 1, 0, 0}, {0, 2, 31, 31},
                                                                       {7, 0, 5, 9}, {14, 2, 30, 1}})
    CHECK(all.input[record][c][y][x].item<int>() == cifar10::test::pixel(record, c, y, x));
  torch::Tensor expected = torch::empty({3, 32, 32}, torch::kUInt8);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) expected[c][y][x] = cifar10::test::pixel(7, c, y, x);
  CHECK(torch::equal(all.input[7], expected));
  CHECK_THAT(train->describe(), Catch::Contains("15 samples") && Catch::Contains("airplane, automobile, bird") &&
                                    Catch::Contains("truck") && Catch::Contains(data.path().string()));

  const auto test = problem().dataset(Partition::test, data.path());
  REQUIRE(test->size() == 4);
  const auto batch = test->get({3, 1});
  CHECK(torch::equal(batch.target, torch::tensor({9, 3}, torch::kLong)));
  CHECK(batch.input[0][1][2][3].item<int>() == cifar10::test::pixel(1003, 1, 2, 3));
}

TEST_CASE("the unpacked archive's cifar-10-batches-bin folder is accepted", "[cifar10]") {
  quantlab::test::TempDir data;
  cifar10::test::write_cifar_data(data / "cifar-10-batches-bin", 2, 2);
  CHECK(problem().dataset(Partition::train, data.path())->size() == 10);
  const auto test = problem().dataset(Partition::test, data.path());
  CHECK(test->size() == 2);
  CHECK_THAT(test->describe(), Catch::Contains("cifar-10-batches-bin/test_batch.bin"));
}

TEST_CASE("missing, wrong-size and mislabelled CIFAR-10 files are named", "[cifar10]") {
  quantlab::test::TempDir data;
  CHECK_THROWS_MATCHES(problem().dataset(Partition::train, data.path()), quantlab::DataError,
                       Catch::Matchers::Message(
                           "CIFAR-10 training set: expected data_batch_1.bin .. data_batch_5.bin in " +
                           data.path().string() + " or " + (data / "cifar-10-batches-bin").string() +
                           " (the binary version of CIFAR-10), found none"));
  cifar10::test::write_cifar_data(data.path(), 2, 2);

  fs::remove(data / "data_batch_4.bin");
  CHECK_THROWS_MATCHES(problem().dataset(Partition::train, data.path()), quantlab::DataError,
                       Catch::Matchers::Message((data / "data_batch_4.bin").string() +
                                                ": no such file; expected a CIFAR-10 binary batch of 3073-byte "
                                                "records (1 label byte + 3072 pixel bytes)"));
  cifar10::test::write_cifar_data(data.path(), 2, 2);

  // One byte short of two records.
  const std::string whole = quantlab::test::read_bytes(data / "test_batch.bin");
  quantlab::test::write_bytes(data / "test_batch.bin", whole.substr(0, whole.size() - 1));
  CHECK_THROWS_MATCHES(problem().dataset(Partition::test, data.path()), quantlab::DataError,
                       Catch::Matchers::Message((data / "test_batch.bin").string() +
                                                ": expected a CIFAR-10 binary batch of 3073-byte records (1 label "
                                                "byte + 3072 pixel bytes), got 6145 bytes, which is not a positive "
                                                "multiple of 3073"));
  quantlab::test::write_bytes(data / "test_batch.bin", "");
  CHECK_THROWS_WITH(problem().dataset(Partition::test, data.path()),
                    Catch::Contains("test_batch.bin: expected") && Catch::Contains("got 0 bytes"));

  // A label of 10 in the second record of data_batch_2.bin.
  std::string bytes = quantlab::test::read_bytes(data / "data_batch_2.bin");
  bytes[3073] = 10;
  quantlab::test::write_bytes(data / "data_batch_2.bin", bytes);
  CHECK_THROWS_MATCHES(problem().dataset(Partition::train, data.path()), quantlab::DataError,
                       Catch::Matchers::Message((data / "data_batch_2.bin").string() +
                                                ": record 1 (byte offset 3073) has label 10, expected 0 to 9"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
