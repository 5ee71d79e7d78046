#pragma once
// Writes one TensorBoard event file: scalars, histograms and HParams records.
//
// Records are buffered whole and reach the file with fwrite + fflush on
// flush(), on destruction, when the buffer passes 1 MiB, or at the next add
// once 30 s have passed since the last flush, so TensorBoard sees
// progress and a crash can cut at most the last record short. Not copyable;
// safe to call from several threads.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "manager/tensorboard/HParamValue.h"

namespace quantlab::tensorboard {

class EventWriter {
 public:
  // Seconds since the Unix epoch; the default reads the system clock. Tests
  // pass a fixed clock to get reproducible bytes and file names.
  using WallClock = std::function<double()>;

  // Creates `directory` if missing and opens
  // `events.out.tfevents.<10-digit unix seconds>.<hostname><filename_suffix>`
  // in it, then writes Event{wall_time, file_version = "brain.Event:2"}. A file
  // of the same name (same second, host and suffix) is appended to, never
  // truncated. Throws StorageError when the folder or file cannot be made.
  explicit EventWriter(const std::filesystem::path& directory, const std::string& filename_suffix = "",
                       WallClock wall_clock = {});
  ~EventWriter();  // flushes; a failure there is logged, not thrown
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Stored as the float simple_value TensorBoard's scalar dashboard reads.
  void add_scalar(const std::string& tag, double value, std::int64_t step);

  // Non-finite values (NaN, +-inf) are skipped: they are
  // not counted in num, min, max, sum, sum_squares or any bucket. Bucket
  // limits are TensorBoard's default ones: +-1e-12 growing by x1.1 up to
  // 1e20, then +-DBL_MAX, and 0; bucket i counts limit[i-1] <= v < limit[i];
  // runs of empty buckets are merged into one (ending at the run's last
  // limit). With no finite value: num = min = max = sum = sum_squares = 0 and
  // one empty bucket ending at DBL_MAX.
  // (A tensor of any dtype and shape goes through manager/tensorboard/TensorHistogram.h.)
  void add_histogram(const std::string& tag, std::span<const double> values, std::int64_t step);

  // HParams records, all at step 0 with plugin "hparams" and version 0. By
  // TensorBoard's convention the experiment goes into the sweep's root folder
  // and each session (one training run) into its own run folder below it.
  void add_hparams_experiment(const std::vector<std::string>& hparam_names,
                              const std::vector<std::string>& metric_tags);
  // With each hyper-parameter's domain: the values it takes (a sweep's axis),
  // all numbers, all texts or all flags, which also sets its type.
  struct HParamDomain {
    std::string name;
    std::vector<HParamValue> values;
  };
  void add_hparams_experiment_with_domains(const std::vector<HParamDomain>& hparams,
                                           const std::vector<std::string>& metric_tags);
  void add_hparams_session_start(const std::map<std::string, HParamValue>& hparams,
                                 const std::string& group_name, double start_time_secs);
  void add_hparams_session_end(bool success, double end_time_secs);

  // Writes the buffered records; throws StorageError when the write fails.
  void flush();

  // One record: uint64 length (little-endian), uint32 masked CRC-32C of those
  // 8 bytes, the serialized Event, uint32 masked CRC-32C of it.
  static std::string encode_record(std::string_view serialized_event);

 private:
  void append_record(const std::string& serialized_event);
  void flush_locked();
  double now() const;

  std::filesystem::path path_;
  WallClock wall_clock_;
  struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  std::unique_ptr<std::FILE, FileCloser> file_;
  std::string buffer_;
  double last_flush_steady_seconds_ = 0.0;
  std::mutex mutex_;
};

}  // namespace quantlab::tensorboard
