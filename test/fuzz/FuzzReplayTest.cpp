// Replays every input kept for the fuzz targets: the corpus scripts/fuzz grew
// (test/fuzz/corpus/<target>) and each input that once found a defect
// (test/fuzz/crashes/<target>). An input that crashes, trips a sanitizer in
// a sanitizer build, or throws anything but a user error fails its target's
// test.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "FuzzTarget.h"

namespace {

const std::filesystem::path kFuzzFolder = std::filesystem::path(QUANTLAB_SOURCE_DIR) / "test" / "fuzz";

std::vector<std::filesystem::path> inputs(const std::filesystem::path& folder) {
  std::vector<std::filesystem::path> files;
  if (!std::filesystem::is_directory(folder)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    if (entry.is_regular_file() && entry.path().filename().string().front() != '.') files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void replay(const std::string& target) {
  const auto found = quantlab::fuzz::targets().find(target);
  REQUIRE(found != quantlab::fuzz::targets().end());
  const auto corpus = inputs(kFuzzFolder / "corpus" / target);
  // A target without seeds would replay nothing and pass unseen.
  REQUIRE(corpus.size() >= 3);
  auto all = corpus;
  const auto crashes = inputs(kFuzzFolder / "crashes" / target);
  all.insert(all.end(), crashes.begin(), crashes.end());
  for (const auto& file : all) {
    INFO(file.string());
    const std::string bytes = read_bytes(file);
    CHECK_NOTHROW(found->second(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  }
}

}  // namespace

TEST_CASE("Fuzz inputs replay cleanly: config and --set", "[fuzz]") { replay("config"); }
TEST_CASE("Fuzz inputs replay cleanly: sweep files", "[fuzz]") { replay("sweep"); }
TEST_CASE("Fuzz inputs replay cleanly: IDX", "[fuzz]") { replay("idx"); }
TEST_CASE("Fuzz inputs replay cleanly: CIFAR binaries", "[fuzz]") { replay("cifar"); }
TEST_CASE("Fuzz inputs replay cleanly: JPEG and PNG with the transforms", "[fuzz]") { replay("image"); }
TEST_CASE("Fuzz inputs replay cleanly: event files", "[fuzz]") { replay("events"); }
TEST_CASE("Fuzz inputs replay cleanly: checkpoints", "[fuzz]") { replay("checkpoint"); }
TEST_CASE("Fuzz inputs replay cleanly: plugin file and descriptor", "[fuzz]") { replay("plugin"); }

TEST_CASE("Every fuzz target has a replay test", "[fuzz]") {
  // The list above and the targets linked in must agree.
  CHECK(quantlab::fuzz::targets().size() == 8);
}
