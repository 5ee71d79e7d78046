#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <sstream>

#include "manager/config/ExperimentConfig.h"
#include "manager/sweep/SweepSpec.h"
#include "support/ErrorMessage.h"
#include "support/Files.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
using quantlab::sweep::SweepSpec;

namespace {

// A sweep file in its own temp folder, loaded as qlhost would.
struct SweepFile {
  test::TempDir dir;
  std::filesystem::path file;
  explicit SweepFile(const std::string& text, const std::string& name = "sw.yaml") : file(dir / name) {
    test::write_bytes(file, text);
  }
  SweepSpec load(const std::vector<std::string>& sets = {}) const { return SweepSpec::load(file, sets); }
  // The ConfigError's message, with the file's path shortened to "F".
  std::string error(const std::vector<std::string>& sets = {}) const {
    std::string message = test::error_message_of<ConfigError>([&] { load(sets); });
    for (auto at = message.find(file.string()); at != std::string::npos; at = message.find(file.string()))
      message.replace(at, file.string().size(), "F");
    return message;
  }
};

std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  return SweepFile(text).error(sets);
}

std::vector<std::string> labels(const SweepSpec& spec) {
  std::vector<std::string> out;
  for (const auto& point : spec.points) out.push_back(point.label());
  return out;
}

// The values one key takes over the points, as flow YAML.
std::vector<std::string> values_of(const SweepSpec& spec, const std::string& key) {
  std::vector<std::string> out;
  for (const auto& point : spec.points)
    for (const auto& [assigned, value] : point.assignments)
      if (assigned == key) out.push_back(YAML::Dump(value));
  return out;
}

// A scalar is a string when quoted ("!") or when it reads as neither number nor boolean.
bool reads_as_string(const YAML::Node& node) {
  if (node.Tag() == "!") return true;
  if (node.Scalar() == "true" || node.Scalar() == "false") return false;
  try {
    node.as<double>();
    return false;
  } catch (const YAML::Exception&) {
    return true;
  }
}

bool same_value(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) return a.Scalar() == b.Scalar() && reads_as_string(a) == reads_as_string(b);
  if (a.IsSequence()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same_value(a[i], b[i])) return false;
    return true;
  }
  if (a.IsMap()) {
    if (a.size() != b.size()) return false;
    for (const auto& entry : a)
      if (!b[entry.first.Scalar()] || !same_value(entry.second, b[entry.first.Scalar()])) return false;
  }
  return true;
}

YAML::Node lookup(YAML::Node root, const std::string& dotted) {
  std::stringstream stream(dotted);
  for (std::string part; std::getline(stream, part, '.');) root.reset(root[part]);
  return root;
}

const char* kRandom = R"(
random:
  samples: 400
  seed: SEED
  params:
    training.optimizer.params.weight_decay: {log_uniform: [1.0e-5, 1.0e-1]}
    training.optimizer.params.momentum: {uniform: [0.8, 0.95]}
    network.params.hidden: {int_range: [1, 3]}
    training.optimizer.class: {choice: [SGD, Adam]}
)";

std::string random_sweep(int seed) {
  std::string text = kRandom;
  return text.replace(text.find("SEED"), 4, std::to_string(seed));
}

}  // namespace

TEST_CASE("a grid expands to its product with the last key varying fastest", "[sweep]") {
  test::TempDir dir;
  test::write_bytes(dir / "SimpleCNN.yaml", "network: {class: SimpleCNN}\n");
  std::filesystem::create_directories(dir / "sweeps");
  test::write_bytes(dir / "sweeps" / "lr-hidden.yaml", R"(
topology: SimpleCNN
base: ../SimpleCNN.yaml
set: {experiment.n_epochs: 1, data.max_train_samples: 2000}
grid:
  training.optimizer.params.lr: [0.01, 0.05]
  network.params.hidden: [128, 256, 512]
)");
  const auto spec = SweepSpec::load(dir / "sweeps" / "lr-hidden.yaml");
  CHECK(spec.name == "lr-hidden");
  CHECK(spec.topology == std::optional<std::string>("SimpleCNN"));
  REQUIRE(spec.base_config);
  CHECK(spec.base_config->is_absolute());
  CHECK(std::filesystem::equivalent(*spec.base_config, dir / "SimpleCNN.yaml"));
  CHECK(spec.fixed_overrides == std::vector<std::string>{"experiment.n_epochs=1", "data.max_train_samples=2000"});
  CHECK(spec.prune.method == "none");
  REQUIRE(spec.points.size() == 6);
  CHECK(labels(spec) == std::vector<std::string>{"lr=0.01 hidden=128", "lr=0.01 hidden=256", "lr=0.01 hidden=512",
                                                 "lr=0.05 hidden=128", "lr=0.05 hidden=256", "lr=0.05 hidden=512"});
  for (int i = 0; i < 6; ++i) {
    CHECK(spec.points[i].index == i);
    CHECK(spec.points[i].repeat == 0);
  }
  CHECK(spec.points[4].overrides() ==
        std::vector<std::string>{"training.optimizer.params.lr=0.05", "network.params.hidden=256"});
}

TEST_CASE("a zip group is one axis whose lists vary together", "[sweep]") {
  const auto spec = SweepFile(R"(
name: arch
grid: {training.optimizer.params.lr: [0.01, 0.05]}
zip:
  - {network.params.channels: [[16, 32], [32, 64], [64, 128]], network.params.dropout: [0.1, 0.25, 0.5]}
prune: {method: median, after_epoch: 2, min_finished: 3}
)").load();
  CHECK(spec.name == "arch");
  CHECK_FALSE(spec.base_config);
  CHECK(spec.prune.method == "median");
  CHECK(spec.prune.after_epoch == 2);
  CHECK(spec.prune.min_finished == 3);
  REQUIRE(spec.points.size() == 6);
  CHECK(labels(spec)[0] == "lr=0.01 channels=[16,32] dropout=0.1");
  CHECK(labels(spec)[2] == "lr=0.01 channels=[64,128] dropout=0.5");
  CHECK(labels(spec)[4] == "lr=0.05 channels=[32,64] dropout=0.25");
}

TEST_CASE("random draws are fixed by the seed and stay inside their bounds", "[sweep]") {
  const auto spec = SweepFile(random_sweep(1)).load();
  REQUIRE(spec.points.size() == 400);
  CHECK(labels(SweepFile(random_sweep(1)).load()) == labels(spec));
  const auto other = SweepFile(random_sweep(2)).load();
  const std::string momentum = "training.optimizer.params.momentum";
  CHECK(values_of(other, momentum) != values_of(spec, momentum));

  int below_log_middle = 0;
  std::set<std::string> hidden, classes;
  for (const auto& point : spec.points) {
    REQUIRE(point.assignments.size() == 4);
    const double decay = point.assignments[0].second.as<double>();
    CHECK(decay >= 1e-5);
    CHECK(decay <= 1e-1);
    below_log_middle += decay < 1e-3;
    const double momentum = point.assignments[1].second.as<double>();
    CHECK(momentum >= 0.8);
    CHECK(momentum <= 0.95);
    // 6 significant digits at most, always with a '.' so every YAML reader sees a float.
    const std::string text = point.assignments[1].second.Scalar();
    CHECK(text.find('.') != std::string::npos);
    CHECK(text.size() <= 8);
    hidden.insert(point.assignments[2].second.Scalar());
    classes.insert(point.assignments[3].second.Scalar());
  }
  // Log-uniform: half the draws below the geometric middle (a plain uniform gives 1%).
  CHECK(below_log_middle > 150);
  CHECK(below_log_middle < 250);
  CHECK(hidden == std::set<std::string>{"1", "2", "3"});
  CHECK(classes == std::set<std::string>{"Adam", "SGD"});
}

TEST_CASE("random draws do not depend on the platform's distributions", "[sweep]") {
  // Pinned (and checked against an independent Python mt19937_64): the engine
  // is specified exactly by the standard, the mapping to values is ours.
  const auto spec = SweepFile("random: {samples: 3, seed: 7, params: {a: {uniform: [0.0, 1.0]}, "
                              "b: {int_range: [0, 1000]}, c: {log_uniform: [1.0e-5, 1.0]}, d: {choice: [x, y, z]}}}\n")
                        .load();
  CHECK(labels(spec) == std::vector<std::string>{"a=0.754385 b=326 c=3.86431e-05 d=x",
                                                 "a=0.141272 b=890 c=0.145417 d=y", "a=0.257158 b=78 c=0.0600793 d=x"});
  // A float that prints without a '.' gets one, so that it stays a float.
  const auto whole = SweepFile("random: {samples: 1, params: {a: {uniform: [1.0e-5, 1.0000001e-5]}}}\n").load();
  CHECK(whole.points[0].assignments[0].second.Scalar() == "1.0e-05");
}

TEST_CASE("repeat gives each point seeds 1 to K as its fastest axis", "[sweep]") {
  const auto spec = SweepFile("grid: {network.params.hidden: [8, 16]}\nrepeat: 3\n").load();
  REQUIRE(spec.points.size() == 6);
  CHECK(values_of(spec, "experiment.seed") == std::vector<std::string>{"1", "2", "3", "1", "2", "3"});
  CHECK(spec.points[4].repeat == 1);
  CHECK(spec.points[4].label() == "hidden=16 seed=2");
  CHECK(spec.points[4].assignments.back().first == "experiment.seed");
  // Repeats alone make a sweep.
  CHECK(SweepFile("repeat: 2\n").load().points.size() == 2);
}

TEST_CASE("command-line sets add grid axes or fixed overrides", "[sweep]") {
  const SweepFile file("set: {experiment.n_epochs: 1}\ngrid: {training.optimizer.params.lr: [0.1, 0.2]}\n");
  const auto spec = file.load({"network.params.hidden=8,16, 32", "experiment.n_epochs=3",
                               "network.params.channels=[4, 8],[8, 16]", "network.params.act='a,b',c"});
  REQUIRE(spec.points.size() == 2 * 3 * 2 * 2);
  CHECK(spec.fixed_overrides == std::vector<std::string>{"experiment.n_epochs=1", "experiment.n_epochs=3"});
  CHECK(spec.points[0].label() == "lr=0.1 hidden=8 channels=[4,8] act=\"a,b\"");
  CHECK(spec.points[23].label() == "lr=0.2 hidden=32 channels=[8,16] act=c");
  CHECK(values_of(spec, "network.params.hidden")[4] == "16");
  // Quotes open only where a value starts, and '' inside single quotes is a quote.
  CHECK(labels(file.load({"x.y=it's,'a''b,c'"})) ==
        std::vector<std::string>{"lr=0.1 y=it's", "lr=0.1 y=\"a'b,c\"", "lr=0.2 y=it's", "lr=0.2 y=\"a'b,c\""});
  // A list without a top-level comma is one fixed value.
  CHECK(file.load({"network.params.channels=[4, 8]"}).points.size() == 2);
}

TEST_CASE("overrides read back through apply_override as the assigned values", "[sweep]") {
  const auto spec = SweepFile(R"(
grid:
  a.num: [0.01, 3, -2.5e-4, .inf]
  a.str: ['0.1', plain, "true", 'x: y', 'a,b', "", 'null', "#hash"]
  a.flag: [true, false, null]
zip:
  - {b.list: [[16, 32], [x, 'y,z']], b.map: [{k: 1, l: [2, '3']}, {}]}
random: {samples: 3, seed: 5, params: {c.f: {log_uniform: [1.0e-6, 1.0e-2]}, c.i: {int_range: [-3, 3]}}}
repeat: 2
)").load();
  REQUIRE(spec.points.size() == 4 * 8 * 3 * 2 * 3 * 2);
  std::set<std::string> distinct;
  for (const auto& point : spec.points) {
    YAML::Node root(YAML::NodeType::Map);
    for (const auto& assignment : point.overrides()) {
      apply_override(root, assignment);
      distinct.insert(assignment);
    }
    for (const auto& [key, value] : point.assignments) {
      INFO(key << " = " << YAML::Dump(value));
      CHECK(same_value(lookup(root, key), value));
    }
  }
  // No top-level comma: `qlhost sweep --set` would take it for an axis.
  const SweepFile any("grid: {z.z: [1, 2]}\n");
  for (const auto& assignment : distinct) CHECK(any.load({assignment}).fixed_overrides.back() == assignment);
}

TEST_CASE("the fingerprint follows the expansion", "[sweep]") {
  const std::string text = "set: {experiment.n_epochs: 1}\ngrid: {a.b: [1, 2]}\nrandom: {samples: 2, seed: 3, "
                           "params: {c: {uniform: [0.0, 1.0]}}}\n";
  const auto fingerprint = SweepFile(text).load().fingerprint;
  CHECK(fingerprint.size() == 16);
  CHECK(SweepFile(text).load().fingerprint == fingerprint);
  CHECK(SweepFile(text + "prune: {method: median}\nname: other\n").load().fingerprint == fingerprint);
  std::string changed = text;
  CHECK(SweepFile(changed.replace(changed.find("[1, 2]"), 6, "[1, 3]")).load().fingerprint != fingerprint);
  changed = text;
  CHECK(SweepFile(changed.replace(changed.find("seed: 3"), 7, "seed: 4")).load().fingerprint != fingerprint);
  changed = text;
  CHECK(SweepFile(changed.replace(changed.find("n_epochs: 1"), 11, "n_epochs: 2")).load().fingerprint != fingerprint);
  CHECK(SweepFile(text).load({"a.x=1"}).fingerprint != fingerprint);
  CHECK(SweepFile(text).load({"a.x=1,2"}).fingerprint != fingerprint);
  CHECK(SweepFile(text + "repeat: 2\n").load().fingerprint != fingerprint);
}

TEST_CASE("bad sweep files name the file and the sweep key", "[sweep]") {
  CHECK(error_of("grdi: {a: [1]}\n") ==
        "F: grdi: unknown key; expected one of name, topology, base, set, grid, zip, random, repeat, prune");
  CHECK(error_of("grid: {}\n") == "F: grid: expected at least one dotted key with a list of values, got {}");
  CHECK(error_of("grid:\n") == "F: grid: expected at least one dotted key with a list of values");
  CHECK(error_of("grid: {network.params.hidden: []}\n") ==
        "F: grid.network.params.hidden: expected a non-empty list of values (a fixed value goes under set:), got []");
  CHECK(error_of("grid: {a.lr: 0.1}\n") ==
        "F: grid.a.lr: expected a non-empty list of values (a fixed value goes under set:), got 0.1");
  CHECK(error_of("grid: {a.lr: [0.1, fast]}\n") ==
        "F: grid.a.lr: expected values of one kind, not numbers mixed with strings, got [0.1, fast]");
  CHECK(error_of("grid: {a.x: [true, 'no']}\n").find("not booleans mixed with strings") != std::string::npos);
  CHECK(error_of("grid: {a.x: [[1], 2]}\n").find("not lists mixed with numbers") != std::string::npos);
  CHECK(error_of("grid: {a.x: [{b: 1}, x]}\n").find("not maps mixed with strings") != std::string::npos);
  CHECK(SweepFile("grid: {a.x: [1, 0.5, null]}\n").load().points.size() == 3);  // ints, floats, null: fine
  CHECK(error_of("grid: {'a..b': [1]}\n") ==
        "F: grid.a..b: expected a dotted config key such as training.optimizer.params.lr, got 'a..b'");
  CHECK(error_of("zip: [{a: [1, 2], b: [1, 2, 3]}]\n") ==
        "F: zip[0].b: expected a list of 2 values, as long as a's, got [1, 2, 3]");
  CHECK(error_of("zip: {a: [1]}\n") ==
        "F: zip: expected a non-empty list of groups, each a map of dotted keys to lists of equal length, "
        "got {a: [1]}");
  CHECK(error_of("zip: [{}]\n") == "F: zip[0]: expected a map of dotted keys to lists of equal length");
  CHECK(error_of("repeat: 0\n") == "F: repeat: expected a positive number of seeds per point, got 0");
  CHECK(error_of("set: {a: 1}\n") ==
        "F: expected at least one of grid, zip, random, a --set key=a,b axis or "
        "repeat > 1 (a single configuration is one experiment: qlhost --set runs it)");
  const std::string eleven = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
  CHECK(error_of("grid: {a: " + eleven + ", b: " + eleven + ", c: " + eleven + ", d: " + eleven + ", e: " + eleven +
                 "}\n") == "F: expected at most 100000 points, the axes make more");
  CHECK(SweepFile("grid: {a: [1]}\n").load().points.size() == 1);
  CHECK(error_of("name: 'my sweep'\nrepeat: 2\n").find("F: name: expected a sweep name of letters") == 0);
  CHECK(SweepFile("repeat: 2\n", "bad name.yaml").error().find("cannot name a sweep folder") != std::string::npos);
  CHECK(error_of("repeat: 2\nprune: {method: hyperband}\n") ==
        "F: prune.method: expected none, median or halving, got hyperband");
  CHECK(error_of("repeat: 2\nprune: {method: halving, eta: 1}\n") ==
        "F: prune.eta: expected an integer >= 2, the fraction 1/eta of points kept at each rung, got 1");
  CHECK(SweepFile("repeat: 2\nprune: {method: halving, eta: 4}\n").load().prune.eta == 4);
  CHECK(error_of("repeat: 2\nprune: {after_epoch: 0}\n") ==
        "F: prune.after_epoch: expected an epoch counting from 1, got 0");
  CHECK(error_of("repeat: 2\nprune: {min_finished: 0}\n").find("F: prune.min_finished: expected") == 0);
}

TEST_CASE("bad random distributions name the parameter", "[sweep]") {
  const auto random = [](const std::string& params, const std::string& samples = "2") {
    return error_of("random: {samples: " + samples + ", seed: 1, params: {" + params + "}}\n");
  };
  CHECK(random("a: {normal: [0, 1]}") ==
        "F: random.params.a: expected one of {uniform: [low, high]}, {log_uniform: [low, high]}, "
        "{int_range: [low, high]}, {choice: [values]}, got {normal: [0, 1]}");
  CHECK(random("a: {uniform: [0.9, 0.8]}") ==
        "F: random.params.a.uniform: expected [low, high] with low below high, got [0.9, 0.8]");
  CHECK(random("a: {uniform: [1, 1]}").find("with low below high") != std::string::npos);
  CHECK(random("a: {uniform: [x, 1]}") ==
        "F: random.params.a.uniform: expected [low, high] with two numbers, got [x, 1]");
  CHECK(random("a: {log_uniform: [0, 1]}") ==
        "F: random.params.a.log_uniform: expected [low, high] with positive bounds, got [0, 1]");
  CHECK(random("a: {int_range: [5, 4]}") ==
        "F: random.params.a.int_range: expected [low, high] with low at most high (both included), got [5, 4]");
  CHECK(random("a: {int_range: [0.5, 4]}").find("with two integers") != std::string::npos);
  CHECK(SweepFile("random: {samples: 3, params: {a: {int_range: [4, 4]}}}\n").load().points.size() == 3);
  CHECK(random("a: {choice: []}") == "F: random.params.a.choice: expected a non-empty list of values, got []");
  CHECK(random("a: {choice: [1, x]}").find("not numbers mixed with strings") != std::string::npos);
  CHECK(random("a: {uniform: [0, 1]}", "0") == "F: random.samples: expected a positive number of draws, got 0");
  CHECK(error_of("random: {params: {a: {uniform: [0, 1]}}}\n") ==
        "F: random.samples: expected a value for this required key, found none");
  CHECK(random("") == "F: random.params: expected at least one dotted key with a distribution, got {}");
}

TEST_CASE("a key assigned in two places is refused", "[sweep]") {
  CHECK(error_of("grid: {a.b: [1, 2]}\nzip: [{a.b: [1, 2]}]\n") ==
        "F: zip[0].a.b: a.b is assigned here and by grid.a.b; expected each key assigned in one place only");
  CHECK(error_of("set: {a.b: 1}\ngrid: {a.b: [1, 2]}\n").find("F: grid.a.b: a.b is assigned here and by set.a.b") == 0);
  CHECK(error_of("grid: {a: [{b: 1}]}\nrandom: {samples: 1, params: {a.b: {uniform: [0, 1]}}}\n") ==
        "F: random.params.a.b: a.b overlaps a, assigned by grid.a; expected each key assigned in one place only");
  CHECK(error_of("set: {experiment.seed: 3}\nrepeat: 2\n") ==
        "F: repeat: experiment.seed is assigned here and by set.experiment.seed; "
        "expected each key assigned in one place only");
  CHECK(error_of("grid: {a.b: [1, 2]}\n", {"a.b=3,4"}) ==
        "--set a.b=3,4: a.b is assigned here and by F: grid.a.b; expected each key assigned in one place only");
  CHECK(error_of("grid: {a.b: [1, 2]}\n", {"a.b=3"}).find("--set a.b=3: a.b is assigned here and by F: grid.a.b") == 0);
  CHECK(error_of("repeat: 2\n", {"experiment.seed=3"})
            .find("F: repeat: experiment.seed is assigned here and by --set") == 0);
  // A fixed --set may override `set:`, and a later fixed --set an earlier one.
  CHECK(SweepFile("set: {a.b: 1}\nrepeat: 2\n").load({"a.b=2", "a.b=3"}).fixed_overrides ==
        std::vector<std::string>{"a.b=1", "a.b=2", "a.b=3"});
}

TEST_CASE("missing files and malformed command-line sets are named", "[sweep]") {
  test::TempDir dir;
  const auto missing = dir / "nope.yaml";
  CHECK(test::error_message_of<ConfigError>([&] { SweepSpec::load(missing); }) ==
        missing.string() + ": no such sweep file (expected a YAML file)");
  const SweepFile file("base: ../Missing.yaml\nrepeat: 2\n");
  CHECK(file.error() == "F: base: " + (file.dir.path().parent_path() / "Missing.yaml").string() +
                            ": no such config file (expected a path relative to the sweep file)");
  CHECK(error_of("repeat: 2\n", {"network.params.hidden"}) == "--set network.params.hidden: expected dotted.key=value");
  CHECK(error_of("repeat: 2\n", {"=3"}) == "--set =3: expected dotted.key=value");
  CHECK(error_of("repeat: 2\n", {"a=1,,2"}) ==
        "--set a=1,,2: expected values separated by single commas, found an empty one");
  CHECK(error_of("repeat: 2\n", {"a=1,x"}) ==
        "--set a=1,x: expected values of one kind, not numbers mixed with strings");
  CHECK(error_of("repeat: 2\n", {"a=[1"}).find("--set a=[1:") == 0);
  CHECK(error_of("grid: [1, 2\n").find("F:") == 0);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
