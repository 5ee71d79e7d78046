#include "manager/logbook/Logbook.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include <sys/stat.h>
#include <sys/types.h>

#include "quantlab/AtomicFile.h"
#include "quantlab/Errors.h"

namespace quantlab {

namespace fs = std::filesystem;

namespace {

constexpr int kIdDigits = 4;
constexpr int kEpochDigits = 4;

std::string numbered_name(const std::string& prefix, int number, int digits,
                          const std::string& suffix) {
  assert(number >= 0);
  char text[32];
  std::snprintf(text, sizeof text, "%0*d", digits, number);
  return prefix + text + suffix;
}

// The number in prefix + digits + suffix, only in the canonical spelling that
// numbered_name() writes, so that "exp7" or "epoch00003.ckpt" are not mistaken
// for ours.
std::optional<int> parse_numbered_name(const std::string& name, const std::string& prefix,
                                       int digits, const std::string& suffix) {
  if (name.size() <= prefix.size() + suffix.size()) return std::nullopt;
  if (name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return std::nullopt;
  const std::string number = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (number.size() > 9) return std::nullopt;
  for (const char c : number)
    if (c < '0' || c > '9') return std::nullopt;
  const int value = std::stoi(number);
  if (numbered_name(prefix, value, digits, suffix) != name) return std::nullopt;
  return value;
}

// Numbers of the entries of `folder` that are folders (or files) named by the pattern, ascending.
std::vector<int> numbered_entries(const fs::path& folder, const std::string& prefix, int digits,
                                  const std::string& suffix, bool want_folders) {
  std::vector<int> numbers;
  std::error_code error;
  fs::directory_iterator entries(folder, error);
  if (error) {
    if (error == std::errc::no_such_file_or_directory) return numbers;
    throw StorageError("logbook: cannot list " + folder.string() + ": " + error.message());
  }
  for (const fs::directory_entry& entry : entries) {
    const std::optional<int> number =
        parse_numbered_name(entry.path().filename().string(), prefix, digits, suffix);
    if (!number) continue;
    const bool is_wanted_kind = want_folders ? entry.is_directory(error) : entry.is_regular_file(error);
    if (is_wanted_kind) numbers.push_back(*number);
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

// "exp0000..exp0003, exp0007": runs of consecutive ids shown by their ends.
std::string describe_ids(const std::vector<int>& ids) {
  if (ids.empty()) return "none";
  constexpr std::size_t kMaxRuns = 8;
  std::string text;
  std::size_t runs = 0;
  for (std::size_t begin = 0; begin < ids.size();) {
    std::size_t end = begin;
    while (end + 1 < ids.size() && ids[end + 1] == ids[end] + 1) ++end;
    if (runs == kMaxRuns) return text + ", ...";
    text += (runs ? ", " : "") + Logbook::experiment_name(ids[begin]);
    if (end > begin) text += ".." + Logbook::experiment_name(ids[end]);
    ++runs;
    begin = end + 1;
  }
  return text;
}

}  // namespace

Logbook::Logbook(fs::path logs_folder) : logs_folder_(std::move(logs_folder)) {
  std::error_code error;
  if (!fs::is_directory(logs_folder_, error))
    throw StorageError("logbook: logs folder " + logs_folder_.string() +
                       " is not an existing folder (make it with `qlhost problem init NAME`)");
}

std::string Logbook::experiment_name(int id) { return numbered_name("exp", id, kIdDigits, ""); }

std::optional<int> Logbook::parse_experiment_name(const std::string& name) {
  return parse_numbered_name(name, "exp", kIdDigits, "");
}

std::vector<int> Logbook::list_experiments() const {
  return numbered_entries(logs_folder_, "exp", kIdDigits, "", true);
}

int Logbook::create_experiment() const {
  const std::vector<int> existing = list_experiments();
  for (int id = existing.empty() ? 0 : existing.back() + 1;; ++id) {
    const fs::path folder = experiment_dir(id);
    if (::mkdir(folder.c_str(), 0777) == 0) return id;
    if (errno != EEXIST)
      throw StorageError("logbook: cannot make experiment folder " + folder.string() + ": " +
                         std::strerror(errno));
  }
}

fs::path Logbook::open_experiment(int id) const {
  if (id < 0)
    throw StorageError("experiment " + std::to_string(id) + " is not an id (expected 0 or more)");
  const fs::path folder = experiment_dir(id);
  std::error_code error;
  if (!fs::is_directory(folder, error))
    throw StorageError("experiment " + std::to_string(id) + " does not exist in " +
                       logs_folder_.string() + "; existing: " + describe_ids(list_experiments()));
  return folder;
}

fs::path Logbook::experiment_dir(int id) const { return logs_folder_ / experiment_name(id); }
fs::path Logbook::config_file(int id) const { return experiment_dir(id) / "config.yaml"; }
fs::path Logbook::log_file(int id) const { return experiment_dir(id) / "log.txt"; }

fs::path Logbook::fold_dir(int id, int fold) const {
  assert(fold >= 0);
  return experiment_dir(id) / ("fold" + std::to_string(fold));
}

fs::path Logbook::saves_dir(int id, int fold) const { return fold_dir(id, fold) / "saves"; }
fs::path Logbook::stats_dir(int id, int fold) const { return fold_dir(id, fold) / "stats"; }

fs::path Logbook::epoch_checkpoint(int id, int fold, int epoch) const {
  return saves_dir(id, fold) / numbered_name("epoch", epoch, kEpochDigits, ".ckpt");
}

fs::path Logbook::best_checkpoint(int id, int fold) const {
  return saves_dir(id, fold) / "best.ckpt";
}

void Logbook::make_fold_dirs(int id, int fold) const {
  for (const fs::path& folder : {saves_dir(id, fold), stats_dir(id, fold)}) {
    std::error_code error;
    fs::create_directories(folder, error);
    if (error)
      throw StorageError("logbook: cannot make folder " + folder.string() + ": " +
                         error.message());
  }
}

std::vector<int> Logbook::folds_present(int id) const {
  return numbered_entries(experiment_dir(id), "fold", 1, "", true);
}

std::vector<EpochCheckpoint> Logbook::list_epoch_checkpoints(int id, int fold) const {
  std::vector<EpochCheckpoint> checkpoints;
  for (const int epoch : numbered_entries(saves_dir(id, fold), "epoch", kEpochDigits, ".ckpt", false))
    checkpoints.push_back({epoch, epoch_checkpoint(id, fold, epoch)});
  return checkpoints;
}

std::optional<EpochCheckpoint> Logbook::latest_epoch_checkpoint(int id, int fold) const {
  std::vector<EpochCheckpoint> checkpoints = list_epoch_checkpoints(id, fold);
  if (checkpoints.empty()) return std::nullopt;
  return checkpoints.back();
}

std::vector<fs::path> Logbook::remove_stale_temp_files(int id) const {
  return quantlab::remove_stale_temp_files(experiment_dir(id));
}

}  // namespace quantlab
