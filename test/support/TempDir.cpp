#include "support/TempDir.h"

#include <stdlib.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace quantlab::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "quantlab-test-XXXXXX").string();
  // mkdtemp picks an unused name and makes the folder in one step, so parallel
  // test runs never share a folder.
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(), "cannot make a temporary folder " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace quantlab::test
