#include <catch2/catch.hpp>

#include "manager/compare/DifferingKeys.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::compare;

namespace {

FlatConfig flat(const std::string& yaml) { return flatten_config(YAML::Load(yaml)); }

const char* const kBase = R"(
experiment: {n_folds: 1, n_epochs: 2, seed: 7}
network: {class: SimpleCNN, params: {channels: [32, 64]}, quantize: null}
training:
  optimizer: {class: SGD, params: {lr: 0.05, momentum: 0.9}}
)";

}  // namespace

TEST_CASE("a config flattens to dotted keys in its own order", "[compare]") {
  const FlatConfig config = flat(kBase);
  const FlatConfig expected{{"experiment.n_folds", "1"},
                            {"experiment.n_epochs", "2"},
                            {"experiment.seed", "7"},
                            {"network.class", "SimpleCNN"},
                            {"network.params.channels", "[32, 64]"},
                            {"network.quantize", "null"},
                            {"training.optimizer.class", "SGD"},
                            {"training.optimizer.params.lr", "0.05"},
                            {"training.optimizer.params.momentum", "0.9"}};
  CHECK(config == expected);
}

TEST_CASE("numbers are written canonically and quoted strings are left alone", "[compare]") {
  const FlatConfig config = flat("a: 0.050\nb: 5e-2\nc: '0.050'\nd:\n  - bits: 4.0\n    x: 10\ne: {}\nf: ~\n");
  CHECK(value_of(config, "a") == "0.05");
  CHECK(value_of(config, "b") == "0.05");
  CHECK(value_of(config, "c") == "0.050");
  // Block-style sequences of maps still come out on one line.
  CHECK(value_of(config, "d") == "[{bits: 4, x: 10}]");
  CHECK(value_of(config, "e") == "{}");
  CHECK(value_of(config, "f") == "null");
  CHECK(value_of(config, "missing") == kAbsentValue);
}

TEST_CASE("only the keys that differ are kept in config order", "[compare]") {
  const std::string base = kBase;
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string text = base;
    text.replace(text.find(from), from.size(), to);
    return flat(text);
  };
  SECTION("a learning rate and a seed differ: the learning rate only") {
    const auto keys = differing_keys({flat(base), with("lr: 0.05", "lr: 0.1"), with("seed: 7", "seed: 8")});
    CHECK(keys == std::vector<std::string>{"training.optimizer.params.lr"});
  }
  SECTION("two keys differ: both, in the configs' order") {
    const auto keys = differing_keys({flat(base), with("lr: 0.05", "lr: 0.1"), with("n_epochs: 2", "n_epochs: 3")});
    CHECK(keys == std::vector<std::string>{"experiment.n_epochs", "training.optimizer.params.lr"});
  }
  SECTION("only the seed differs: the seed, which tells repeats apart") {
    CHECK(differing_keys({flat(base), with("seed: 7", "seed: 8")}) == std::vector<std::string>{"experiment.seed"});
  }
  SECTION("numerically equal spellings do not differ") {
    CHECK(differing_keys({flat(base), with("lr: 0.05", "lr: 5.0e-2")}).empty());
  }
  SECTION("a key missing from one config differs unless the other's is null") {
    CHECK(differing_keys({flat(base), with("momentum: 0.9", "momentum: 0.9, nesterov: true")}) ==
          std::vector<std::string>{"training.optimizer.params.nesterov"});
    CHECK(differing_keys({flat(base), with(", quantize: null", "")}).empty());
  }
  SECTION("the topology and the recipe name are their own columns, not keys") {
    const auto keys = differing_keys({flat(base), with("class: SimpleCNN, params: {channels: [32, 64]}, quantize: null",
                                                       "class: MLP, quantize: {recipe: rules}")});
    CHECK(keys == std::vector<std::string>{"network.params.channels"});
  }
  SECTION("one config or identical ones: nothing differs") {
    CHECK(differing_keys({flat(base)}).empty());
    CHECK(differing_keys({flat(base), flat(base)}).empty());
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
