#pragma once
// Loads build/problems/libcifar10.so once for the whole test run, through the
// host's plugin loader, and writes small CIFAR-10 binary files: the real data
// set is not available to the tests.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "manager/plugin/PluginLoader.h"
#include "support/Files.h"

namespace cifar10::test {

inline const quantlab::LoadedPlugin& plugin() {
  static const quantlab::LoadedPlugin loaded = quantlab::load_plugin(QUANTLAB_BUILD_DIR "/problems/libcifar10.so");
  return loaded;
}

inline const quantlab::Problem& problem() { return *plugin().problem; }

inline std::shared_ptr<quantlab::Topology> topology(const std::string& name) { return plugin().topology(name); }

constexpr std::int64_t kRecordBytes = 3073;

// A known pixel of record `record` (of the whole file set, counted by
// `first_record` + index in the file): channel c, row y, column x.
inline std::uint8_t pixel(std::int64_t record, std::int64_t c, std::int64_t y, std::int64_t x) {
  return static_cast<std::uint8_t>((record * 31 + c * 85 + y * 7 + x * 3) % 256);
}

// `records` records with the given labels (cycled), pixels by pixel(), the
// planes R, G, B one after the other, each 32x32 row-major.
inline std::string cifar_records(std::int64_t first_record, std::int64_t records,
                                 const std::vector<int>& labels) {
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(records * kRecordBytes));
  for (std::int64_t r = 0; r < records; ++r) {
    bytes.push_back(static_cast<char>(labels[static_cast<std::size_t>(r) % labels.size()]));
    for (std::int64_t c = 0; c < 3; ++c)
      for (std::int64_t y = 0; y < 32; ++y)
        for (std::int64_t x = 0; x < 32; ++x) bytes.push_back(static_cast<char>(pixel(first_record + r, c, y, x)));
  }
  return bytes;
}

// data_batch_1..5.bin with `per_file` records each (labels 0..9 in turn over
// the whole training set) and test_batch.bin with `test_records`, in folder.
inline void write_cifar_data(const std::filesystem::path& folder, std::int64_t per_file, std::int64_t test_records) {
  std::filesystem::create_directories(folder);
  for (int i = 0; i < 5; ++i) {
    std::vector<int> labels;
    for (std::int64_t r = 0; r < per_file; ++r) labels.push_back(static_cast<int>((i * per_file + r) % 10));
    quantlab::test::write_bytes(folder / ("data_batch_" + std::to_string(i + 1) + ".bin"),
                                cifar_records(i * per_file, per_file, labels));
  }
  std::vector<int> labels;
  for (std::int64_t r = 0; r < test_records; ++r) labels.push_back(static_cast<int>((r * 3) % 10));
  quantlab::test::write_bytes(folder / "test_batch.bin", cifar_records(1000, test_records, labels));
}

}  // namespace cifar10::test
