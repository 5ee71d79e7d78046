// scripts/new-problem and the QuantLab CMake package end to end: scaffold a
// problem in a scratch checkout, build it out of tree against this build
// tree's package, load it with qlhost and train it. One test case, since it
// compiles LibTorch code (a minute or two).
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "manager/train/Checkpoint.h"
#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

namespace {

// Every file and folder under root, with the files' contents.
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> entries;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string relative = fs::relative(entry.path(), root).string();
    entries[relative] = entry.is_regular_file() ? test::read_text(entry.path()) : "<folder>";
  }
  return entries;
}

// The parts of a checkout that new-problem needs.
fs::path scratch_checkout(const fs::path& parent) {
  const fs::path root = parent / "checkout";
  const fs::path source = QUANTLAB_SOURCE_DIR;
  fs::create_directories(root / "problem_sdk");
  fs::copy(source / "scripts", root / "scripts", fs::copy_options::recursive);
  fs::copy(source / "problem_sdk" / "template", root / "problem_sdk" / "template",
           fs::copy_options::recursive);
  return root;
}

}  // namespace

TEST_CASE("new-problem scaffolds a plugin that builds out of tree and trains", "[sdk]") {
  test::TempDir temp;
  const fs::path root = scratch_checkout(temp.path());
  const std::string new_problem = (root / "scripts" / "new-problem").string();
  const std::string name = "sdk_demo-1";

  const auto before = snapshot(root);
  for (const std::string bad : {"my problem", "9lives", "a/b", "", "int", "install"}) {
    const auto refused = test::run_process({new_problem, bad});
    INFO("name '" << bad << "': " << refused.output);
    CHECK(refused.status == 2);
    CHECK_THAT(refused.output, Catch::StartsWith("new-problem: problem name '" + bad + "'"));
  }
  CHECK(snapshot(root) == before);

  const auto made = test::run_process({new_problem, name});
  INFO(made.output);
  REQUIRE(made.status == 0);
  const fs::path plugin_dir = root / "plugins" / name;
  REQUIRE(fs::is_regular_file(plugin_dir / "CMakeLists.txt"));
  REQUIRE(fs::is_regular_file(plugin_dir / "SdkDemo1Problem.cpp"));
  REQUIRE(fs::is_regular_file(root / "configs" / name / "MLP.yaml"));
  CHECK_THAT(made.output, Catch::Contains("build/qlhost problem init " + name));
  CHECK_THAT(made.output, Catch::Contains("build/qlhost --plugin build/problems/lib" + name + ".so --topology MLP"));
  CHECK_THAT(test::read_text(plugin_dir / "SdkDemo1Problem.h"),
             Catch::Contains("namespace sdk_demo_1 {") && Catch::Contains("class SdkDemo1Problem "));
  const auto scaffolded = snapshot(root);
  for (const auto& [path, text] : scaffolded) {
    if (path.rfind("plugins", 0) != 0 && path.rfind("configs", 0) != 0) continue;
    INFO(path);
    CHECK(text.find("@PROBLEM@") == std::string::npos);
    CHECK(text.find("@Problem@") == std::string::npos);
    CHECK(text.find("@namespace@") == std::string::npos);
  }

  const auto again = test::run_process({new_problem, name});
  CHECK(again.status == 2);
  CHECK_THAT(again.output, Catch::Contains("plugins/" + name + " already exists"));
  CHECK(snapshot(root) == scaffolded);

  const fs::path build = temp / "build";
  const auto configured = test::run_process({"cmake", "-S", plugin_dir.string(), "-B", build.string(), "-G",
                                             "Ninja", std::string("-DQuantLab_DIR=") + QUANTLAB_BUILD_DIR});
  INFO(configured.output);
  REQUIRE(configured.status == 0);
  const auto built = test::run_process({"cmake", "--build", build.string()});
  INFO(built.output);
  REQUIRE(built.status == 0);
  const fs::path library = build / "problems" / ("lib" + name + ".so");
  REQUIRE(fs::is_regular_file(library));

  const auto info = test::run_process({test::qlhost_path(), "plugin", "info", library.string()});
  INFO(info.output);
  CHECK(info.status == 0);
  CHECK_THAT(info.output, Catch::Contains("problem:  " + name + " 0.1.0") && Catch::Contains("  MLP  recipes:"));

  const fs::path home = temp / "home";
  fs::create_directories(home);
  const auto initialised = test::run_process({test::qlhost_path(), "problem", "init", name, "--home", home.string()});
  INFO(initialised.output);
  CHECK(initialised.status == 0);
  const auto trained = test::run_process({test::qlhost_path(), "--plugin", library.string(), "--topology", "MLP",
                                          "--home", home.string(), "--threads", "1", "--set",
                                          "experiment.n_epochs=1", "--set", "experiment.seed=5", "--set",
                                          "training.lr_scheduler.params.T_max=1"});
  INFO(trained.output);
  REQUIRE(trained.status == 0);
  const fs::path saves = home / "problems" / name / "logs" / "exp0000" / "fold0" / "saves";
  REQUIRE(fs::is_regular_file(saves / "epoch0001.ckpt"));
  REQUIRE(fs::is_regular_file(saves / "best.ckpt"));
  // Out of the box the synthetic 4-class problem is learnt in one epoch;
  // chance would be a 75% error.
  CHECK(read_progress(saves / "best.ckpt").best_metric < 10.0);

  // The installed package serves the same sources. Compiling the translation
  // unit with the plugin entry point (it includes every SDK header) is enough.
  const fs::path prefix = temp / "prefix";
  const auto installed = test::run_process({"cmake", "--install", QUANTLAB_BUILD_DIR, "--prefix", prefix.string()});
  INFO(installed.output);
  REQUIRE(installed.status == 0);
  CHECK(fs::is_regular_file(prefix / "include" / "quantlab" / "Plugin.h"));
  CHECK(fs::is_regular_file(prefix / "include" / "quantlib" / "algorithms" / "Controller.h"));
  CHECK(fs::is_regular_file(prefix / "bin" / "qlhost"));
  const fs::path build_installed = temp / "build-installed";
  const auto configured_installed =
      test::run_process({"cmake", "-S", plugin_dir.string(), "-B", build_installed.string(), "-G", "Ninja",
                         "-DCMAKE_PREFIX_PATH=" + prefix.string()});
  INFO(configured_installed.output);
  REQUIRE(configured_installed.status == 0);
  CHECK_THAT(test::read_text(build_installed / "CMakeCache.txt"),
             Catch::Contains("QuantLab_DIR:PATH=" + (prefix / "lib" / "cmake" / "QuantLab").string()));
  const auto compiled = test::run_process({"cmake", "--build", build_installed.string(), "--target",
                                           "CMakeFiles/" + name + ".dir/SdkDemo1Problem.cpp.o"});
  INFO(compiled.output);
  CHECK(compiled.status == 0);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
