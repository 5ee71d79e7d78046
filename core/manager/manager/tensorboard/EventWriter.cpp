#include "manager/tensorboard/EventWriter.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstring>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <spdlog/spdlog.h>

#include "manager/tensorboard/proto/event.pb.h"
#include "manager/tensorboard/proto/hparams.pb.h"
#include "manager/tensorboard/Crc32c.h"
#include "quantlab/Clock.h"
#include "quantlab/Errors.h"

namespace quantlab::tensorboard {
namespace {

constexpr std::size_t kFlushBufferBytes = 1 << 20;
constexpr double kFlushIntervalSeconds = 30.0;

double steady_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

std::string event_file_name(double wall_time, const std::string& suffix) {
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%010lld", static_cast<long long>(std::floor(wall_time)));
  return std::string("events.out.tfevents.") + seconds + "." + host_name() + suffix;
}

// TensorBoard's default histogram bucket limits (see add_histogram).
const std::vector<double>& default_bucket_limits() {
  static const std::vector<double> limits = [] {
    std::vector<double> positive;
    for (double limit = 1.0e-12; limit < 1.0e20; limit *= 1.1) positive.push_back(limit);
    positive.push_back(DBL_MAX);
    std::vector<double> all;
    all.reserve(2 * positive.size() + 1);
    for (auto it = positive.rbegin(); it != positive.rend(); ++it) all.push_back(-*it);
    all.push_back(0.0);
    all.insert(all.end(), positive.begin(), positive.end());
    return all;
  }();
  return limits;
}

HistogramProto make_histogram(std::span<const double> values) {
  const double* data = values.data();
  const auto count = static_cast<std::int64_t>(values.size());

  const std::vector<double>& limits = default_bucket_limits();
  std::vector<double> counts(limits.size(), 0.0);
  double num = 0.0, sum = 0.0, sum_squares = 0.0;
  double min = DBL_MAX, max = -DBL_MAX;
  for (std::int64_t i = 0; i < count; ++i) {
    const double value = data[i];
    if (!std::isfinite(value)) continue;
    num += 1.0;
    sum += value;
    sum_squares += value * value;
    min = std::min(min, value);
    max = std::max(max, value);
    auto bucket = std::upper_bound(limits.begin(), limits.end(), value) - limits.begin();
    counts[std::min<std::size_t>(bucket, limits.size() - 1)] += 1.0;  // DBL_MAX itself
  }

  HistogramProto histogram;
  histogram.set_num(num);
  histogram.set_sum(sum);
  histogram.set_sum_squares(sum_squares);
  histogram.set_min(num > 0 ? min : 0.0);
  histogram.set_max(num > 0 ? max : 0.0);
  for (std::size_t i = 0; i < limits.size();) {
    double limit = limits[i];
    const double bucket_count = counts[i++];
    if (bucket_count == 0.0) {
      while (i < limits.size() && counts[i] == 0.0) limit = limits[i++];
    }
    histogram.add_bucket_limit(limit);
    histogram.add_bucket(bucket_count);
  }
  return histogram;
}

// Map order in serialized protobuf is unspecified; fixing it makes files reproducible.
std::string serialize_deterministic(const google::protobuf::MessageLite& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

google::protobuf::Value to_protobuf_value(const HParamValue& value) {
  google::protobuf::Value result;
  if (value.is_number()) result.set_number_value(value.number());
  else if (value.is_text()) result.set_string_value(value.text());
  else result.set_bool_value(value.flag());
  return result;
}

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFu));
}

}  // namespace

EventWriter::EventWriter(const std::filesystem::path& directory, const std::string& filename_suffix,
                         WallClock wall_clock)
    : wall_clock_(wall_clock ? std::move(wall_clock) : WallClock(unix_time)) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    throw StorageError("cannot create TensorBoard folder " + directory.string() + ": " + error.message());
  }
  const double wall_time = now();
  path_ = directory / event_file_name(wall_time, filename_suffix);
  file_.reset(std::fopen(path_.c_str(), "ab"));
  if (!file_) {
    throw StorageError("cannot open TensorBoard event file " + path_.string() + ": " + std::strerror(errno));
  }
  Event event;
  event.set_wall_time(wall_time);
  event.set_file_version("brain.Event:2");
  std::lock_guard<std::mutex> lock(mutex_);
  append_record(event.SerializeAsString());
  flush_locked();
}

EventWriter::~EventWriter() {
  try {
    std::lock_guard<std::mutex> lock(mutex_);
    flush_locked();
  } catch (const std::exception& error) {
    spdlog::warn("{}", error.what());
  }
}

double EventWriter::now() const { return wall_clock_(); }

std::string EventWriter::encode_record(std::string_view serialized_event) {
  std::string record;
  record.reserve(serialized_event.size() + 16);
  put_le(record, serialized_event.size(), 8);
  put_le(record, masked_crc32c(record), 4);
  record.append(serialized_event);
  put_le(record, masked_crc32c(serialized_event), 4);
  return record;
}

void EventWriter::add_scalar(const std::string& tag, double value, std::int64_t step) {
  Event event;
  event.set_wall_time(now());
  event.set_step(step);
  Summary::Value* summary_value = event.mutable_summary()->add_value();
  summary_value->set_tag(tag);
  summary_value->set_simple_value(static_cast<float>(value));
  std::lock_guard<std::mutex> lock(mutex_);
  append_record(event.SerializeAsString());
}

void EventWriter::add_histogram(const std::string& tag, std::span<const double> values, std::int64_t step) {
  Event event;
  event.set_wall_time(now());
  event.set_step(step);
  Summary::Value* summary_value = event.mutable_summary()->add_value();
  summary_value->set_tag(tag);
  *summary_value->mutable_histo() = make_histogram(values);
  std::lock_guard<std::mutex> lock(mutex_);
  append_record(event.SerializeAsString());
}

namespace {

// TensorBoard reads HParams from the metadata alone; the value stays empty as
// in TensorBoard's own writers.
std::string hparams_event(double wall_time, const std::string& tag, const HParamsPluginData& plugin_data) {
  Event event;
  event.set_wall_time(wall_time);
  event.set_step(0);
  Summary::Value* summary_value = event.mutable_summary()->add_value();
  summary_value->set_tag(tag);
  SummaryMetadata::PluginData* metadata = summary_value->mutable_metadata()->mutable_plugin_data();
  metadata->set_plugin_name("hparams");
  metadata->set_content(serialize_deterministic(plugin_data));
  return event.SerializeAsString();
}

}  // namespace

void EventWriter::add_hparams_experiment(const std::vector<std::string>& hparam_names,
                                         const std::vector<std::string>& metric_tags) {
  std::vector<HParamDomain> hparams;
  for (const std::string& name : hparam_names) hparams.push_back({name, {}});
  add_hparams_experiment_with_domains(hparams, metric_tags);
}

void EventWriter::add_hparams_experiment_with_domains(const std::vector<HParamDomain>& hparams,
                                                      const std::vector<std::string>& metric_tags) {
  constexpr int kString = 1, kBool = 2, kFloat64 = 3;
  HParamsPluginData plugin_data;
  plugin_data.set_version(0);
  Experiment* experiment = plugin_data.mutable_experiment();
  for (const auto& hparam : hparams) {
    HParamInfo* info = experiment->add_hparam_infos();
    info->set_name(hparam.name);
    if (hparam.values.empty()) continue;
    const HParamValue& first = hparam.values.front();
    info->set_type(first.is_number() ? kFloat64 : first.is_text() ? kString : kBool);
    for (const auto& value : hparam.values) *info->mutable_domain_discrete()->add_values() = to_protobuf_value(value);
  }
  for (const std::string& tag : metric_tags) experiment->add_metric_infos()->mutable_name()->set_tag(tag);
  const std::string event = hparams_event(now(), "_hparams_/experiment", plugin_data);
  std::lock_guard<std::mutex> lock(mutex_);
  append_record(event);
}

void EventWriter::add_hparams_session_start(const std::map<std::string, HParamValue>& hparams,
                                            const std::string& group_name, double start_time_secs) {
  HParamsPluginData plugin_data;
  plugin_data.set_version(0);
  SessionStartInfo* start = plugin_data.mutable_session_start_info();
  for (const auto& [name, value] : hparams) (*start->mutable_hparams())[name] = to_protobuf_value(value);
  start->set_group_name(group_name);
  start->set_start_time_secs(start_time_secs);
  const std::string event = hparams_event(now(), "_hparams_/session_start_info", plugin_data);
  std::lock_guard<std::mutex> lock(mutex_);
  append_record(event);
}

void EventWriter::add_hparams_session_end(bool success, double end_time_secs) {
  constexpr int kStatusSuccess = 1, kStatusFailure = 2;
  HParamsPluginData plugin_data;
  plugin_data.set_version(0);
  SessionEndInfo* end = plugin_data.mutable_session_end_info();
  end->set_status(success ? kStatusSuccess : kStatusFailure);
  end->set_end_time_secs(end_time_secs);
  const std::string event = hparams_event(now(), "_hparams_/session_end_info", plugin_data);
  std::lock_guard<std::mutex> lock(mutex_);
  append_record(event);
}

void EventWriter::flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  flush_locked();
}

void EventWriter::append_record(const std::string& serialized_event) {
  buffer_ += encode_record(serialized_event);
  if (buffer_.size() >= kFlushBufferBytes ||
      steady_seconds() - last_flush_steady_seconds_ >= kFlushIntervalSeconds) {
    flush_locked();
  }
}

void EventWriter::flush_locked() {
  last_flush_steady_seconds_ = steady_seconds();
  if (buffer_.empty()) return;
  const bool written = std::fwrite(buffer_.data(), 1, buffer_.size(), file_.get()) == buffer_.size();
  buffer_.clear();
  if (!written || std::fflush(file_.get()) != 0) {
    throw StorageError("cannot write TensorBoard event file " + path_.string() + ": " + std::strerror(errno));
  }
}

}  // namespace quantlab::tensorboard
