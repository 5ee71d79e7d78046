#pragma once
#include <filesystem>
#include <string>

namespace quantlab::test {

// A fresh folder under the system temp folder that a test may fill freely;
// removed with everything in it on destruction. Links inside are removed, never
// followed, so a test that links to folders elsewhere cannot delete them.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace quantlab::test
