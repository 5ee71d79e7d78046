#pragma once
// Reads a TensorBoard event file back: what tests and reports need to check
// that a run logged what it should.
//
// Every record's two CRCs are verified. A bad CRC or an undecodable event
// throws DataError naming the file and the record's byte offset. A file that
// ends inside a record (a writer killed mid-write) is not an error: the
// complete records before it are kept and truncated_tail_offset() says where
// the cut record starts.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manager/tensorboard/HParamValue.h"

namespace quantlab::tensorboard {

struct ScalarPoint {
  std::string tag;
  std::int64_t step = 0;
  double wall_time = 0.0;
  double value = 0.0;
};

struct HistogramPoint {
  std::string tag;
  std::int64_t step = 0;
  double wall_time = 0.0;
  double min = 0.0, max = 0.0, num = 0.0, sum = 0.0, sum_squares = 0.0;
  std::vector<double> bucket_limits;
  std::vector<double> bucket_counts;
};

struct HParamsRecord {
  enum class Kind { Experiment, SessionStart, SessionEnd };
  Kind kind = Kind::Experiment;
  std::string tag;
  std::int64_t step = 0;
  double wall_time = 0.0;
  int plugin_data_version = 0;
  // Kind::Experiment
  std::vector<std::string> hparam_names;
  std::vector<std::string> metric_tags;
  // Kind::SessionStart
  std::map<std::string, HParamValue> hparams;
  std::string group_name;
  double start_time_secs = 0.0;
  // Kind::SessionEnd
  bool success = false;
  double end_time_secs = 0.0;
};

class EventReader {
 public:
  // Reads and checks the whole file; throws DataError (see above).
  explicit EventReader(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  const std::string& file_version() const { return file_version_; }  // "" if no such record
  std::size_t record_count() const { return record_count_; }        // complete records
  std::optional<std::uint64_t> truncated_tail_offset() const { return truncated_tail_offset_; }

  // In file order.
  const std::vector<ScalarPoint>& scalars() const { return scalars_; }
  std::vector<ScalarPoint> scalars(const std::string& tag) const;
  const std::vector<HistogramPoint>& histograms() const { return histograms_; }
  const std::vector<HParamsRecord>& hparams() const { return hparams_; }

  static std::vector<ScalarPoint> read_scalars(const std::filesystem::path& path);

  // Files whose name contains "tfevents" under `directory`, recursively,
  // sorted by path; empty when the folder does not exist.
  static std::vector<std::filesystem::path> find_event_files(const std::filesystem::path& directory);

 private:
  void decode_event(const std::string& serialized_event, std::uint64_t offset);

  std::filesystem::path path_;
  std::string file_version_;
  std::size_t record_count_ = 0;
  std::optional<std::uint64_t> truncated_tail_offset_;
  std::vector<ScalarPoint> scalars_;
  std::vector<HistogramPoint> histograms_;
  std::vector<HParamsRecord> hparams_;
};

}  // namespace quantlab::tensorboard
