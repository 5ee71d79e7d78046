#include <catch2/catch.hpp>

#include <filesystem>

#include "manager/config/Yaml.h"
#include "quantlab/Errors.h"
#include "support/ErrorMessage.h"
#include "support/Files.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

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

TEST_CASE("a file of more than one YAML document is refused", "[config]") {
  CHECK(error_of("a: 1\n---\nb: 2\n") ==
        "c.yaml: holds more than one YAML document (a line '---' or '...' inside it); expected one");
  // Damaged text on which yaml-cpp 0.7 would report empty documents forever
  // (found by the sweep fuzz target).
  CHECK_THROWS_AS(parse_yaml(",X, [10.1, 0.\xef" "2]g, aftamend:", "c.yaml"), ConfigError);
  // One document, with its markers, is fine.
  CHECK(parse_yaml("---\na: 1\n...\n", "c.yaml")["a"].as<int>() == 1);
}

TEST_CASE("a mapping key that is a list, a mapping or an alias is refused naming its line", "[config]") {
  // Found by the config fuzz target: `as<std::string>()` on such a key threw
  // yaml-cpp's BadConversion, which qlhost reported as an internal error.
  CHECK(error_of("experiment:\n  n_folds: 1\n? ckpt_every: 5\n") ==
        "c.yaml:3: a mapping used as a mapping key; expected a plain name");
  CHECK(error_of("a: {[1, 2]: 3}\n") == "c.yaml:1: a list used as a mapping key; expected a plain name");
  CHECK(error_of("a: &x b\nc: {*x : 1}\n") == "c.yaml:2: an alias (*name) used as a mapping key; expected a plain name");
  // A null key, as a stray tag leaves one (found by the sweep fuzz target).
  CHECK(error_of("a: 1\n~: 2\n") == "c.yaml:2: an empty (null) value used as a mapping key; expected a plain name");
  CHECK_THAT(error_of("params: {a: {log_uniform: [0.1, 1]},!b.c: {choice: [1, 2]}}\n"),
             Catch::StartsWith("c.yaml:1: ") && Catch::EndsWith(" used as a mapping key; expected a plain name"));
  // Lists and mappings as values, and aliases as values, stay fine.
  CHECK(parse_yaml("a: &x [1, 2]\nb: *x\nc: {d: [e]}\n", "c.yaml")["b"].size() == 2);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
