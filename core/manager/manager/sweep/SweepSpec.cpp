#include "manager/sweep/SweepSpec.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <random>
#include <tuple>

#include "manager/config/ExperimentConfig.h"
#include "manager/sweep/detail/PortableRandom.h"
#include "manager/sweep/detail/YamlFlow.h"
#include "quantlab/Errors.h"
#include "quantlab/Params.h"

namespace quantlab::sweep {
namespace {

using detail::Distribution;
using detail::flow;
using detail::split_top_level;

// A typo'd sweep must fail before it fills a disk with experiments.
constexpr std::size_t kMaxPoints = 100000;

// ---- values: kinds and lists ----

enum class Kind { Null, Number, Bool, String, List, Map };
const char* const kKindPlurals[] = {"nulls", "numbers", "booleans", "strings", "lists", "maps"};
std::string plural(Kind kind) { return kKindPlurals[static_cast<int>(kind)]; }

// A quoted scalar carries the tag "!" and is a string whatever it reads like.
// Booleans are YAML 1.2's only: yaml-cpp also reads "on" as true, which would
// make [on, off, auto] a mixed list.
Kind kind_of(const YAML::Node& value) {
  if (value.IsNull()) return Kind::Null;
  if (value.IsSequence()) return Kind::List;
  if (value.IsMap()) return Kind::Map;
  if (value.Tag() == "!") return Kind::String;
  for (const char* literal : {"true", "false", "True", "False", "TRUE", "FALSE"})
    if (value.Scalar() == literal) return Kind::Bool;
  try {
    value.as<double>();
    return Kind::Number;
  } catch (const YAML::Exception&) {
    return Kind::String;
  }
}

// Null goes with any kind: [null, 2000] means "the default, then 2000".
std::optional<std::string> mixed_kinds(const std::vector<YAML::Node>& values) {
  std::optional<Kind> first;
  for (const auto& value : values) {
    const Kind kind = kind_of(value);
    if (kind == Kind::Null) continue;
    if (!first) first = kind;
    if (kind != *first) return "values of one kind, not " + plural(*first) + " mixed with " + plural(kind);
  }
  return std::nullopt;
}

// yaml-cpp's iterators cannot fill a vector directly.
std::vector<YAML::Node> items(const YAML::Node& list) {
  std::vector<YAML::Node> out;
  for (const auto& item : list) out.push_back(item);
  return out;
}

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

// ---- what the sweep file says ----

// Keys become `--set key=value` and labels: no blanks, no '='. `where` names
// the file and sweep key (or the --set).
void check_key(const std::string& where, const std::string& key) {
  const bool ok = !key.empty() && key.front() != '.' && key.back() != '.' && key.find("..") == std::string::npos &&
                  key.find_first_of("= \t\n") == std::string::npos;
  if (!ok) throw ConfigError(where + ": expected a dotted config key such as training.optimizer.params.lr, got '" +
                             key + "'");
}

// The values of a grid key or a zip member.
std::vector<YAML::Node> value_list(const Params& parent, const std::string& key) {
  check_key(parent.source() + ": " + parent.path(key), key);
  const YAML::Node list = parent.node()[key];
  if (!list.IsSequence() || list.size() == 0)
    parent.fail(key, "a non-empty list of values (a fixed value goes under set:)");
  const auto values = items(list);
  if (const auto mixed = mixed_kinds(values)) parent.fail(key, *mixed);
  return values;
}

// One axis of the product: at each position, a value for each key.
struct Axis {
  std::vector<std::string> keys;
  std::vector<std::vector<YAML::Node>> rows;
};

// Who assigns a key, so that a second assignment is refused naming both places.
struct Claim {
  std::string key;
  std::string source;  // the sweep file or "--set k=v"
  std::string path;    // the sweep key; "" for a --set
  bool fixed = false;  // `set:` or a fixed --set, which a later fixed --set may override
  std::string where() const { return path.empty() ? source : source + ": " + path; }
};

bool inside(const std::string& key, const std::string& section) {
  return key.size() > section.size() && key.compare(0, section.size() + 1, section + ".") == 0;
}

void claim(std::vector<Claim>& claims, const Claim& next) {
  for (const auto& other : claims) {
    if (next.fixed && other.fixed && next.path.empty()) continue;
    if (next.key != other.key && !inside(next.key, other.key) && !inside(other.key, next.key)) continue;
    const std::string by = other.source == next.source ? other.path : other.where();
    throw ConfigError(next.where() + ": " + next.key +
                      (next.key == other.key ? " is assigned here and by " + by
                                             : " overlaps " + other.key + ", assigned by " + by) +
                      "; expected each key assigned in one place only");
  }
  claims.push_back(next);
}

// ---- random: each param's distribution (drawn by detail/PortableRandom) ----

template <typename T>
std::pair<T, T> bounds(const Params& spec, const std::string& name, const std::string& expected) {
  const YAML::Node node = spec.node()[name];
  if (!node.IsSequence() || node.size() != 2 || !node[0].IsScalar() || !node[1].IsScalar()) spec.fail(name, expected);
  try {
    return {node[0].as<T>(), node[1].as<T>()};
  } catch (const YAML::Exception&) {
    spec.fail(name, expected);
  }
}

Distribution distribution(const Params& params, const std::string& key) {
  check_key(params.source() + ": " + params.path(key), key);
  const YAML::Node node = params.node()[key];
  const std::string known =
      "one of {uniform: [low, high]}, {log_uniform: [low, high]}, {int_range: [low, high]}, {choice: [values]}";
  if (!node.IsMap() || node.size() != 1) params.fail(key, known);
  Distribution out;
  out.name = node.begin()->first.as<std::string>();
  const Params spec = params.at(key);
  if (out.name == "uniform" || out.name == "log_uniform") {
    std::tie(out.low, out.high) = bounds<double>(spec, out.name, "[low, high] with two numbers");
    if (!(out.low < out.high)) spec.fail(out.name, "[low, high] with low below high");
    if (out.name == "log_uniform" && !(out.low > 0)) spec.fail(out.name, "[low, high] with positive bounds");
  } else if (out.name == "int_range") {
    std::tie(out.int_low, out.int_high) = bounds<std::int64_t>(spec, out.name, "[low, high] with two integers");
    if (out.int_low > out.int_high) spec.fail(out.name, "[low, high] with low at most high (both included)");
  } else if (out.name == "choice") {
    const YAML::Node list = node["choice"];
    if (!list.IsSequence() || list.size() == 0) spec.fail("choice", "a non-empty list of values");
    out.choices = items(list);
    if (const auto mixed = mixed_kinds(out.choices)) spec.fail("choice", *mixed);
  } else {
    params.fail(key, known);
  }
  return out;
}

// ---- the file, section by section ----

// What load() collects on its way through the file and the --set list.
struct Reading {
  std::string source;
  std::vector<Claim> claims;
  std::vector<Axis> axes;
};

void read_grid(Reading& reading, const Params& top) {
  const Params grid = top.at("grid");
  if (grid.keys().empty()) top.fail("grid", "at least one dotted key with a list of values");
  for (const auto& key : grid.keys()) {
    Axis axis{{key}, {}};
    for (const auto& value : value_list(grid, key)) axis.rows.push_back({value});
    claim(reading.claims, {key, reading.source, grid.path(key)});
    reading.axes.push_back(std::move(axis));
  }
}

// "k=a,b" is one more grid axis; returns false for "k=v", a fixed override.
bool read_cli_axis(Reading& reading, const std::string& assignment) {
  const std::string where = "--set " + assignment;
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) throw ConfigError(where + ": expected dotted.key=value");
  const std::string key = assignment.substr(0, equals);
  check_key(where, key);
  const auto pieces = split_top_level(assignment.substr(equals + 1));
  if (pieces.size() == 1) {
    parse_yaml(pieces[0], where);  // malformed YAML fails now, not at the first point
    return false;
  }
  Axis axis{{key}, {}};
  std::vector<YAML::Node> values;
  for (const auto& piece : pieces) {
    if (trimmed(piece).empty())
      throw ConfigError(where + ": expected values separated by single commas, found an empty one");
    values.push_back(parse_yaml(trimmed(piece), where));
    axis.rows.push_back({values.back()});
  }
  if (const auto mixed = mixed_kinds(values)) throw ConfigError(where + ": expected " + *mixed);
  claim(reading.claims, {key, where, ""});
  reading.axes.push_back(std::move(axis));
  return true;
}

void read_zip(Reading& reading, const Params& top) {
  const YAML::Node zip = top.node()["zip"];
  if (!zip.IsSequence() || zip.size() == 0)
    top.fail("zip", "a non-empty list of groups, each a map of dotted keys to lists of equal length");
  for (std::size_t g = 0; g < zip.size(); ++g) {
    const std::string path = "zip[" + std::to_string(g) + "]";
    const Params group(zip[g], path, reading.source);
    if (group.keys().empty())
      throw ConfigError(reading.source + ": " + path + ": expected a map of dotted keys to lists of equal length");
    Axis axis;
    for (const auto& key : group.keys()) {
      const auto values = value_list(group, key);
      if (axis.keys.empty()) axis.rows.resize(values.size());
      if (values.size() != axis.rows.size())
        group.fail(key, "a list of " + std::to_string(axis.rows.size()) + " values, as long as " + axis.keys[0] + "'s");
      claim(reading.claims, {key, reading.source, group.path(key)});
      axis.keys.push_back(key);
      for (std::size_t i = 0; i < values.size(); ++i) axis.rows[i].push_back(values[i]);
    }
    reading.axes.push_back(std::move(axis));
  }
}

// Samples in order, and within a sample the params in file order.
void read_random(Reading& reading, const Params& top) {
  const Params random = top.at("random");
  random.only({"samples", "seed", "params"});
  const int samples = random.get<int>("samples");
  if (samples < 1) random.fail("samples", "a positive number of draws");
  const std::int64_t seed = random.get<std::int64_t>("seed", 0);
  if (seed < 0) random.fail("seed", "a non-negative integer");
  const Params params = random.at("params");
  if (params.keys().empty()) random.fail("params", "at least one dotted key with a distribution");
  Axis axis;
  std::vector<Distribution> distributions;
  for (const auto& key : params.keys()) {
    distributions.push_back(distribution(params, key));
    claim(reading.claims, {key, reading.source, params.path(key)});
    axis.keys.push_back(key);
  }
  std::mt19937_64 engine(static_cast<std::uint64_t>(seed));
  for (int s = 0; s < samples; ++s) {
    axis.rows.emplace_back();
    for (const auto& d : distributions) axis.rows.back().push_back(d.draw(engine));
  }
  reading.axes.push_back(std::move(axis));
}

PruneSpec read_prune(const Params& top) {
  const Params prune = top.at("prune");
  prune.only({"method", "after_epoch", "min_finished", "eta"});
  PruneSpec spec;
  spec.method = prune.get<std::string>("method", spec.method);
  if (spec.method != "none" && spec.method != "median" && spec.method != "halving")
    prune.fail("method", "none, median or halving");
  spec.eta = prune.get<int>("eta", spec.eta);
  if (spec.eta < 2) prune.fail("eta", "an integer >= 2, the fraction 1/eta of points kept at each rung");
  spec.after_epoch = prune.get<int>("after_epoch", spec.after_epoch);
  if (spec.after_epoch < 1) prune.fail("after_epoch", "an epoch counting from 1");
  spec.min_finished = prune.get<int>("min_finished", spec.min_finished);
  if (spec.min_finished < 1) prune.fail("min_finished", "a positive number of points");
  return spec;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '_' || c == '-'; });
}

// '\0' after each string keeps ("ab", "c") apart from ("a", "bc").
std::uint64_t fnv1a(std::uint64_t hash, const std::string& text) {
  for (const unsigned char c : text + '\0') hash = (hash ^ c) * 0x100000001b3ULL;
  return hash;
}

}  // namespace

std::vector<std::string> Point::overrides() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : assignments) out.push_back(key + "=" + flow(value));
  return out;
}

std::string Point::label() const {
  std::string out;
  for (const auto& [key, value] : assignments) {
    std::string text = flow(value);
    for (auto at = text.find(", "); at != std::string::npos; at = text.find(", ", at)) text.erase(at + 1, 1);
    out += (out.empty() ? "" : " ") + key.substr(key.rfind('.') + 1) + "=" + text;
  }
  return out;
}

SweepSpec SweepSpec::load(const std::filesystem::path& file, const std::vector<std::string>& cli_sets) {
  Reading reading{file.string(), {}, {}};
  const std::string& source = reading.source;
  if (!std::filesystem::is_regular_file(file))
    throw ConfigError(source + ": no such sweep file (expected a YAML file)");
  const YAML::Node root = load_yaml_file(file);
  const Params top(root, "", source);
  top.only({"name", "topology", "base", "set", "grid", "zip", "random", "repeat", "prune"});
  const auto present = [&](const char* key) { return root.IsMap() && root[key]; };

  SweepSpec spec;
  spec.file = file;
  spec.name = top.get<std::string>("name", file.stem().string());
  if (!valid_name(spec.name)) {
    if (top.has("name")) top.fail("name", "a sweep name of letters, digits, '.', '_' and '-' (it names a folder)");
    throw ConfigError(source + ": the file's stem '" + spec.name +
                      "' cannot name a sweep folder; expected name: with letters, digits, '.', '_' and '-'");
  }
  if (top.has("topology")) spec.topology = top.get<std::string>("topology");
  const auto folder = std::filesystem::absolute(file).parent_path().lexically_normal();
  if (top.has("base")) {
    spec.base_config = (folder / top.get<std::string>("base")).lexically_normal();
    if (!std::filesystem::is_regular_file(*spec.base_config))
      throw ConfigError(source + ": base: " + spec.base_config->string() +
                        ": no such config file (expected a path relative to the sweep file)");
  }
  spec.prune = read_prune(top);

  const Params set = top.at("set");
  for (const auto& key : set.keys()) {
    check_key(source + ": " + set.path(key), key);
    claim(reading.claims, {key, source, set.path(key), true});
    spec.fixed_overrides.push_back(key + "=" + flow(set.node()[key]));
  }
  if (present("grid")) read_grid(reading, top);
  std::vector<std::string> fixed_cli;
  for (const auto& assignment : cli_sets)
    if (!read_cli_axis(reading, assignment)) fixed_cli.push_back(assignment);
  if (present("zip")) read_zip(reading, top);
  if (present("random")) read_random(reading, top);
  for (const auto& assignment : fixed_cli) {
    claim(reading.claims, {assignment.substr(0, assignment.find('=')), "--set " + assignment, "", true});
    spec.fixed_overrides.push_back(assignment);
  }
  const int repeat = top.get<int>("repeat", 1);
  if (repeat < 1) top.fail("repeat", "a positive number of seeds per point");
  if (repeat > 1) {
    claim(reading.claims, {"experiment.seed", source, "repeat"});
    Axis axis{{"experiment.seed"}, {}};
    for (int r = 0; r < repeat; ++r) axis.rows.push_back({YAML::Node(r + 1)});
    reading.axes.push_back(std::move(axis));
  }
  const auto& axes = reading.axes;
  if (axes.empty())
    throw ConfigError(source + ": expected at least one of grid, zip, random, a --set key=a,b axis or repeat > 1 "
                               "(a single configuration is one experiment: qlhost --set runs it)");

  std::size_t total = 1;
  for (const auto& axis : axes)
    if ((total *= axis.rows.size()) > kMaxPoints)
      throw ConfigError(source + ": expected at most " + std::to_string(kMaxPoints) + " points, the axes make more");
  // The base relative to the sweep file: moving the checkout keeps the fingerprint.
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  const auto base = spec.base_config ? spec.base_config->lexically_relative(folder).generic_string() : "";
  hash = fnv1a(hash, "base=" + base);
  for (const auto& fixed : spec.fixed_overrides) hash = fnv1a(hash, fixed);
  for (std::size_t i = 0; i < total; ++i) {
    Point point;
    point.index = static_cast<int>(i);
    std::vector<std::size_t> position(axes.size());
    for (std::size_t a = axes.size(), rest = i; a-- > 0; rest /= axes[a].rows.size())
      position[a] = rest % axes[a].rows.size();
    for (std::size_t a = 0; a < axes.size(); ++a)
      for (std::size_t k = 0; k < axes[a].keys.size(); ++k)
        point.assignments.emplace_back(axes[a].keys[k], YAML::Clone(axes[a].rows[position[a]][k]));
    if (repeat > 1) point.repeat = static_cast<int>(position.back());
    hash = fnv1a(hash, "point " + std::to_string(i));
    for (const auto& assignment : point.overrides()) hash = fnv1a(hash, assignment);
    spec.points.push_back(std::move(point));
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  spec.fingerprint = hex;
  return spec;
}

}  // namespace quantlab::sweep
