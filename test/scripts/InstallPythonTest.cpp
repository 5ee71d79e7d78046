// scripts/install-python: a complete environment is left as it is; a folder
// that is not one is refused in one line, and nothing is marked complete.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "support/Files.h"
#include "support/Process.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace fs = std::filesystem;
namespace test = quantlab::test;

namespace {
const std::string kScript = std::string(QUANTLAB_SOURCE_DIR) + "/scripts/install-python";
}  // namespace

TEST_CASE("install-python leaves a complete environment as it is and prints its folder", "[scripts]") {
  // The build's own environment: bin/python inside it.
  const fs::path venv = fs::path(test::python_path()).parent_path().parent_path();
  const auto result = test::run_process({"/usr/bin/env", "QUANTLAB_VENV=" + venv.string(), kScript});
  INFO(result.output);
  CHECK(result.status == 0);
  CHECK(result.output == venv.string() + "\n");  // nothing installed, nothing else said
}

TEST_CASE("install-python refuses a QUANTLAB_VENV that is not a Python environment in one line", "[scripts]") {
  test::TempDir dir;
  const fs::path venv = dir / "venv";
  fs::create_directories(venv);
  test::write_bytes(venv / "notes.txt", "not an environment\n");
  const auto result = test::run_process({"/usr/bin/env", "QUANTLAB_VENV=" + venv.string(), kScript});
  INFO(result.output);
  CHECK(result.status == 2);
  CHECK(result.output == "quantlab: QUANTLAB_VENV=" + venv.string() + " is not a working Python environment (no " +
                             venv.string() + "/bin/python); remove it or point QUANTLAB_VENV elsewhere\n");
  CHECK_FALSE(fs::exists(venv / ".quantlab-lock"));
  CHECK(fs::exists(venv / "notes.txt"));  // nothing of the user's removed
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
