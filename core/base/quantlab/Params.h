#pragma once
// Typed, path-aware access to one map of a YAML configuration. Every failure
// names the file, the dotted key and what was expected, e.g.
//   configs/fashionmnist/SimpleCNN.yaml: network.params.width: expected an integer, got "wide"
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "quantlab/Errors.h"

namespace quantlab {

// What a value of type T looks like, in words for error messages.
template <typename T> struct ExpectedValue;
template <> struct ExpectedValue<int> { static std::string text() { return "an integer"; } };
template <> struct ExpectedValue<std::int64_t> { static std::string text() { return "an integer"; } };
template <> struct ExpectedValue<double> { static std::string text() { return "a finite number"; } };
template <> struct ExpectedValue<float> { static std::string text() { return "a finite number"; } };
template <> struct ExpectedValue<bool> { static std::string text() { return "true or false"; } };
template <> struct ExpectedValue<std::string> { static std::string text() { return "a string"; } };
template <typename T> struct ExpectedValue<std::vector<T>> {
  static std::string text() { return "a list of values, each " + ExpectedValue<T>::text(); }
};
template <typename K, typename V> struct ExpectedValue<std::map<K, V>> {
  static std::string text() {
    return "a map from " + ExpectedValue<K>::text() + " to " + ExpectedValue<V>::text();
  }
};

class Params {
 public:
  // node: a map or null (treated as an empty map); path: dotted key of the
  // node ("" at the top); source: the file (or description) it came from.
  Params(YAML::Node node, std::string path, std::string source);
  // Rebinds: yaml-cpp's own Node assignment would overwrite the node referred to.
  Params(const Params& other) = default;
  Params& operator=(const Params& other) {
    node_.reset(other.node_);
    path_ = other.path_;
    source_ = other.source_;
    return *this;
  }

  bool has(const std::string& key) const;
  std::vector<std::string> keys() const;

  template <typename T> T get(const std::string& key) const {
    if (!has(key)) fail(key, "a value for this required key, found none");
    return convert<T>(key);
  }
  template <typename T> T get(const std::string& key, const T& fallback) const {
    return has(key) ? convert<T>(key) : fallback;
  }
  // A sub-map; an absent or null key gives an empty one.
  Params at(const std::string& key) const;

  // The list under `key` as one Params per element, each named key[i] in
  // errors; none when the key is absent. Anything but a list of maps fails
  // with `expected`.
  std::vector<Params> maps(const std::string& key, const std::string& expected) const;

  // Refuses any key not listed, naming it.
  void only(std::initializer_list<std::string> allowed) const;
  void only(const std::vector<std::string>& allowed) const;

  const YAML::Node& node() const { return node_; }
  const std::string& source() const { return source_; }
  std::string path(const std::string& key) const;
  // One line: "<source>: <path.key>: expected <expected>[, got <value>]".
  [[noreturn]] void fail(const std::string& key, const std::string& expected) const;

 private:
  template <typename T> T convert(const std::string& key) const {
    const YAML::Node value = node_[key];
    try {
      if constexpr (std::is_same_v<T, bool> || std::is_arithmetic_v<T>) {
        if (!value.IsScalar()) fail(key, ExpectedValue<T>::text());
      }
      const T converted = value.as<T>();
      // .inf and .nan parse as numbers, but nothing trains on them.
      if constexpr (std::is_floating_point_v<T>) {
        if (!std::isfinite(converted)) fail(key, ExpectedValue<T>::text());
      }
      return converted;
    } catch (const YAML::Exception&) {
      fail(key, ExpectedValue<T>::text());
    }
  }

  YAML::Node node_;
  std::string path_;
  std::string source_;
};

}  // namespace quantlab
