#include "quantlab/AtomicFile.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "quantlab/Errors.h"
#include "support/Files.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using quantlab::test::read_bytes;
using quantlab::test::TempDir;

namespace {

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder))
    names.push_back(entry.path().filename().string());
  return names;
}

}  // namespace

TEST_CASE("Temporary names carry the pid and are recognised", "[logbook]") {
  const fs::path target = "/logs/exp0000/fold0/saves/best.ckpt";
  CHECK(quantlab::temp_file_for(target) ==
        fs::path("/logs/exp0000/fold0/saves/best.ckpt.tmp." + std::to_string(::getpid())));
  CHECK(quantlab::is_temp_file(quantlab::temp_file_for(target)));
  CHECK(quantlab::is_temp_file("epoch0003.ckpt.tmp.1234"));
  CHECK_FALSE(quantlab::is_temp_file("epoch0003.ckpt"));
  CHECK_FALSE(quantlab::is_temp_file("epoch0003.ckpt.tmp."));
  CHECK_FALSE(quantlab::is_temp_file("epoch0003.ckpt.tmp.12a"));
  CHECK_FALSE(quantlab::is_temp_file(".tmp.12"));
}

TEST_CASE("write_file_atomically writes and replaces whole files", "[logbook]") {
  TempDir folder;
  const fs::path target = folder.path() / "config.yaml";

  quantlab::write_file_atomically(target, std::string_view("seed: 1\n"));
  CHECK(read_bytes(target) == "seed: 1\n");
  CHECK(names_in(folder.path()) == std::vector<std::string>{"config.yaml"});

  const std::string binary("new\0bytes\xff", 10);
  quantlab::write_file_atomically(target, binary);
  CHECK(read_bytes(target) == binary);
  CHECK(names_in(folder.path()) == std::vector<std::string>{"config.yaml"});

  quantlab::write_file_atomically(target, std::string_view());
  CHECK(fs::file_size(target) == 0);
}

TEST_CASE("The writer variant fills a temporary that replaces the target afterwards", "[logbook]") {
  TempDir folder;
  const fs::path target = folder.path() / "epoch0001.ckpt";
  quantlab::write_file_atomically(target, std::string_view("old"));

  fs::path given;
  std::string target_while_writing;
  quantlab::write_file_atomically(target, [&](const fs::path& temp) {
    given = temp;
    std::ofstream(temp, std::ios::binary) << "new";
    target_while_writing = read_bytes(target);
  });
  CHECK(given == quantlab::temp_file_for(target));
  CHECK(target_while_writing == "old");  // readers see the old file until the rename
  CHECK(read_bytes(target) == "new");
  CHECK_FALSE(fs::exists(given));
  CHECK(names_in(folder.path()) == std::vector<std::string>{"epoch0001.ckpt"});
}

TEST_CASE("A failing writer leaves the old file and no temporary", "[logbook]") {
  TempDir folder;
  const fs::path target = folder.path() / "best.ckpt";
  quantlab::write_file_atomically(target, std::string_view("old"));

  CHECK_THROWS_WITH(quantlab::write_file_atomically(target,
                                                    [](const fs::path& temp) {
                                                      std::ofstream(temp) << "half";
                                                      throw std::runtime_error("disk full");
                                                    }),
                    "disk full");
  CHECK(read_bytes(target) == "old");
  CHECK(names_in(folder.path()) == std::vector<std::string>{"best.ckpt"});

  // A writer that makes no file is refused too, and the target stays.
  CHECK_THROWS_AS(quantlab::write_file_atomically(target, [](const fs::path&) {}),
                  quantlab::StorageError);
  CHECK(read_bytes(target) == "old");
}

TEST_CASE("Writing into a missing folder is a StorageError naming the target", "[logbook]") {
  TempDir folder;
  const fs::path target = folder.path() / "missing" / "config.yaml";
  CHECK_THROWS_AS(quantlab::write_file_atomically(target, std::string_view("x")),
                  quantlab::StorageError);
  try {
    quantlab::write_file_atomically(target, std::string_view("x"));
  } catch (const quantlab::StorageError& error) {
    CHECK_THAT(error.what(), Contains(target.string()));
  }
  CHECK_FALSE(fs::exists(target.parent_path()));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
