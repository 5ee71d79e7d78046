#pragma once
// The record of one sweep: which point became which experiment and how it
// stands. `qlhost sweep` writes it (atomically, under a lock, since --jobs
// runs points at once); compare and report read it.
//   <problem logs>/sweeps/<name>/index.yaml
// A point that says `running` is alive only while its heartbeat is fresh: a
// sweep killed with its points leaves `running` entries whose heartbeat
// stops, and they read as dead.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace quantlab::sweep {

enum class PointStatus { Pending, Running, Done, Failed, Pruned };
std::string status_name(PointStatus status);  // "pending", ...

struct PointRecord {
  int point = 0;
  int repeat = 0;
  // Dotted config keys and their values, in the sweep's order.
  std::vector<std::pair<std::string, YAML::Node>> assignments;
  std::optional<int> exp_id;
  PointStatus status = PointStatus::Pending;
  std::int64_t heartbeat = 0;  // unix seconds of the last sign of life while running
  std::string owner;           // "host:pid" of the sweep process running it
  std::string message;         // why it failed or was pruned

  // Running, and either its heartbeat is older than `stale_after` seconds at
  // `now` or its owner was a process of this host that no longer exists.
  bool dead(std::int64_t now, std::int64_t stale_after = kStaleAfterSeconds) const;
  static constexpr std::int64_t kStaleAfterSeconds = 30;
};

struct SweepIndex {
  static constexpr int kFormat = 1;
  std::string name;
  std::string file;         // the sweep file it was expanded from
  std::string fingerprint;  // of the expanded points: a changed sweep file shows here
  std::string topology;
  std::vector<PointRecord> points;

  // <logs>/sweeps/<name>/index.yaml
  static std::filesystem::path path(const std::filesystem::path& logs_folder, const std::string& name);
  // The names of the sweeps with an index under <logs>/sweeps, sorted.
  static std::vector<std::string> list(const std::filesystem::path& logs_folder);

  // Throws StorageError naming the file if it is not a sweep index of this format.
  static SweepIndex read(const std::filesystem::path& file);
  // Written to a temporary file and renamed over `file`.
  void write(const std::filesystem::path& file) const;
};

// Holds an exclusive lock on <index>.lock for its lifetime (flock), so that
// processes updating one index take turns: read, change, write under it.
class IndexLock {
 public:
  explicit IndexLock(const std::filesystem::path& index_file);
  ~IndexLock();
  IndexLock(const IndexLock&) = delete;
  IndexLock& operator=(const IndexLock&) = delete;

 private:
  int fd_ = -1;
};

// "host:pid" of this process, as PointRecord::owner says it.
std::string this_owner();

}  // namespace quantlab::sweep
