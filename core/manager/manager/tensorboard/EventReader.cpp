#include "manager/tensorboard/EventReader.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "manager/tensorboard/proto/event.pb.h"
#include "manager/tensorboard/proto/hparams.pb.h"
#include "manager/tensorboard/Crc32c.h"
#include "quantlab/AtomicFile.h"
#include "quantlab/Errors.h"

namespace quantlab::tensorboard {
namespace {

constexpr std::size_t kHeaderBytes = 12;  // uint64 length + uint32 masked CRC
constexpr std::size_t kFooterBytes = 4;   // uint32 masked CRC of the data

std::uint64_t get_le(const std::string& bytes, std::size_t offset, int count) {
  std::uint64_t value = 0;
  for (int i = 0; i < count; ++i) {
    value |= std::uint64_t(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

std::string read_event_file(const std::filesystem::path& path) {
  std::optional<std::string> bytes = read_whole_file(path);
  if (!bytes) throw DataError("cannot open TensorBoard event file " + path.string());
  return std::move(*bytes);
}

HParamValue from_protobuf_value(const google::protobuf::Value& value) {
  if (value.has_string_value()) return value.string_value();
  if (value.has_bool_value()) return value.bool_value();
  return value.number_value();
}

}  // namespace

EventReader::EventReader(const std::filesystem::path& path) : path_(path) {
  const std::string bytes = read_event_file(path);
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const auto fail = [&](const std::string& what) {
      throw DataError("TensorBoard event file " + path.string() + ": " + what + " in the record at byte " +
                      std::to_string(offset));
    };
    if (bytes.size() - offset < kHeaderBytes) {
      truncated_tail_offset_ = offset;
      break;
    }
    const std::uint64_t length = get_le(bytes, offset, 8);
    const auto length_crc = static_cast<std::uint32_t>(get_le(bytes, offset + 8, 4));
    if (length_crc != masked_crc32c(std::string_view(bytes).substr(offset, 8))) fail("bad length CRC");
    if (bytes.size() - offset - kHeaderBytes < length ||
        bytes.size() - offset - kHeaderBytes - length < kFooterBytes) {
      truncated_tail_offset_ = offset;
      break;
    }
    const std::string data = bytes.substr(offset + kHeaderBytes, length);
    const auto data_crc = static_cast<std::uint32_t>(get_le(bytes, offset + kHeaderBytes + length, 4));
    if (data_crc != masked_crc32c(data)) fail("bad data CRC");
    try {
      decode_event(data, offset);
    } catch (const DataError&) {
      fail("an undecodable event");
    }
    ++record_count_;
    offset += kHeaderBytes + length + kFooterBytes;
  }
}

void EventReader::decode_event(const std::string& serialized_event, std::uint64_t offset) {
  Event event;
  if (!event.ParseFromString(serialized_event)) throw DataError("event at " + std::to_string(offset));
  if (event.has_file_version()) file_version_ = event.file_version();
  if (!event.has_summary()) return;
  for (const Summary::Value& value : event.summary().value()) {
    const auto& plugin = value.metadata().plugin_data();
    if (plugin.plugin_name() == "hparams") {
      HParamsPluginData plugin_data;
      if (!plugin_data.ParseFromString(plugin.content())) throw DataError("hparams at " + std::to_string(offset));
      HParamsRecord record;
      record.tag = value.tag();
      record.step = event.step();
      record.wall_time = event.wall_time();
      record.plugin_data_version = plugin_data.version();
      if (plugin_data.has_experiment()) {
        record.kind = HParamsRecord::Kind::Experiment;
        for (const auto& info : plugin_data.experiment().hparam_infos()) record.hparam_names.push_back(info.name());
        for (const auto& info : plugin_data.experiment().metric_infos()) {
          record.metric_tags.push_back(info.name().tag());
        }
      } else if (plugin_data.has_session_start_info()) {
        record.kind = HParamsRecord::Kind::SessionStart;
        const SessionStartInfo& start = plugin_data.session_start_info();
        for (const auto& [name, hparam] : start.hparams()) record.hparams.emplace(name, from_protobuf_value(hparam));
        record.group_name = start.group_name();
        record.start_time_secs = start.start_time_secs();
      } else if (plugin_data.has_session_end_info()) {
        record.kind = HParamsRecord::Kind::SessionEnd;
        record.success = plugin_data.session_end_info().status() == 1;
        record.end_time_secs = plugin_data.session_end_info().end_time_secs();
      } else {
        continue;  // a kind of HParams data QuantLab does not read
      }
      hparams_.push_back(std::move(record));
    } else if (value.has_simple_value()) {
      scalars_.push_back({value.tag(), event.step(), event.wall_time(), value.simple_value()});
    } else if (value.has_histo()) {
      const HistogramProto& histo = value.histo();
      HistogramPoint point;
      point.tag = value.tag();
      point.step = event.step();
      point.wall_time = event.wall_time();
      point.min = histo.min();
      point.max = histo.max();
      point.num = histo.num();
      point.sum = histo.sum();
      point.sum_squares = histo.sum_squares();
      point.bucket_limits.assign(histo.bucket_limit().begin(), histo.bucket_limit().end());
      point.bucket_counts.assign(histo.bucket().begin(), histo.bucket().end());
      histograms_.push_back(std::move(point));
    }
  }
}

std::vector<ScalarPoint> EventReader::scalars(const std::string& tag) const {
  std::vector<ScalarPoint> matching;
  std::copy_if(scalars_.begin(), scalars_.end(), std::back_inserter(matching),
               [&](const ScalarPoint& point) { return point.tag == tag; });
  return matching;
}

std::vector<ScalarPoint> EventReader::read_scalars(const std::filesystem::path& path) {
  return EventReader(path).scalars();
}

std::vector<std::filesystem::path> EventReader::find_event_files(const std::filesystem::path& directory) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) return files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
    if (entry.is_regular_file() && entry.path().filename().string().find("tfevents") != std::string::npos) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace quantlab::tensorboard
