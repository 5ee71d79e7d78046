#include "FuzzTarget.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

namespace quantlab::fuzz {

namespace {

struct ScratchFolder {
  std::filesystem::path path;
  ScratchFolder() {
    path = std::filesystem::temp_directory_path() / ("quantlab-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

}  // namespace

std::map<std::string, TargetFunction>& targets() {
  static std::map<std::string, TargetFunction> registered;
  return registered;
}

const std::filesystem::path& scratch_folder() {
  static const ScratchFolder folder;
  return folder.path;
}

std::filesystem::path write_scratch_file(const std::string& name, std::string_view data) {
  const std::filesystem::path file = scratch_folder() / name;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) throw std::runtime_error("fuzz harness: cannot write " + file.string());
  return file;
}

std::vector<std::string> split_sections(std::string_view input, std::string_view separator) {
  std::vector<std::string> sections(1);
  std::size_t start = 0;
  while (start <= input.size()) {
    std::size_t end = input.find('\n', start);
    const bool last = end == std::string_view::npos;
    if (last) end = input.size();
    const std::string_view line = input.substr(start, end - start);
    if (line == separator) {
      sections.emplace_back();
    } else {
      sections.back().append(line);
      if (!last) sections.back().push_back('\n');
    }
    if (last) break;
    start = end + 1;
  }
  return sections;
}

}  // namespace quantlab::fuzz
