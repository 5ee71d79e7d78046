#pragma once
// Reading the YAML files a user writes (configs, sweeps, the storage map) and
// --set values. Every error is a ConfigError naming the file and the line.
#include <filesystem>
#include <string>

#include <yaml-cpp/yaml.h>

namespace quantlab {

// Parses YAML text. Malformed YAML, and a key given twice in one mapping
// (yaml-cpp would keep the first silently), are ConfigErrors naming `source`
// and the line(s).
YAML::Node parse_yaml(const std::string& text, const std::string& source);

// The same for a file; one that is missing, unreadable or a folder is a
// ConfigError naming it.
YAML::Node load_yaml_file(const std::filesystem::path& file);

}  // namespace quantlab
