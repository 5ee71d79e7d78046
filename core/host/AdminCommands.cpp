// `qlhost storage init`, `qlhost problem init NAME`, `qlhost plugin info PATH`.
#include <iostream>

#include <boost/program_options.hpp>
#include <torch/cuda.h>

#include "host/Commands.h"
#include "quantlab/BuildConfig.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/storage/StorageMap.h"
#include "quantlab/Plugin.h"

namespace po = boost::program_options;

namespace quantlab {

namespace {

// Parses `ACTION [POSITIONAL] [--home DIR]`; returns false after printing help.
bool parse_admin(const Arguments& arguments, const std::string& usage, const std::string& action,
                 const std::string& positional, std::string& value, std::string* home) {
  po::options_description description("usage: qlhost " + usage);
  description.add_options()("help,h", "this help");
  if (home) description.add_options()("home", po::value(home), "QuantLab home (default $QUANTLAB_HOME, else .)");
  po::options_description hidden;
  hidden.add_options()("action", po::value<std::string>())("value", po::value(&value));
  po::options_description all;
  all.add(description).add(hidden);
  po::positional_options_description positions;
  positions.add("action", 1).add("value", positional.empty() ? 0 : 1);
  po::variables_map values;
  po::store(po::command_line_parser(arguments).options(all).positional(positions).run(), values);
  if (values.count("help")) {
    std::cout << description;
    return false;
  }
  po::notify(values);
  const std::string given = values.count("action") ? values["action"].as<std::string>() : "";
  if (given != action) throw ConfigError("qlhost " + usage + ": expected `" + action + "`, got `" + given + "`");
  if (!positional.empty() && value.empty()) throw ConfigError("qlhost " + usage + ": expected " + positional);
  return true;
}

}  // namespace

int storage_command(const Arguments& arguments) {
  std::string unused, home;
  if (!parse_admin(arguments, "storage init [--home DIR]", "init", "", unused, &home)) return 0;
  const StorageMap storage(resolve_home(home));
  if (auto notice = storage.default_notice()) std::cout << *notice << "\n";
  for (const auto& line : storage.init()) std::cout << line << "\n";
  std::cout << "storage: data on " << storage.data_hard_folder().string() << ", logs on "
            << storage.logs_hard_folder().string() << "\n";
  return 0;
}

int problem_command(const Arguments& arguments) {
  std::string name, home;
  if (!parse_admin(arguments, "problem init NAME [--home DIR]", "init", "NAME", name, &home)) return 0;
  const StorageMap storage(resolve_home(home));
  if (auto notice = storage.default_notice()) std::cout << *notice << "\n";
  for (const auto& line : storage.init_problem(name)) std::cout << line << "\n";
  std::cout << "problem " << name << ": data in " << (storage.problem_folder(name) / "data").string()
            << ", logs in " << (storage.problem_folder(name) / "logs").string() << "\n";
  return 0;
}

int plugin_command(const Arguments& arguments) {
  std::string path;
  if (!parse_admin(arguments, "plugin info PATH", "info", "PATH", path, nullptr)) return 0;
  const LoadedPlugin plugin = load_plugin(path);
  std::cout << "plugin:   " << plugin.path.string() << "\n"
            << "problem:  " << plugin.name << " " << plugin.version << "\n"
            << "ABI:      descriptor layout " << plugin.abi_version << ", headers " << plugin.headers_hash
            << " (equal to qlhost's; built with " QUANTLAB_COMPILER ", " QUANTLAB_STANDARD_LIBRARY ")\n"
            << "LibTorch: " << plugin.torch_version << " (qlhost: LibTorch " << TORCH_VERSION << ", "
            << (QUANTLAB_WITH_CUDA ? "built with CUDA " QUANTLAB_TORCH_CUDA : "built CPU-only") << ", "
            << static_cast<int>(torch::cuda::device_count()) << " GPU(s) visible)\n"
            << "topologies:\n";
  for (const auto& topology : plugin.problem->topologies()) {
    std::cout << "  " << topology->name();
    const auto recipes = topology->recipes();
    std::cout << "  recipes: ";
    if (recipes.empty()) std::cout << "(none)";
    for (size_t i = 0; i < recipes.size(); ++i) std::cout << (i ? ", " : "") << recipes[i];
    std::cout << "\n";
  }
  return 0;
}

}  // namespace quantlab
