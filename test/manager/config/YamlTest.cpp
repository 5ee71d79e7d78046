#include <catch2/catch.hpp>

#include <filesystem>

#include "manager/config/Yaml.h"
#include "quantlab/Errors.h"
#include "support/ErrorMessage.h"
#include "support/Files.h"
#include "support/TempDir.h"

using namespace quantlab;

namespace {
std::string error_of(const std::string& text) {
  return test::error_message_of<ConfigError>([&] { parse_yaml(text, "c.yaml"); });
}
}  // namespace

TEST_CASE("a key given twice in one mapping is refused naming both lines", "[config]") {
  CHECK(error_of("a: 1\nb: 2\na: 3\n") == "c.yaml:3: key 'a' appears twice in one mapping (first on line 1); keep one");
  // Nested block and flow mappings, and mappings inside sequences.
  CHECK(error_of("training:\n  optimizer:\n    class: SGD\n    params: {lr: 0.1, lr: 0.2}\n") ==
        "c.yaml:4: key 'lr' appears twice in one mapping (first on line 4); keep one");
  CHECK(error_of("points:\n  - {x: 1}\n  - x: 2\n    y: 3\n    x: 4\n") ==
        "c.yaml:5: key 'x' appears twice in one mapping (first on line 3); keep one");
  // A key after a nested value still counts as a key.
  CHECK(error_of("a:\n  b: [1, 2]\n  c: {d: 1}\n  b: 3\n") ==
        "c.yaml:4: key 'b' appears twice in one mapping (first on line 2); keep one");
}

TEST_CASE("the same key in different mappings, and values equal to keys, are fine", "[config]") {
  const YAML::Node node = parse_yaml("a: {x: 1}\nb: {x: 2}\nc: a\nd: [a, a]\ne: {a: a}\n", "c.yaml");
  CHECK(node["a"]["x"].as<int>() == 1);
  CHECK(node["b"]["x"].as<int>() == 2);
  CHECK(node["e"]["a"].as<std::string>() == "a");
  CHECK(parse_yaml("", "empty.yaml").IsNull());
}

TEST_CASE("a folder or a missing file where a YAML file should be is one ConfigError naming it", "[config]") {
  test::TempDir dir;
  CHECK(test::error_message_of<ConfigError>([&] { load_yaml_file(dir.path()); }) ==
        dir.path().string() + ": is a folder (expected a YAML file)");
  CHECK_THAT(test::error_message_of<ConfigError>([&] { load_yaml_file(dir / "none.yaml"); }),
             Catch::StartsWith((dir / "none.yaml").string() + ": cannot read the file"));
  test::write_bytes(dir / "dup.yaml", "x: 1\nx: 2\n");
  CHECK(test::error_message_of<ConfigError>([&] { load_yaml_file(dir / "dup.yaml"); }) ==
        (dir / "dup.yaml").string() + ":2: key 'x' appears twice in one mapping (first on line 1); keep one");
}
