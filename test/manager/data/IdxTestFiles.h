#pragma once
// Helpers for tests that need IDX files: a fresh temporary folder that removes
// itself, and writers for plain and gzip IDX files built byte by byte.
#include <stdlib.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace quantlab::data::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "quantlab-idx-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

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

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream stream(path, std::ios::binary | std::ios::trunc);
  stream.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!stream) throw std::runtime_error("cannot write " + path.string());
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
