#include "quantlab/data/Idx.h"

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "problem_sdk/data/IdxTestFiles.h"
#include "quantlab/Errors.h"
#include "support/Files.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using quantlab::DataError;
using quantlab::data::read_idx;
using namespace quantlab::data::test;
using quantlab::test::read_bytes;
using quantlab::test::TempDir;
using quantlab::test::write_bytes;

namespace {

// The DataError message of read_idx(file, dimensions); fails the test when none is thrown.
std::string data_error(const std::filesystem::path& file, int dimensions) {
  try {
    read_idx(file, dimensions);
  } catch (const DataError& error) {
    return error.what();
  }
  FAIL("expected a DataError for " << file);
  return {};
}

void check_one_line_naming(const std::string& message, const std::filesystem::path& file) {
  CHECK(message.find(file.string()) != std::string::npos);
  CHECK(message.find('\n') == std::string::npos);
}

}  // namespace

TEST_CASE("read_idx reads a plain 3-D uint8 file in row-major order", "[idx]") {
  TempDir dir;
  const auto file = dir.path() / "images-idx3-ubyte";
  const std::vector<std::uint8_t> values = scrambled_bytes(2 * 3 * 4);
  write_bytes(file, idx_bytes(0x00000803, {2, 3, 4}, values));

  const torch::Tensor images = read_idx(file, 3);
  REQUIRE(images.scalar_type() == torch::kUInt8);
  REQUIRE(images.sizes() == torch::IntArrayRef({2, 3, 4}));
  // Row-major: element [n][r][c] is value n*12 + r*4 + c.
  CHECK(images[1][2][3].item<int>() == values[1 * 12 + 2 * 4 + 3]);
  CHECK(images[0][1][0].item<int>() == values[4]);
  const torch::Tensor flat = images.flatten();
  for (size_t i = 0; i < values.size(); ++i) CHECK(flat[i].item<int>() == values[i]);
}

TEST_CASE("read_idx reads a gzip-compressed 1-D file", "[idx]") {
  TempDir dir;
  const auto file = dir.path() / "labels-idx1-ubyte.gz";
  const std::vector<std::uint8_t> values = scrambled_bytes(5000);
  write_gzip(file, idx_bytes(0x00000801, {5000}, values));
  REQUIRE(read_bytes(file).size() > 2);
  CHECK(static_cast<unsigned char>(read_bytes(file)[0]) == 0x1F);  // really gzip

  const torch::Tensor labels = read_idx(file, 1);
  REQUIRE(labels.sizes() == torch::IntArrayRef({5000}));
  const auto* data = labels.data_ptr<std::uint8_t>();
  CHECK(std::vector<std::uint8_t>(data, data + 5000) == values);
}

TEST_CASE("read_idx accepts a file with a zero-sized dimension", "[idx]") {
  TempDir dir;
  const auto file = dir.path() / "empty-idx3-ubyte";
  write_bytes(file, idx_bytes(0x00000803, {0, 28, 28}, {}));
  CHECK(read_idx(file, 3).sizes() == torch::IntArrayRef({0, 28, 28}));
}

TEST_CASE("read_idx refuses dimension sizes no tensor can have, even with no data", "[idx]") {
  // A zero count with huge images holds no data, but the shape's strides
  // would overflow (found by the idx fuzz target).
  TempDir dir;
  const auto file = dir.path() / "huge-idx3-ubyte";
  write_bytes(file, idx_bytes(0x00000803, {0, 0xFCFFFCFB, 0xFFFFFFFA}, {}));
  const std::string message = data_error(file, 3);
  check_one_line_naming(message, file);
  CHECK_THAT(message, Catch::Contains("0 x 4244634875 x 4294967290"));
}

TEST_CASE("read_idx refuses a missing file, naming it", "[idx]") {
  TempDir dir;
  const auto file = dir.path() / "no-such-idx1-ubyte";
  const std::string message = data_error(file, 1);
  check_one_line_naming(message, file);
  CHECK_THAT(message, Catch::Contains("found none"));
}

TEST_CASE("read_idx refuses a wrong magic number, naming both", "[idx]") {
  TempDir dir;
  const auto file = dir.path() / "images-idx3-ubyte";
  write_bytes(file, idx_bytes(0x00000803, {1, 2, 2}, {1, 2, 3, 4}));
  const std::string message = data_error(file, 1);  // a labels reader given an images file
  check_one_line_naming(message, file);
  CHECK_THAT(message, Catch::Contains("0x00000801") && Catch::Contains("got 0x00000803"));

  const auto text = dir.path() / "not-idx.gz";
  write_gzip(text, "hello, world");
  CHECK_THAT(data_error(text, 3), Catch::Contains("0x00000803") && Catch::Contains(text.string()));
}

TEST_CASE("read_idx refuses data shorter than the header promises", "[idx]") {
  TempDir dir;
  const std::vector<std::uint8_t> values = scrambled_bytes(4000);
  std::string bytes = idx_bytes(0x00000803, {10, 20, 20}, values);
  SECTION("plain, cut inside the data") {
    const auto file = dir.path() / "images-idx3-ubyte";
    write_bytes(file, bytes.substr(0, bytes.size() - 1));
    const std::string message = data_error(file, 3);
    check_one_line_naming(message, file);
    CHECK_THAT(message, Catch::Contains("truncated"));
  }
  SECTION("plain, cut inside the header") {
    const auto file = dir.path() / "images-idx3-ubyte";
    write_bytes(file, bytes.substr(0, 9));
    const std::string message = data_error(file, 3);
    check_one_line_naming(message, file);
    CHECK_THAT(message, Catch::Contains("truncated"));
  }
  SECTION("gzip of a complete stream holding too few bytes") {
    const auto file = dir.path() / "images-idx3-ubyte.gz";
    write_gzip(file, bytes.substr(0, bytes.size() - 100));
    const std::string message = data_error(file, 3);
    check_one_line_naming(message, file);
    CHECK_THAT(message, Catch::Contains("truncated"));
  }
  SECTION("gzip file cut short") {
    const auto file = dir.path() / "images-idx3-ubyte.gz";
    write_gzip(file, bytes);
    const std::string compressed = read_bytes(file);
    write_bytes(file, compressed.substr(0, compressed.size() / 2));
    const std::string message = data_error(file, 3);
    check_one_line_naming(message, file);
    CHECK_THAT(message, Catch::Contains("truncated"));
  }
  SECTION("a header promising far more than the file can hold") {
    const auto file = dir.path() / "images-idx3-ubyte";
    write_bytes(file, idx_bytes(0x00000803, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, values));
    CHECK_THAT(data_error(file, 3), Catch::Contains("truncated") && Catch::Contains(file.string()));
  }
}

TEST_CASE("read_idx refuses a corrupt gzip stream", "[idx]") {
  TempDir dir;
  const auto file = dir.path() / "labels-idx1-ubyte.gz";
  write_gzip(file, idx_bytes(0x00000801, {20000}, scrambled_bytes(20000)));
  std::string compressed = read_bytes(file);
  REQUIRE(compressed.size() > 1000);
  for (size_t i = compressed.size() / 2; i < compressed.size() / 2 + 16; ++i) compressed[i] ^= 0x5A;
  write_bytes(file, compressed);
  const std::string message = data_error(file, 1);
  check_one_line_naming(message, file);
}

TEST_CASE("read_idx refuses a gzip file whose checksum does not match", "[idx]") {
  TempDir dir;
  const auto file = dir.path() / "labels-idx1-ubyte.gz";
  write_gzip(file, idx_bytes(0x00000801, {100}, scrambled_bytes(100)));
  std::string compressed = read_bytes(file);
  compressed[compressed.size() - 8] ^= 0x01;  // the CRC-32 in the gzip trailer
  write_bytes(file, compressed);
  const std::string message = data_error(file, 1);
  check_one_line_naming(message, file);
  CHECK_THAT(message, Catch::Contains("corrupt"));
}

TEST_CASE("read_idx refuses trailing bytes after the data", "[idx]") {
  TempDir dir;
  const auto file = dir.path() / "labels-idx1-ubyte";
  write_bytes(file, idx_bytes(0x00000801, {3}, {1, 2, 3}) + "extra");
  const std::string message = data_error(file, 1);
  check_one_line_naming(message, file);
  CHECK_THAT(message, Catch::Contains("found more"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
