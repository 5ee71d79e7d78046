#pragma once
// One experiment, one writer: training holds an exclusive lock (flock) on
// expNNNN/.writer.lock for as long as it runs. The kernel releases it when the
// process ends, however it ends, so a killed run never leaves a stale lock.
// Readers (--mode test, compare, report) take no lock.
#include <filesystem>

namespace quantlab {

class ExperimentLock {
 public:
  // Takes the lock of the experiment folder `experiment_dir` and records
  // "host:pid" in it; throws StorageError naming the holder when another
  // process has it, or naming the file when it cannot be made.
  explicit ExperimentLock(const std::filesystem::path& experiment_dir);
  ~ExperimentLock();
  ExperimentLock(const ExperimentLock&) = delete;
  ExperimentLock& operator=(const ExperimentLock&) = delete;

  static std::filesystem::path file(const std::filesystem::path& experiment_dir) {
    return experiment_dir / ".writer.lock";
  }

 private:
  int fd_ = -1;
};

}  // namespace quantlab
