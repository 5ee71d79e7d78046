#include "manager/tensorboard/Crc32c.h"

#include <catch2/catch.hpp>

#include <random>
#include <string>

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::tensorboard;

namespace {

// Bit by bit, straight from the definition, to check the table-driven code.
std::uint32_t bitwise_crc32c(const std::string& bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? 0x82F63B78u : 0u);
  }
  return ~crc;
}

}  // namespace

TEST_CASE("crc32c matches the published check values", "[tensorboard]") {
  CHECK(crc32c("123456789") == 0xE3069283u);
  CHECK(crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  // RFC 3720, appendix B.4.
  CHECK(crc32c(std::string(32, '\xff')) == 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  CHECK(crc32c(ascending) == 0x46DD794Eu);
  CHECK(crc32c(descending) == 0x113FDB5Cu);
  CHECK(crc32c("") == 0u);
}

TEST_CASE("masked crc32c matches the TensorBoard check value and unmasks", "[tensorboard]") {
  CHECK(masked_crc32c(std::string("\x1a\x11") + "CRC test, one two") == 0x5794D08Au);
  for (std::uint32_t crc : {0u, 1u, 0xE3069283u, 0xFFFFFFFFu, 0x80000000u}) {
    CHECK(unmask_crc(mask_crc(crc)) == crc);
  }
  CHECK(mask_crc(0u) == 0xa282ead8u);
}

TEST_CASE("crc32c agrees with a bitwise reference at every length and alignment", "[tensorboard]") {
  std::mt19937 random(7);
  std::string bytes(300, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random());
  for (std::size_t start = 0; start < 9; ++start) {
    for (std::size_t length = 0; start + length <= bytes.size(); length += 7) {
      const std::string slice = bytes.substr(start, length);
      REQUIRE(crc32c(slice) == bitwise_crc32c(slice));
    }
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
