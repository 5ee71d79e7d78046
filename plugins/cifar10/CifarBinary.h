#pragma once
// The binary version of CIFAR-10 (cifar-10-binary.tar.gz): data_batch_1.bin ..
// data_batch_5.bin (10000 training images each) and test_batch.bin. A file is
// a run of 3073-byte records: one label byte (0..9), then 3072 pixel bytes,
// the red, green and blue planes one after the other, each 32x32 row-major.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include <torch/types.h>

namespace cifar10 {

inline constexpr std::int64_t kImageSide = 32;
inline constexpr std::int64_t kChannels = 3;
inline constexpr std::int64_t kClasses = 10;
inline constexpr std::int64_t kRecordBytes = 1 + kChannels * kImageSide * kImageSide;

// Label i's name, as batches.meta.txt lists them.
inline const std::array<std::string, kClasses> kClassNames{
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};

struct CifarImages {
  torch::Tensor images;  // uint8 [N, 3, 32, 32]
  torch::Tensor labels;  // int64 [N]
};

// Reads one binary batch file. Throws quantlab::DataError, one line naming the
// file and what was expected, when it is missing or unreadable, holds no
// record, its size is not a whole number of records, or a label is above 9.
CifarImages read_cifar_binary(const std::filesystem::path& file);

}  // namespace cifar10
