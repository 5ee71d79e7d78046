#pragma once
// Helpers for tests that need IDX files: writers for plain and gzip IDX files
// built byte by byte (folders and plain files: support/TempDir.h, support/Files.h).
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace quantlab::data::test {

inline void append_big_endian32(std::string& bytes, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((value >> shift) & 0xFF));
}

// An IDX file's bytes: magic, one big-endian size per dimension, then values.
inline std::string idx_bytes(std::uint32_t magic, const std::vector<std::uint32_t>& shape,
                             const std::vector<std::uint8_t>& values) {
  std::string bytes;
  append_big_endian32(bytes, magic);
  for (const auto size : shape) append_big_endian32(bytes, size);
  bytes.append(values.begin(), values.end());
  return bytes;
}

inline void write_gzip(const std::filesystem::path& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  if (file == nullptr) throw std::runtime_error("cannot open " + path.string());
  const int written = gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  if (gzclose(file) != Z_OK || written != static_cast<int>(bytes.size()))
    throw std::runtime_error("cannot write " + path.string());
}

// Deterministic bytes that deflate cannot shrink much, so damage to a gzip
// file lands in compressed data rather than in a few repeated codes.
inline std::vector<std::uint8_t> scrambled_bytes(size_t count) {
  std::vector<std::uint8_t> values(count);
  std::uint32_t state = 2463534242u;
  for (auto& value : values) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    value = static_cast<std::uint8_t>(state >> 24);
  }
  return values;
}

}  // namespace quantlab::data::test
