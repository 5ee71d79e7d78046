#pragma once
// Where a problem's data and logs physically live. The QuantLab home holds
// storage/hard_folders.yaml, which maps `data` to fast storage (SSD) and `logs`
// to large storage (HDD); each problem's problems/NAME/data and
// problems/NAME/logs in the home are links to <hard>/QuantLab/problems/NAME/...
// (the original's cfg/storage.sh and cfg/problem.sh).
//
// Every method that touches the disk returns one-line notices of what it made
// or chose, for the host to print; it never deletes anything.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace quantlab {

struct ProblemDirs {
  std::filesystem::path data;  // <home>/problems/NAME/data
  std::filesystem::path logs;  // <home>/problems/NAME/logs
  std::vector<std::string> notices;
};

class StorageMap {
 public:
  // Reads <home>/storage/hard_folders.yaml; without it both hard folders are
  // <home>/storage/local. Throws StorageError if the home is not a folder and
  // ConfigError (naming the file, and the key or line) for a bad map.
  explicit StorageMap(const std::filesystem::path& home);

  const std::filesystem::path& home() const { return home_; }
  std::filesystem::path map_file() const;
  const std::filesystem::path& data_hard_folder() const { return data_hard_; }
  const std::filesystem::path& logs_hard_folder() const { return logs_hard_; }
  bool uses_local_default() const { return uses_local_default_; }
  // Set only when there is no map file:
  //   "storage: no storage/hard_folders.yaml in <home>; data and logs go to <home>/storage/local"
  std::optional<std::string> default_notice() const;

  // storage.sh: makes <hard>/QuantLab/problems on both hard folders. A hard
  // folder named by the map must already exist (it is a mount point):
  // StorageError naming it and its key otherwise. The local default is made.
  std::vector<std::string> init() const;

  // problem.sh: init(), then the real <data_hard>/QuantLab/problems/NAME/data
  // and <logs_hard>/QuantLab/problems/NAME/logs, and the links to them in
  // <home>/problems/NAME/. Idempotent. A link pointing elsewhere is a
  // StorageError; a real folder in place of a link is used as it is (and said).
  // ConfigError for a name other than letters, digits, '_' and '-'.
  std::vector<std::string> init_problem(const std::string& name) const;

  // The home's problems/NAME/data and problems/NAME/logs, made first where
  // missing, so that first use just works; notices say what was made, led by
  // default_notice() when something was made on the local default.
  ProblemDirs problem_dirs(const std::string& name) const;

  std::filesystem::path problem_folder(const std::string& name) const;     // <home>/problems/NAME
  std::filesystem::path real_data_folder(const std::string& name) const;   // <data_hard>/QuantLab/problems/NAME/data
  std::filesystem::path real_logs_folder(const std::string& name) const;   // <logs_hard>/QuantLab/problems/NAME/logs

  static void validate_problem_name(const std::string& name);

 private:
  void ensure_hard_folder(const std::string& key, const std::filesystem::path& folder,
                          std::vector<std::string>& notices) const;
  void link_problem_folder(const std::string& name, const std::string& kind,
                           const std::filesystem::path& target,
                           std::vector<std::string>& notices) const;

  std::filesystem::path home_;
  std::filesystem::path data_hard_;
  std::filesystem::path logs_hard_;
  bool uses_local_default_ = false;
};

}  // namespace quantlab
