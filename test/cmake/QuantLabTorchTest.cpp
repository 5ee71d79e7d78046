// cmake/QuantLabTorch.cmake on fake LibTorch folders: each refusal is one
// message naming what was found and what is expected, and a CUDA LibTorch
// whose CUDA major differs from nvcc's builds CPU-only and says so.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>

#include "support/Files.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace fs = std::filesystem;
namespace test = quantlab::test;

namespace {

// A folder laid out as a LibTorch wheel: share/cmake/Torch, the version
// header, and, for `cuda`, libtorch_cuda.so and version.py naming its CUDA.
fs::path fake_libtorch(const fs::path& root, int major, int minor, const std::string& cuda) {
  const fs::path prefix = root / "torch";
  fs::create_directories(prefix / "share" / "cmake" / "Torch");
  test::write_bytes(prefix / "share" / "cmake" / "Torch" / "TorchConfig.cmake", "# fake\n");
  fs::create_directories(prefix / "include" / "torch" / "csrc" / "api" / "include" / "torch");
  std::ostringstream version;
  version << "#define TORCH_VERSION_MAJOR " << major << "\n#define TORCH_VERSION_MINOR " << minor
          << "\n#define TORCH_VERSION_PATCH 0\n";
  test::write_bytes(prefix / "include" / "torch" / "csrc" / "api" / "include" / "torch" / "version.h", version.str());
  fs::create_directories(prefix / "lib");
  if (!cuda.empty()) {
    test::write_bytes(prefix / "lib" / "libtorch_cuda.so", "");
    test::write_bytes(prefix / "version.py", "cuda: Optional[str] = '" + cuda + "'\n");
  }
  return prefix / "share" / "cmake" / "Torch";
}

// CMake wraps long messages at spaces: compare with every whitespace run as one space.
std::string flat(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  return out;
}

test::ProcessResult configure(const fs::path& root, const std::vector<std::string>& definitions) {
  fs::create_directories(root / "project");
  test::write_bytes(root / "project" / "CMakeLists.txt",
                    "cmake_minimum_required(VERSION 3.25)\nproject(probe LANGUAGES CXX)\ninclude(\"" +
                        std::string(QUANTLAB_SOURCE_DIR) + "/cmake/QuantLabTorch.cmake\")\n");
  std::vector<std::string> arguments{"cmake", "-S", (root / "project").string(), "-B", (root / "build").string()};
  for (const auto& definition : definitions) arguments.push_back("-D" + definition);
  auto result = test::run_process(arguments);
  result.output = flat(result.output);
  return result;
}

std::string nvcc_major() {
  const auto version = test::run_process({"/bin/sh", "-c", "nvcc --version 2>/dev/null || /usr/local/cuda/bin/nvcc --version"});
  const auto at = version.output.find("release ");
  return at == std::string::npos ? "" : version.output.substr(at + 8, version.output.find('.', at) - at - 8);
}

}  // namespace

TEST_CASE("a LibTorch older than 2.0, or a folder that is none, is refused naming it", "[cmake]") {
  test::TempDir dir;
  const fs::path torch_dir = fake_libtorch(dir.path(), 1, 13, "");
  const auto old = configure(dir.path(), {"Torch_DIR=" + torch_dir.string()});
  INFO(old.output);
  CHECK(old.status != 0);
  CHECK_THAT(old.output, Catch::Contains("QuantLab: LibTorch 1.13.0 at " + (dir / "torch").string() +
                                         " is too old: expected LibTorch 2.x"));

  test::TempDir empty;
  const auto none = configure(empty.path(), {"Torch_DIR=" + empty.path().string()});
  INFO(none.output);
  CHECK(none.status != 0);
  CHECK_THAT(none.output, Catch::Contains("QuantLab: Torch_DIR=" + empty.path().string() +
                                          " holds no TorchConfig.cmake; expected <libtorch>/share/cmake/Torch"));
}

TEST_CASE("a CUDA LibTorch of another CUDA major than nvcc's builds CPU-only, or is refused when CUDA is asked for",
          "[cmake]") {
  const std::string major = nvcc_major();
  if (major.empty()) {
    WARN("no nvcc on this machine: the CUDA-major check is not exercised");
    return;
  }
  const std::string other = std::to_string(std::stoi(major) - 1) + ".8";
  test::TempDir dir;
  const fs::path torch_dir = fake_libtorch(dir.path(), 2, 9, other);
  const auto automatic = configure(dir.path(), {"Torch_DIR=" + torch_dir.string()});
  INFO(automatic.output);
  CHECK(automatic.status == 0);
  CHECK_THAT(automatic.output, Catch::Contains("QuantLab: building CPU-only: LibTorch 2.9.0 has CUDA " + other +
                                               " but nvcc ") &&
                                   Catch::Contains("(expected the same major version)"));
  CHECK_THAT(test::read_text(dir / "build" / "CMakeCache.txt"), Catch::Contains("QUANTLAB_CUDA:BOOL=OFF"));

  test::TempDir asked;
  const fs::path asked_dir = fake_libtorch(asked.path(), 2, 9, other);
  const auto refused = configure(asked.path(), {"Torch_DIR=" + asked_dir.string(), "QUANTLAB_CUDA=ON"});
  INFO(refused.output);
  CHECK(refused.status != 0);
  CHECK_THAT(refused.output, Catch::Contains("QuantLab: QUANTLAB_CUDA=ON but LibTorch 2.9.0 has CUDA " + other) &&
                                 Catch::Contains("pass -DQUANTLAB_CUDA=OFF for a CPU-only build"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
