#include "manager/storage/StorageMap.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <stdlib.h>

#include <catch2/catch.hpp>

#include "quantlab/Errors.h"
#include "support/ErrorMessage.h"
#include "support/Files.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using quantlab::test::error_message_of;
using quantlab::test::read_bytes;
using quantlab::test::TempDir;
using quantlab::test::write_bytes;

namespace {

fs::path map_file(const fs::path& home) { return home / "storage" / "hard_folders.yaml"; }

void write_map(const fs::path& home, const std::string& text) {
  fs::create_directories(home / "storage");
  write_bytes(map_file(home), text);
}

bool any_contains(const std::vector<std::string>& lines, const std::string& piece) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& line) { return line.find(piece) != std::string::npos; });
}

}  // namespace

TEST_CASE("Without a map, storage goes to the local default and says so", "[storage]") {
  TempDir home;
  const quantlab::StorageMap map(home.path());
  const fs::path local = home.path() / "storage" / "local";

  CHECK(map.uses_local_default());
  CHECK(map.data_hard_folder() == local);
  CHECK(map.logs_hard_folder() == local);
  REQUIRE(map.default_notice().has_value());
  CHECK(*map.default_notice() == "storage: no storage/hard_folders.yaml in " +
                                     home.path().string() + "; data and logs go to " +
                                     local.string());

  const quantlab::ProblemDirs dirs = map.problem_dirs("XYZ");
  CHECK(dirs.data == home.path() / "problems" / "XYZ" / "data");
  CHECK(dirs.logs == home.path() / "problems" / "XYZ" / "logs");
  CHECK(fs::is_symlink(dirs.data));
  CHECK(fs::is_symlink(dirs.logs));
  CHECK(fs::read_symlink(dirs.data) == local / "QuantLab" / "problems" / "XYZ" / "data");
  CHECK(fs::read_symlink(dirs.logs) == local / "QuantLab" / "problems" / "XYZ" / "logs");
  CHECK(any_contains(dirs.notices, "linked " + dirs.data.string()));
  REQUIRE_FALSE(dirs.notices.empty());
  CHECK(dirs.notices.front() == *map.default_notice());

  // A file written through the link lands in the real folder.
  write_bytes(dirs.logs / "probe.txt", "through the link");
  CHECK(read_bytes(local / "QuantLab" / "problems" / "XYZ" / "logs" / "probe.txt") ==
        "through the link");

  // Second use: nothing to make, nothing to say.
  CHECK(map.problem_dirs("XYZ").notices.empty());
}

TEST_CASE("A map with relative and absolute hard folders", "[storage]") {
  TempDir home;
  TempDir elsewhere;
  const fs::path ssd = home.path() / "ssd";
  const fs::path hdd = elsewhere.path() / "hdd";
  fs::create_directories(ssd);
  fs::create_directories(hdd);
  write_map(home.path(), "data: ssd\nlogs: " + hdd.string() + "/\n");

  const quantlab::StorageMap map(home.path());
  CHECK_FALSE(map.uses_local_default());
  CHECK_FALSE(map.default_notice().has_value());
  CHECK(map.data_hard_folder() == ssd);
  CHECK(map.logs_hard_folder() == hdd);

  const std::vector<std::string> storage_notices = map.init();
  CHECK(fs::is_directory(ssd / "QuantLab" / "problems"));
  CHECK(fs::is_directory(hdd / "QuantLab" / "problems"));
  CHECK(any_contains(storage_notices, (ssd / "QuantLab" / "problems").string()));
  CHECK(map.init().empty());

  const std::vector<std::string> problem_notices = map.init_problem("ImageNet");
  const fs::path real_data = ssd / "QuantLab" / "problems" / "ImageNet" / "data";
  const fs::path real_logs = hdd / "QuantLab" / "problems" / "ImageNet" / "logs";
  CHECK(fs::is_directory(real_data));
  CHECK(fs::is_directory(real_logs));
  CHECK(fs::read_symlink(home.path() / "problems" / "ImageNet" / "data") == real_data);
  CHECK(fs::read_symlink(home.path() / "problems" / "ImageNet" / "logs") == real_logs);
  CHECK(problem_notices.size() >= 2);

  // Idempotent: same links, no complaint, nothing new made.
  CHECK(map.init_problem("ImageNet").empty());
  CHECK(fs::read_symlink(home.path() / "problems" / "ImageNet" / "data") == real_data);
}

TEST_CASE("A hard folder written as ~/x is under $HOME", "[storage]") {
  TempDir home;
  TempDir user_home;
  const char* saved = std::getenv("HOME");
  const std::optional<std::string> saved_home = saved ? std::optional<std::string>(saved) : std::nullopt;
  ::setenv("HOME", user_home.path().c_str(), 1);
  write_map(home.path(), "data: ~/fast\nlogs: slow\n");
  const quantlab::StorageMap map(home.path());
  if (saved_home) ::setenv("HOME", saved_home->c_str(), 1); else ::unsetenv("HOME");
  CHECK(map.data_hard_folder() == user_home.path() / "fast");
  CHECK(map.logs_hard_folder() == home.path() / "slow");
}

TEST_CASE("Bad maps are ConfigErrors naming the file and the key or line", "[storage]") {
  TempDir home;
  const std::string file = map_file(home.path()).string();
  auto load = [&] { quantlab::StorageMap map(home.path()); };

  write_map(home.path(), "data: ssd\nlogs: hdd\nscratch: tmp\n");
  CHECK_THROWS_AS(load(), quantlab::ConfigError);
  CHECK_THAT(error_message_of(load), Contains(file) && Contains("scratch"));

  write_map(home.path(), "data: [ssd, nvme]\nlogs: hdd\n");
  CHECK_THROWS_AS(load(), quantlab::ConfigError);
  CHECK_THAT(error_message_of(load), Contains(file) && Contains("data") && Contains("a string"));

  write_map(home.path(), "data:\n  path: ssd\nlogs: hdd\n");
  CHECK_THROWS_AS(load(), quantlab::ConfigError);
  CHECK_THAT(error_message_of(load), Contains(file) && Contains("data"));

  write_map(home.path(), "data: ssd\n");
  CHECK_THROWS_AS(load(), quantlab::ConfigError);
  CHECK_THAT(error_message_of(load), Contains(file) && Contains("logs"));

  write_map(home.path(), "data: \"\"\nlogs: hdd\n");
  CHECK_THROWS_AS(load(), quantlab::ConfigError);
  CHECK_THAT(error_message_of(load), Contains(file) && Contains("data"));

  write_map(home.path(), "- data\n- logs\n");
  CHECK_THROWS_AS(load(), quantlab::ConfigError);
  CHECK_THAT(error_message_of(load), Contains(file));

  write_map(home.path(), "data: ssd\nlogs: hdd\n  bad: x: y\n");
  CHECK_THROWS_AS(load(), quantlab::ConfigError);
  CHECK_THAT(error_message_of(load), Contains(file + ":3: malformed YAML"));

  write_map(home.path(), "data: ssd\nlogs: hdd\ndata: other\n");
  CHECK_THAT(error_message_of(load), Contains(file + ":3: key 'data' appears twice in one mapping (first on line 1)"));

  // A folder where the map should be: one ConfigError naming it, not a stream error.
  fs::remove(file);
  fs::create_directories(file);
  CHECK_THAT(error_message_of(load), Contains(file + ": is a folder (expected a YAML file)"));
}

TEST_CASE("A missing mount point is refused, not made", "[storage]") {
  TempDir home;
  const fs::path missing = home.path() / "mnt" / "ssd";
  fs::create_directories(home.path() / "hdd");
  write_map(home.path(), "data: " + missing.string() + "\nlogs: hdd\n");
  const quantlab::StorageMap map(home.path());

  CHECK_THROWS_AS(map.init(), quantlab::StorageError);
  CHECK_THAT(error_message_of([&] { map.init(); }),
             Contains(missing.string()) && Contains("data") && Contains(map_file(home.path()).string()));
  CHECK_THROWS_AS(map.problem_dirs("XYZ"), quantlab::StorageError);
  CHECK_FALSE(fs::exists(missing));
  CHECK_FALSE(fs::exists(home.path() / "problems"));

  const fs::path not_a_folder = home.path() / "plain-file";
  write_bytes(not_a_folder, "x");
  write_map(home.path(), "data: ssd\nlogs: " + not_a_folder.string() + "\n");
  fs::create_directories(home.path() / "ssd");
  const quantlab::StorageMap file_map(home.path());
  CHECK_THAT(error_message_of([&] { file_map.init(); }),
             Contains(not_a_folder.string()) && Contains("logs"));
}

TEST_CASE("A link pointing elsewhere is refused and nothing is deleted", "[storage]") {
  TempDir home;
  const quantlab::StorageMap map(home.path());
  const fs::path elsewhere = home.path() / "my-own-data";
  fs::create_directories(elsewhere);
  write_bytes(elsewhere / "precious.bin", "keep me");
  const fs::path link = home.path() / "problems" / "XYZ" / "data";
  fs::create_directories(link.parent_path());
  fs::create_directory_symlink(elsewhere, link);

  CHECK_THROWS_AS(map.init_problem("XYZ"), quantlab::StorageError);
  CHECK_THAT(error_message_of([&] { map.init_problem("XYZ"); }),
             Contains(link.string()) && Contains(elsewhere.string()) &&
                 Contains(map.real_data_folder("XYZ").string()));
  CHECK(fs::read_symlink(link) == elsewhere);
  CHECK(read_bytes(elsewhere / "precious.bin") == "keep me");

  // A link with a relative target to the right place is accepted.
  fs::remove(link);
  fs::create_directory_symlink(map.real_data_folder("XYZ").lexically_relative(link.parent_path()), link);
  CHECK_NOTHROW(map.init_problem("XYZ"));
}

TEST_CASE("A real folder in place of the link is used and reported", "[storage]") {
  TempDir home;
  const quantlab::StorageMap map(home.path());
  const fs::path data = home.path() / "problems" / "XYZ" / "data";
  fs::create_directories(data);
  write_bytes(data / "train.bin", "user data");

  const quantlab::ProblemDirs dirs = map.problem_dirs("XYZ");
  CHECK(dirs.data == data);
  CHECK(any_contains(dirs.notices, data.string() + " is a real folder"));
  CHECK_FALSE(fs::is_symlink(data));
  CHECK(read_bytes(data / "train.bin") == "user data");
  CHECK_FALSE(fs::exists(map.real_data_folder("XYZ")));  // not made, not used
  CHECK(fs::is_symlink(dirs.logs));

  // A plain file where the link belongs is refused.
  const fs::path other = home.path() / "problems" / "Other" / "logs";
  fs::create_directories(other.parent_path());
  write_bytes(other, "oops");
  CHECK_THROWS_AS(map.init_problem("Other"), quantlab::StorageError);
  CHECK(read_bytes(other) == "oops");
}

TEST_CASE("Problem names are letters, digits, '_' and '-'", "[storage]") {
  TempDir home;
  const quantlab::StorageMap map(home.path());
  for (const std::string bad : {"", "a/b", "..", ".", "a b", "x.y", "../escape"}) {
    INFO("name: \"" << bad << "\"");
    CHECK_THROWS_AS(map.init_problem(bad), quantlab::ConfigError);
  }
  CHECK_FALSE(fs::exists(home.path() / "problems"));
  CHECK_NOTHROW(map.init_problem("Image_Net-1k"));
  CHECK(fs::is_directory(home.path() / "problems" / "Image_Net-1k" / "logs"));
}

TEST_CASE("A home that is not a folder is a StorageError", "[storage]") {
  TempDir home;
  const fs::path missing = home.path() / "no-such-home";
  CHECK_THROWS_AS(quantlab::StorageMap(missing), quantlab::StorageError);
  CHECK_THAT(error_message_of([&] { quantlab::StorageMap map(missing); }), Contains(missing.string()));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
