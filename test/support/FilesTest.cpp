#include "support/Files.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "support/TempDir.h"

namespace fs = std::filesystem;
using quantlab::test::read_bytes;
using quantlab::test::TempDir;
using quantlab::test::write_bytes;

TEST_CASE("read_bytes and write_bytes keep every byte and refuse what they cannot do", "[support]") {
  TempDir dir;
  const std::string binary("a\0b\r\n\xff", 6);
  write_bytes(dir / "data.bin", binary);
  CHECK(fs::file_size(dir / "data.bin") == binary.size());
  CHECK(read_bytes(dir / "data.bin") == binary);
  write_bytes(dir / "data.bin", "");
  CHECK(read_bytes(dir / "data.bin").empty());
  CHECK_THROWS_AS(read_bytes(dir / "missing"), std::runtime_error);
  CHECK_THROWS_AS(write_bytes(dir / "missing" / "file", "x"), std::runtime_error);
}
