// The layers of core/CMakeLists.txt, checked on the sources: a file includes
// only headers of its own layer and the layers below it, and the LibTorch-free
// layers include nothing of LibTorch. The build enforces the same through
// include roots; this names every offending line at once and also covers
// what include roots cannot (a LibTorch header in base or the manager, a
// plugin reaching into the manager).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "support/Files.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace fs = std::filesystem;

namespace {

struct Layer {
  std::string name;
  std::vector<std::string> source_dirs;   // relative to the tree; every .h/.cpp below
  std::vector<std::string> include_roots;  // where its headers are found by include path
  std::set<std::string> below;             // the layers it may include
  bool libtorch = true;
};

const std::vector<Layer>& layers() {
  static const std::vector<Layer> table = {
      {"base", {"core/base"}, {"core/base"}, {}, false},
      {"quantlib", {"core/quantlib"}, {"core/quantlib"}, {"base"}},
      {"sdk", {"problem_sdk/include", "problem_sdk/src"}, {"problem_sdk/include"}, {"quantlib", "base"}},
      {"manager", {"core/manager"}, {"core/manager"}, {"base"}, false},
      {"training", {"core/training"}, {"core/training"}, {"sdk", "manager", "quantlib", "base"}},
      {"host", {"core/host"}, {"core"}, {"training", "sdk", "manager", "quantlib", "base"}},
      {"plugins", {"plugins"}, {}, {"sdk", "quantlib", "base"}},
  };
  return table;
}

// The layer whose include root holds `header`; a generated protobuf header
// belongs where its .proto is. Empty when no root holds it (a system header,
// a generated one such as quantlab/BuildIdentity.h or DefaultConfigs.h).
std::string owner(const fs::path& tree, const std::string& header) {
  std::string source = header;
  const std::string generated = ".pb.h";
  if (source.size() > generated.size() && source.ends_with(generated))
    source = source.substr(0, source.size() - generated.size()) + ".proto";
  for (const auto& layer : layers())
    for (const auto& root : layer.include_roots)
      // The host's root is core/ itself, where every layer's folder also is:
      // only its own folder counts.
      if (fs::exists(tree / root / source) && (layer.name != "host" || source.starts_with("host/")))
        return layer.name;
  return {};
}

// "<file>:<line>: <what>" for every include that breaks the layering.
std::vector<std::string> layering_violations(const fs::path& tree) {
  static const std::regex quoted(R"(^\s*#\s*include\s*"([^"]+)\")");
  static const std::regex libtorch(R"(^\s*#\s*include\s*<(torch|ATen|c10)/)");
  std::vector<std::string> violations;
  for (const auto& layer : layers())
    for (const auto& dir : layer.source_dirs) {
      if (!fs::is_directory(tree / dir)) continue;
      for (const auto& entry : fs::recursive_directory_iterator(tree / dir)) {
        const fs::path file = entry.path();
        if (!entry.is_regular_file() || (file.extension() != ".h" && file.extension() != ".cpp")) continue;
        const std::string name = fs::relative(file, tree).string();
        std::ifstream in(file);
        std::string line;
        for (int number = 1; std::getline(in, line); ++number) {
          const std::string where = name + ":" + std::to_string(number) + ": ";
          std::smatch match;
          if (!layer.libtorch && std::regex_search(line, match, libtorch))
            violations.push_back(where + layer.name + " is LibTorch-free but includes <" + match[1].str() + "/...>");
          if (!std::regex_search(line, match, quoted)) continue;
          const std::string header = match[1].str();
          if (fs::exists(file.parent_path() / header)) continue;  // beside the file: its own layer
          const std::string of = owner(tree, header);
          if (of.empty() || of == layer.name || layer.below.count(of)) continue;
          violations.push_back(where + layer.name + " includes \"" + header + "\" of layer " + of);
        }
      }
    }
  return violations;
}

}  // namespace

TEST_CASE("every layer includes only itself and the layers below it", "[layers]") {
  const std::vector<std::string> violations = layering_violations(QUANTLAB_SOURCE_DIR);
  for (const auto& violation : violations) UNSCOPED_INFO(violation);
  CHECK(violations.empty());
}

TEST_CASE("the layering check names an include of a layer above and LibTorch in a LibTorch-free layer", "[layers]") {
  using quantlab::test::write_bytes;
  quantlab::test::TempDir tree;
  for (const char* dir : {"core/base/quantlab", "core/quantlib/quantlib/nn", "core/manager/manager/sweep",
                          "core/training/manager/train", "problem_sdk/include/quantlab", "plugins/toy"})
    fs::create_directories(tree / dir);
  write_bytes(tree / "core/base/quantlab/Errors.h", "#pragma once\n");
  write_bytes(tree / "core/quantlib/quantlib/nn/Block.h", "#pragma once\n#include \"quantlab/Errors.h\"\n");
  write_bytes(tree / "core/manager/manager/sweep/SweepSpec.h", "#pragma once\n#include \"quantlab/Errors.h\"\n");
  write_bytes(tree / "core/training/manager/train/Trainer.h",
              "#pragma once\n#include \"manager/sweep/SweepSpec.h\"\n#include \"quantlib/nn/Block.h\"\n");
  write_bytes(tree / "problem_sdk/include/quantlab/Topology.h", "#include \"quantlib/nn/Block.h\"\n");
  write_bytes(tree / "plugins/toy/ToyProblem.h", "#include \"ToyTopology.h\"\n#include \"quantlab/Topology.h\"\n");
  write_bytes(tree / "plugins/toy/ToyTopology.h", "#pragma once\n");
  CHECK(layering_violations(tree.path()).empty());

  // quantlib reaching up into the manager, the SDK into training, a plugin
  // into training, and LibTorch in base.
  write_bytes(tree / "core/quantlib/quantlib/nn/Block.h", "#pragma once\n#include \"manager/sweep/SweepSpec.h\"\n");
  write_bytes(tree / "problem_sdk/include/quantlab/Topology.h", "#include \"manager/train/Trainer.h\"\n");
  write_bytes(tree / "plugins/toy/ToyProblem.h", "#include \"manager/train/Trainer.h\"\n");
  write_bytes(tree / "core/base/quantlab/Errors.h", "#pragma once\n#include <torch/types.h>\n");
  const std::vector<std::string> violations = layering_violations(tree.path());
  for (const auto& violation : violations) UNSCOPED_INFO(violation);
  REQUIRE(violations.size() == 4);
  const std::set<std::string> found(violations.begin(), violations.end());
  CHECK(found.count("core/quantlib/quantlib/nn/Block.h:2: quantlib includes \"manager/sweep/SweepSpec.h\" of layer manager"));
  CHECK(found.count("problem_sdk/include/quantlab/Topology.h:1: sdk includes \"manager/train/Trainer.h\" of layer training"));
  CHECK(found.count("plugins/toy/ToyProblem.h:1: plugins includes \"manager/train/Trainer.h\" of layer training"));
  CHECK(found.count("core/base/quantlab/Errors.h:2: base is LibTorch-free but includes <torch/...>"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
