#include "support/TempDir.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

TEST_CASE("a TempDir is a fresh folder of its own, removed without following links", "[support]") {
  quantlab::test::TempDir outside;
  std::ofstream(outside / "precious.bin") << "keep me";

  fs::path removed;
  {
    quantlab::test::TempDir dir;
    quantlab::test::TempDir other;
    removed = dir.path();
    CHECK(fs::is_directory(dir.path()));
    CHECK(fs::is_empty(dir.path()));
    CHECK(dir.path() != other.path());
    CHECK(dir / "a" == dir.path() / "a");
    fs::create_directories(dir / "sub");
    std::ofstream(dir / "sub" / "file") << "x";
    fs::create_directory_symlink(outside.path(), dir / "link");
  }
  CHECK_FALSE(fs::exists(removed));
  CHECK(fs::file_size(outside / "precious.bin") == 7);
}
