#include "manager/tensorboard/EventWriter.h"
#include "manager/tensorboard/TensorHistogram.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <ctime>
#include <limits>

#include "manager/tensorboard/TestFiles.h"
#include "manager/tensorboard/proto/event.pb.h"
#include "manager/tensorboard/proto/hparams.pb.h"
#include "support/Files.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::tensorboard;
using namespace quantlab::tensorboard::test;
using quantlab::test::read_bytes;
using quantlab::test::TempDir;

namespace {

// The two records of architecture.md ("TensorBoard event files").
const std::string kFileVersionRecordHex =
    "1800000000000000a37f4b2209000000000000f03f1a0d627261696e2e4576656e743a3286bf577a";
const std::string kLossRecordHex =
    "1a00000000000000129bd82d09000000000000f03f10012a0d0a0b0a046c6f7373150000003f27f95db1";

EventWriter::WallClock fixed_clock(double seconds) {
  return [seconds] { return seconds; };
}

std::string hostname() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  return name;
}

std::vector<Event> read_events(const std::filesystem::path& path) {
  std::vector<Event> events;
  for (const std::string& bytes : split_records(read_bytes(path))) {
    events.emplace_back();
    REQUIRE(events.back().ParseFromString(bytes));
  }
  return events;
}

// TensorBoard's default bucket limits, built here from the format's facts.
std::vector<double> tensorboard_bucket_limits() {
  std::vector<double> positive;
  for (double limit = 1e-12; limit < 1e20; limit *= 1.1) positive.push_back(limit);
  positive.push_back(DBL_MAX);
  std::vector<double> limits(positive.rbegin(), positive.rend());
  for (double& limit : limits) limit = -limit;
  limits.push_back(0.0);
  limits.insert(limits.end(), positive.begin(), positive.end());
  return limits;
}

}  // namespace

TEST_CASE("encode_record frames an event as the format says", "[tensorboard]") {
  // The event bytes are the golden records less their 12-byte header and 4-byte footer.
  const std::string file_version = from_hex(kFileVersionRecordHex);
  const std::string loss = from_hex(kLossRecordHex);
  CHECK(to_hex(EventWriter::encode_record(file_version.substr(12, file_version.size() - 16))) ==
        kFileVersionRecordHex);
  CHECK(to_hex(EventWriter::encode_record(loss.substr(12, loss.size() - 16))) == kLossRecordHex);
}

TEST_CASE("EventWriter reproduces the golden records byte for byte", "[tensorboard]") {
  TempDir temp;
  std::filesystem::path path;
  {
    EventWriter writer(temp.path(), "", fixed_clock(1.0));
    path = writer.path();
    CHECK(to_hex(read_bytes(path)) == kFileVersionRecordHex);  // the first record is written at once
    writer.add_scalar("loss", 0.5, 1);
  }  // destruction flushes
  CHECK(to_hex(read_bytes(path)) == kFileVersionRecordHex + kLossRecordHex);
}

TEST_CASE("EventWriter names its file after the time, the host and the suffix", "[tensorboard]") {
  TempDir temp;
  const std::filesystem::path folder = temp.path() / "fold0" / "stats";  // made by the writer
  {
    EventWriter writer(folder, ".rank0", fixed_clock(1234567890.75));
    CHECK(writer.path() == folder / ("events.out.tfevents.1234567890." + hostname() + ".rank0"));
  }
  {
    EventWriter writer(folder, "", fixed_clock(1.0));
    CHECK(writer.path().filename() == "events.out.tfevents.0000000001." + hostname());
  }
  const auto before = static_cast<long long>(std::time(nullptr));
  EventWriter writer(folder);
  const auto after = static_cast<long long>(std::time(nullptr));
  const std::string name = writer.path().filename().string();
  const std::string prefix = "events.out.tfevents.";
  REQUIRE(name.size() == prefix.size() + 10 + 1 + hostname().size());
  const long long seconds = std::stoll(name.substr(prefix.size(), 10));
  CHECK(seconds >= before);
  CHECK(seconds <= after);
  const auto events = read_events(writer.path());
  REQUIRE(events.size() == 1);
  CHECK(events[0].file_version() == "brain.Event:2");
  CHECK(std::floor(events[0].wall_time()) >= before);
}

TEST_CASE("add_histogram computes the statistics and TensorBoard's buckets", "[tensorboard]") {
  const std::vector<double> values = {-3.5, -1e-13, 0.0, 0.0, 0.5, 2.0, 2.0, 2.05, 100.0, 7e22};
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  std::vector<double> with_non_finite = values;
  with_non_finite.insert(with_non_finite.begin() + 3, {nan, inf, -inf});

  TempDir temp;
  std::filesystem::path path;
  {
    EventWriter writer(temp.path(), "", fixed_clock(5.0));
    path = writer.path();
    quantlab::tensorboard::add_histogram(writer, "weights", torch::tensor(with_non_finite, torch::kDouble).reshape({13, 1}), 3);
    quantlab::tensorboard::add_histogram(writer, "empty", torch::empty({0, 4}), 4);
    quantlab::tensorboard::add_histogram(writer, "all_nan", torch::full({3}, nan, torch::kFloat), 5);
    quantlab::tensorboard::add_histogram(writer, "integers", torch::tensor({1, 2, 2}, torch::kInt), 6);
  }
  const auto events = read_events(path);
  REQUIRE(events.size() == 5);

  const Summary::Value& weights = events[1].summary().value(0);
  CHECK(events[1].step() == 3);
  CHECK(events[1].wall_time() == 5.0);
  CHECK(weights.tag() == "weights");
  REQUIRE(weights.has_histo());
  const HistogramProto& histo = weights.histo();
  double sum = 0, sum_squares = 0;
  for (double value : values) {
    sum += value;
    sum_squares += value * value;
  }
  CHECK(histo.num() == values.size());
  CHECK(histo.min() == -3.5);
  CHECK(histo.max() == 7e22);
  CHECK(histo.sum() == Approx(sum));
  CHECK(histo.sum_squares() == Approx(sum_squares));

  // Every written limit is a default limit, and bucket i holds exactly the
  // values in [limit i-1, limit i); a non-empty bucket spans one default step.
  const std::vector<double> defaults = tensorboard_bucket_limits();
  REQUIRE(histo.bucket_size() == histo.bucket_limit_size());
  double counted = 0;
  for (int i = 0; i < histo.bucket_size(); ++i) {
    const double upper = histo.bucket_limit(i);
    const double lower = i == 0 ? -std::numeric_limits<double>::infinity() : histo.bucket_limit(i - 1);
    const auto position = std::find(defaults.begin(), defaults.end(), upper);
    REQUIRE(position != defaults.end());
    const auto expected = std::count_if(values.begin(), values.end(),
                                        [&](double value) { return lower <= value && value < upper; });
    CHECK(histo.bucket(i) == expected);
    if (histo.bucket(i) > 0 && i > 0) CHECK(*(position - 1) == lower);
    counted += histo.bucket(i);
  }
  CHECK(counted == values.size());
  CHECK(histo.bucket_limit(histo.bucket_size() - 1) == DBL_MAX);

  for (int event = 2; event <= 3; ++event) {  // "empty" and "all_nan"
    const HistogramProto& nothing = events[event].summary().value(0).histo();
    CHECK(nothing.num() == 0);
    CHECK(nothing.min() == 0);
    CHECK(nothing.max() == 0);
    CHECK(nothing.sum() == 0);
    REQUIRE(nothing.bucket_size() == 1);
    CHECK(nothing.bucket_limit(0) == DBL_MAX);
    CHECK(nothing.bucket(0) == 0);
  }
  const HistogramProto& integers = events[4].summary().value(0).histo();
  CHECK(integers.num() == 3);
  CHECK(integers.sum() == 5);
  CHECK(integers.sum_squares() == 9);
  CHECK(integers.max() == 2);
}

TEST_CASE("an HParams experiment may say each hyper-parameter's domain and type", "[tensorboard]") {
  TempDir temp;
  std::filesystem::path path;
  {
    EventWriter writer(temp.path(), "", fixed_clock(10.0));
    path = writer.path();
    writer.add_hparams_experiment_with_domains(
        {{"lr", {0.01, 0.05}}, {"optimizer", {"SGD", "Adam"}}, {"nesterov", {true}}, {"free", {}}}, {"valid_metric"});
  }
  const auto events = read_events(path);
  REQUIRE(events.size() == 2);
  HParamsPluginData data;
  REQUIRE(data.ParseFromString(events[1].summary().value(0).metadata().plugin_data().content()));
  const Experiment& experiment = data.experiment();
  REQUIRE(experiment.hparam_infos_size() == 4);
  const auto& lr = experiment.hparam_infos(0);
  CHECK(lr.type() == 3);
  REQUIRE(lr.domain_discrete().values_size() == 2);
  CHECK(lr.domain_discrete().values(1).number_value() == 0.05);
  CHECK(experiment.hparam_infos(1).type() == 1);
  CHECK(experiment.hparam_infos(1).domain_discrete().values(0).string_value() == "SGD");
  CHECK(experiment.hparam_infos(2).type() == 2);
  CHECK(experiment.hparam_infos(2).domain_discrete().values(0).bool_value());
  CHECK(experiment.hparam_infos(3).type() == 0);
  CHECK_FALSE(experiment.hparam_infos(3).has_domain_discrete());
}

TEST_CASE("HParams records carry the plugin data TensorBoard reads", "[tensorboard]") {
  TempDir temp;
  std::filesystem::path path;
  {
    EventWriter writer(temp.path(), "", fixed_clock(10.0));
    path = writer.path();
    writer.add_hparams_experiment({"lr", "optimizer"}, {"train_loss", "valid_metric"});
    writer.add_hparams_session_start({{"lr", 0.01}, {"optimizer", "SGD"}, {"nesterov", true}, {"epochs", 30}},
                                     "exp0001", 123.5);
    writer.add_hparams_session_end(false, 456.25);
  }
  const auto events = read_events(path);
  REQUIRE(events.size() == 4);
  const char* tags[] = {"_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"};
  std::vector<HParamsPluginData> data(3);
  for (int i = 0; i < 3; ++i) {
    const Event& event = events[i + 1];
    CHECK(event.step() == 0);
    REQUIRE(event.summary().value_size() == 1);
    const Summary::Value& value = event.summary().value(0);
    CHECK(value.tag() == tags[i]);
    CHECK(value.value_case() == Summary::Value::VALUE_NOT_SET);
    CHECK(value.metadata().plugin_data().plugin_name() == "hparams");
    REQUIRE(data[i].ParseFromString(value.metadata().plugin_data().content()));
    CHECK(data[i].version() == 0);
  }
  REQUIRE(data[0].has_experiment());
  const Experiment& experiment = data[0].experiment();
  REQUIRE(experiment.hparam_infos_size() == 2);
  CHECK(experiment.hparam_infos(0).name() == "lr");
  CHECK(experiment.hparam_infos(1).name() == "optimizer");
  REQUIRE(experiment.metric_infos_size() == 2);
  CHECK(experiment.metric_infos(0).name().tag() == "train_loss");
  CHECK(experiment.metric_infos(1).name().tag() == "valid_metric");

  REQUIRE(data[1].has_session_start_info());
  const SessionStartInfo& start = data[1].session_start_info();
  CHECK(start.group_name() == "exp0001");
  CHECK(start.start_time_secs() == 123.5);
  REQUIRE(start.hparams().size() == 4);
  CHECK(start.hparams().at("lr").number_value() == 0.01);
  CHECK(start.hparams().at("epochs").number_value() == 30);
  CHECK(start.hparams().at("optimizer").string_value() == "SGD");
  REQUIRE(start.hparams().at("nesterov").has_bool_value());
  CHECK(start.hparams().at("nesterov").bool_value());

  REQUIRE(data[2].has_session_end_info());
  CHECK(data[2].session_end_info().status() == 2);  // failure
  CHECK(data[2].session_end_info().end_time_secs() == 456.25);
}

TEST_CASE("EventWriter keeps records in memory until flushed", "[tensorboard]") {
  TempDir temp;
  EventWriter writer(temp.path(), "", fixed_clock(1.0));
  const auto size_after_open = std::filesystem::file_size(writer.path());
  writer.add_scalar("loss", 0.5, 1);
  CHECK(std::filesystem::file_size(writer.path()) == size_after_open);
  writer.flush();
  CHECK(read_bytes(writer.path()) == from_hex(kFileVersionRecordHex + kLossRecordHex));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
