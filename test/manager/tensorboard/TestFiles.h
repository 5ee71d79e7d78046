#pragma once
// Helpers for the TensorBoard tests: hex conversion and record splitting
// (folders and plain files: support/TempDir.h, support/Files.h).
#include <cstdint>
#include <string>
#include <vector>

namespace quantlab::tensorboard::test {

inline std::string to_hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : bytes) {
    hex.push_back(digits[byte >> 4]);
    hex.push_back(digits[byte & 0xF]);
  }
  return hex;
}

inline std::string from_hex(const std::string& hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

// The serialized events of a file, framing read by hand (CRCs not checked).
inline std::vector<std::string> split_records(const std::string& bytes) {
  std::vector<std::string> events;
  for (std::size_t offset = 0; offset + 12 <= bytes.size();) {
    std::uint64_t length = 0;
    for (int i = 0; i < 8; ++i) length |= std::uint64_t(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
    events.push_back(bytes.substr(offset + 12, length));
    offset += 12 + length + 4;
  }
  return events;
}

}  // namespace quantlab::tensorboard::test
