#pragma once
// The experiments of one problem, in its logs folder:
//   expNNNN/config.yaml               the configuration snapshot (with the drawn seed)
//   expNNNN/log.txt                   the text log of every run of the experiment
//   expNNNN/foldK/saves/epochNNNN.ckpt, best.ckpt
//   expNNNN/foldK/stats/              TensorBoard event files
// Ids start at 0 (exp0000) and a new one is the largest existing id + 1, as in
// the original; past 9999 names simply grow a digit (exp10000).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace quantlab {

struct EpochCheckpoint {
  int epoch;
  std::filesystem::path file;
};

class Logbook {
 public:
  // Throws StorageError unless logs_folder is an existing folder.
  explicit Logbook(std::filesystem::path logs_folder);

  const std::filesystem::path& logs_folder() const { return logs_folder_; }

  static std::string experiment_name(int id);  // 7 -> "exp0007"
  // The id of a canonical experiment name ("exp0007" -> 7; "exp7", "exp00007" -> none).
  static std::optional<int> parse_experiment_name(const std::string& name);

  // Makes the folder of a new experiment and returns its id. Safe against
  // other threads and processes doing the same: mkdir either makes a folder or
  // finds it taken, and a taken id moves on to the next.
  int create_experiment() const;
  // The experiment's folder; StorageError naming the existing ids if it has none.
  std::filesystem::path open_experiment(int id) const;
  // Ids of the expNNNN folders, ascending; other entries are ignored.
  std::vector<int> list_experiments() const;

  std::filesystem::path experiment_dir(int id) const;
  std::filesystem::path config_file(int id) const;  // expNNNN/config.yaml
  std::filesystem::path log_file(int id) const;     // expNNNN/log.txt
  std::filesystem::path fold_dir(int id, int fold) const;   // expNNNN/foldK
  std::filesystem::path saves_dir(int id, int fold) const;  // expNNNN/foldK/saves
  std::filesystem::path stats_dir(int id, int fold) const;  // expNNNN/foldK/stats
  std::filesystem::path epoch_checkpoint(int id, int fold, int epoch) const;  // saves/epochNNNN.ckpt
  std::filesystem::path best_checkpoint(int id, int fold) const;              // saves/best.ckpt

  // Makes foldK/saves and foldK/stats.
  void make_fold_dirs(int id, int fold) const;
  // Folds with a foldK folder, ascending.
  std::vector<int> folds_present(int id) const;
  // epochNNNN.ckpt files of a fold, ascending by epoch; temporaries and other
  // names are ignored.
  std::vector<EpochCheckpoint> list_epoch_checkpoints(int id, int fold) const;
  std::optional<EpochCheckpoint> latest_epoch_checkpoint(int id, int fold) const;
  // Temporaries left in the experiment by writers that were killed; returns what it removed.
  std::vector<std::filesystem::path> remove_stale_temp_files(int id) const;

 private:
  std::filesystem::path logs_folder_;
};

}  // namespace quantlab
