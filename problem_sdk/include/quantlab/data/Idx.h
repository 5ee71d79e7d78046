#pragma once
// The IDX format of MNIST-like data sets: a big-endian header (two zero bytes,
// a type byte, a dimension count, then one uint32 size per dimension) followed
// by the values in row-major order. Only unsigned bytes (type 0x08) are read,
// which is what the image and label files of MNIST and Fashion-MNIST hold.
#include <filesystem>

#include <torch/types.h>

namespace quantlab::data {

// The IDX magic number of a uint8 file with `dimensions` dimensions, e.g.
// 0x00000803 for images [N, rows, cols] and 0x00000801 for labels [N].
constexpr std::uint32_t idx_uint8_magic(int dimensions) {
  return 0x00000800u | static_cast<std::uint32_t>(dimensions);
}

// Reads a plain or gzip-compressed IDX file of unsigned bytes with exactly
// `dimensions` dimensions into a uint8 tensor of the shape its header gives.
// Throws DataError, one line naming the file, when it is missing or unreadable,
// has another magic number, holds fewer bytes than its header promises, holds
// more (trailing data is refused: the header does not describe the file), or
// is a damaged gzip stream (bad deflate data, checksum, or cut short). Bytes
// after the end of a complete gzip stream that are not another gzip stream are
// ignored, as zlib and gunzip do.
torch::Tensor read_idx(const std::filesystem::path& file, int dimensions);

}  // namespace quantlab::data
