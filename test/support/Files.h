#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace quantlab::test {

// The whole file, byte for byte; throws std::runtime_error if it cannot be read.
std::string read_bytes(const std::filesystem::path& file);

// Replaces the file's content with exactly these bytes; throws std::runtime_error
// if it cannot be written.
void write_bytes(const std::filesystem::path& file, std::string_view bytes);

// Text reads the same as bytes on POSIX; the name stays for tests that read logs.
inline std::string read_text(const std::filesystem::path& file) { return read_bytes(file); }

}  // namespace quantlab::test
