#include "manager/storage/StorageMap.h"

#include <cstdlib>
#include <system_error>

#include <yaml-cpp/yaml.h>

#include "manager/config/Yaml.h"
#include "quantlab/Errors.h"
#include "quantlab/Params.h"

namespace quantlab {

namespace fs = std::filesystem;

namespace {

const char* const kMapFile = "storage/hard_folders.yaml";
const char* const kLocalDefault = "storage/local";

// Normal form without a trailing separator, so that "a/b/" and "a/b" compare equal.
fs::path clean(const fs::path& path) {
  fs::path out = path.lexically_normal();
  if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();
  return out;
}

std::string as_text(const fs::path& path) { return path.string(); }

// Creates the folder and its parents; true when the folder itself was made.
bool make_folder(const fs::path& folder, std::vector<std::string>& notices) {
  std::error_code error;
  const bool made = fs::create_directories(folder, error);
  if (error)
    throw StorageError("storage: cannot make folder " + as_text(folder) + ": " + error.message());
  if (made) notices.push_back("storage: made " + as_text(folder));
  return made;
}

fs::path resolve_hard_folder(const Params& map, const std::string& key, const fs::path& home) {
  const std::string value = map.get<std::string>(key);
  if (value.empty()) map.fail(key, "a folder path, absolute or relative to the QuantLab home");
  // "~" alone is YAML's null; "~/x" would otherwise become a folder named "~" in the home.
  if (value.rfind("~/", 0) == 0) {
    const char* user_home = std::getenv("HOME");
    if (user_home == nullptr || *user_home == '\0')
      map.fail(key, "a path without ~ (HOME is not set)");
    return clean(fs::path(user_home) / value.substr(2));
  }
  const fs::path path(value);
  return clean(path.is_absolute() ? path : home / path);
}

// Whether a link's stored target (possibly relative to the link's folder) is `expected`.
bool points_to(const fs::path& link, const fs::path& stored_target, const fs::path& expected) {
  const fs::path resolved =
      stored_target.is_absolute() ? stored_target : link.parent_path() / stored_target;
  if (clean(resolved) == clean(expected)) return true;
  std::error_code error;
  return fs::equivalent(resolved, expected, error) && !error;
}

}  // namespace

StorageMap::StorageMap(const fs::path& home) : home_(clean(fs::absolute(home))) {
  std::error_code error;
  if (!fs::is_directory(home_, error))
    throw StorageError("storage: QuantLab home " + as_text(home_) + " is not an existing folder");

  const fs::path file = map_file();
  if (!fs::exists(file, error)) {
    uses_local_default_ = true;
    data_hard_ = logs_hard_ = home_ / kLocalDefault;
    return;
  }

  const YAML::Node root = load_yaml_file(file);
  const Params map(root, "", file.string());
  map.only({"data", "logs"});
  data_hard_ = resolve_hard_folder(map, "data", home_);
  logs_hard_ = resolve_hard_folder(map, "logs", home_);
}

fs::path StorageMap::map_file() const { return home_ / kMapFile; }

std::optional<std::string> StorageMap::default_notice() const {
  if (!uses_local_default_) return std::nullopt;
  return "storage: no " + std::string(kMapFile) + " in " + as_text(home_) +
         "; data and logs go to " + as_text(home_ / kLocalDefault);
}

fs::path StorageMap::problem_folder(const std::string& name) const {
  return home_ / "problems" / name;
}

fs::path StorageMap::real_data_folder(const std::string& name) const {
  return data_hard_ / "QuantLab" / "problems" / name / "data";
}

fs::path StorageMap::real_logs_folder(const std::string& name) const {
  return logs_hard_ / "QuantLab" / "problems" / name / "logs";
}

void StorageMap::validate_problem_name(const std::string& name) {
  bool valid = !name.empty();
  for (const char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-';
    valid = valid && allowed;
  }
  if (!valid)
    throw ConfigError("problem name \"" + name +
                      "\": expected a non-empty name of letters, digits, '_' and '-'");
}

void StorageMap::ensure_hard_folder(const std::string& key, const fs::path& folder,
                                    std::vector<std::string>& notices) const {
  if (uses_local_default_) {
    make_folder(folder, notices);
    return;
  }
  std::error_code error;
  const fs::file_status status = fs::status(folder, error);
  if (!fs::exists(status))
    throw StorageError(as_text(map_file()) + ": " + key + ": hard folder " + as_text(folder) +
                       " does not exist; mount it or change the map (QuantLab does not make it)");
  if (!fs::is_directory(status))
    throw StorageError(as_text(map_file()) + ": " + key + ": hard folder " + as_text(folder) +
                       " is not a folder");
}

std::vector<std::string> StorageMap::init() const {
  std::vector<std::string> notices;
  ensure_hard_folder("data", data_hard_, notices);
  ensure_hard_folder("logs", logs_hard_, notices);
  make_folder(data_hard_ / "QuantLab" / "problems", notices);
  make_folder(logs_hard_ / "QuantLab" / "problems", notices);
  return notices;
}

void StorageMap::link_problem_folder(const std::string& name, const std::string& kind,
                                     const fs::path& target,
                                     std::vector<std::string>& notices) const {
  const fs::path link = problem_folder(name) / kind;
  // A second pass only when another process made the link between our look and our symlink().
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::error_code error;
    const fs::file_status status = fs::symlink_status(link, error);
    if (fs::is_symlink(status)) {
      const fs::path stored_target = fs::read_symlink(link, error);
      if (error)
        throw StorageError("storage: cannot read link " + as_text(link) + ": " + error.message());
      if (!points_to(link, stored_target, target))
        throw StorageError("storage: " + as_text(link) + " is a link to " + as_text(stored_target) +
                           ", but the storage map puts problem " + name + "'s " + kind + " in " +
                           as_text(target) +
                           "; QuantLab deletes nothing: move the files and fix the link yourself");
      make_folder(target, notices);  // the real folder may have been removed since
      return;
    }
    if (fs::exists(status)) {
      if (!fs::is_directory(status))
        throw StorageError("storage: " + as_text(link) +
                           " exists and is neither a folder nor a link; expected a link to " +
                           as_text(target));
      notices.push_back("storage: " + as_text(link) + " is a real folder, not a link to " +
                        as_text(target) + "; using it as it is");
      return;
    }
    make_folder(target, notices);
    make_folder(link.parent_path(), notices);
    fs::create_directory_symlink(target, link, error);
    if (!error) {
      notices.push_back("storage: linked " + as_text(link) + " -> " + as_text(target));
      return;
    }
    if (error != std::errc::file_exists)
      throw StorageError("storage: cannot make link " + as_text(link) + " -> " + as_text(target) +
                         ": " + error.message());
  }
  throw StorageError("storage: " + as_text(link) + " keeps changing while QuantLab links it");
}

std::vector<std::string> StorageMap::init_problem(const std::string& name) const {
  validate_problem_name(name);
  std::vector<std::string> notices = init();
  link_problem_folder(name, "data", real_data_folder(name), notices);
  link_problem_folder(name, "logs", real_logs_folder(name), notices);
  return notices;
}

ProblemDirs StorageMap::problem_dirs(const std::string& name) const {
  ProblemDirs dirs;
  dirs.notices = init_problem(name);
  // First use on the local default: say why things appeared there.
  if (uses_local_default_ && !dirs.notices.empty())
    dirs.notices.insert(dirs.notices.begin(), *default_notice());
  dirs.data = problem_folder(name) / "data";
  dirs.logs = problem_folder(name) / "logs";
  return dirs;
}

}  // namespace quantlab
