#include "manager/tensorboard/EventReader.h"

#include <catch2/catch.hpp>

#include "manager/tensorboard/EventWriter.h"
#include "manager/tensorboard/TensorHistogram.h"
#include "manager/tensorboard/TestFiles.h"
#include "quantlab/Errors.h"
#include "support/Files.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::tensorboard;
using namespace quantlab::tensorboard::test;
using quantlab::test::read_bytes;
using quantlab::test::TempDir;
using quantlab::test::write_bytes;
using Catch::Matchers::Contains;

namespace {

// Writes Event{file_version} and three scalars with the clock at 1.0, so each
// scalar record is 12 + 26 + 4 bytes ("loss") after the 40-byte first record.
std::filesystem::path write_three_losses(const std::filesystem::path& folder) {
  EventWriter writer(folder, "", [] { return 1.0; });
  writer.add_scalar("loss", 0.5, 1);
  writer.add_scalar("loss", 0.25, 2);
  writer.add_scalar("loss", 0.125, 3);
  return writer.path();
}
constexpr std::uint64_t kFirstRecordBytes = 40, kLossRecordBytes = 42;

}  // namespace

TEST_CASE("EventReader reads back what EventWriter wrote", "[tensorboard]") {
  TempDir temp;
  double clock = 100.0;
  std::filesystem::path path;
  {
    EventWriter writer(temp.path(), "", [&clock] { return clock; });
    path = writer.path();
    clock = 101.0;
    writer.add_scalar("train_loss", 0.1, 0);
    writer.add_scalar("valid_metric", 0.75, 0);
    clock = 102.0;
    writer.add_scalar("train_loss", 0.05, 1);
    quantlab::tensorboard::add_histogram(writer, "conv1/weight", torch::tensor({1.0, -2.0, 4.0}), 1);
    writer.add_hparams_experiment({"lr"}, {"valid_metric"});
    writer.add_hparams_session_start({{"lr", 0.5}, {"optimizer", "Adam"}, {"nesterov", false}}, "g", 99.0);
    writer.add_hparams_session_end(true, 200.0);
  }
  const EventReader reader(path);
  CHECK(reader.file_version() == "brain.Event:2");
  CHECK(reader.record_count() == 8);
  CHECK_FALSE(reader.truncated_tail_offset());

  REQUIRE(reader.scalars().size() == 3);
  const ScalarPoint& first = reader.scalars()[0];
  CHECK(first.tag == "train_loss");
  CHECK(first.step == 0);
  CHECK(first.wall_time == 101.0);
  CHECK(first.value == static_cast<double>(0.1f));  // stored as float
  const auto losses = reader.scalars("train_loss");
  REQUIRE(losses.size() == 2);
  CHECK(losses[1].step == 1);
  CHECK(losses[1].wall_time == 102.0);
  CHECK(losses[1].value == static_cast<double>(0.05f));
  CHECK(reader.scalars("valid_metric").at(0).value == 0.75);
  CHECK(EventReader::read_scalars(path).size() == 3);

  REQUIRE(reader.histograms().size() == 1);
  const HistogramPoint& histogram = reader.histograms()[0];
  CHECK(histogram.tag == "conv1/weight");
  CHECK(histogram.step == 1);
  CHECK(histogram.num == 3);
  CHECK(histogram.min == -2.0);
  CHECK(histogram.max == 4.0);
  CHECK(histogram.sum == 3.0);
  CHECK(histogram.sum_squares == 21.0);
  CHECK(histogram.bucket_counts.size() == histogram.bucket_limits.size());

  REQUIRE(reader.hparams().size() == 3);
  const HParamsRecord& experiment = reader.hparams()[0];
  CHECK(experiment.kind == HParamsRecord::Kind::Experiment);
  CHECK(experiment.tag == "_hparams_/experiment");
  CHECK(experiment.hparam_names == std::vector<std::string>{"lr"});
  CHECK(experiment.metric_tags == std::vector<std::string>{"valid_metric"});
  const HParamsRecord& start = reader.hparams()[1];
  CHECK(start.kind == HParamsRecord::Kind::SessionStart);
  CHECK(start.step == 0);
  CHECK(start.group_name == "g");
  CHECK(start.start_time_secs == 99.0);
  REQUIRE(start.hparams.size() == 3);
  CHECK(start.hparams.at("lr") == HParamValue(0.5));
  CHECK(start.hparams.at("optimizer") == HParamValue("Adam"));
  CHECK(start.hparams.at("nesterov") == HParamValue(false));
  const HParamsRecord& end = reader.hparams()[2];
  CHECK(end.kind == HParamsRecord::Kind::SessionEnd);
  CHECK(end.success);
  CHECK(end.end_time_secs == 200.0);
}

TEST_CASE("EventReader refuses a corrupted record and names file and offset", "[tensorboard]") {
  TempDir temp;
  const auto path = write_three_losses(temp.path());
  const std::string intact = read_bytes(path);
  REQUIRE(intact.size() == kFirstRecordBytes + 3 * kLossRecordBytes);

  std::string corrupt = intact;
  corrupt[kFirstRecordBytes + kLossRecordBytes + 20] ^= 0x01;  // inside the second scalar's event
  write_bytes(path, corrupt);
  REQUIRE_THROWS_AS(EventReader(path), quantlab::DataError);
  REQUIRE_THROWS_WITH(EventReader(path), Contains(path.string()) && Contains("data CRC") &&
                                             Contains("byte " + std::to_string(kFirstRecordBytes + kLossRecordBytes)));

  corrupt = intact;
  corrupt[kFirstRecordBytes] ^= 0x40;  // the first scalar's length
  write_bytes(path, corrupt);
  REQUIRE_THROWS_WITH(EventReader(path),
                      Contains("length CRC") && Contains("byte " + std::to_string(kFirstRecordBytes)));

  corrupt = intact;
  corrupt[intact.size() - 1] ^= 0x01;  // the last record's data CRC is checked too
  write_bytes(path, corrupt);
  REQUIRE_THROWS_AS(EventReader(path), quantlab::DataError);

  REQUIRE_THROWS_AS(EventReader(temp.path() / "missing"), quantlab::DataError);
}

TEST_CASE("EventReader keeps the complete records before a truncated last one", "[tensorboard]") {
  TempDir temp;
  const auto path = write_three_losses(temp.path());
  const std::string intact = read_bytes(path);
  const std::uint64_t last_record = kFirstRecordBytes + 2 * kLossRecordBytes;
  // Cut inside the data, inside the footer, and inside the header.
  for (std::uint64_t kept : {std::uint64_t{30}, kLossRecordBytes - 1, std::uint64_t{5}}) {
    write_bytes(path, intact.substr(0, last_record + kept));
    const EventReader reader(path);
    CHECK(reader.record_count() == 3);
    REQUIRE(reader.truncated_tail_offset());
    CHECK(*reader.truncated_tail_offset() == last_record);
    REQUIRE(reader.scalars().size() == 2);
    CHECK(reader.scalars()[1].value == 0.25);
  }
}

TEST_CASE("find_event_files lists event files below a folder", "[tensorboard]") {
  TempDir temp;
  const auto first = write_three_losses(temp.path() / "fold0" / "stats");
  const auto second = write_three_losses(temp.path() / "fold1" / "stats");
  write_bytes(temp.path() / "fold0" / "config.yaml", "seed: 1\n");
  CHECK(EventReader::find_event_files(temp.path()) == std::vector<std::filesystem::path>{first, second});
  CHECK(EventReader::find_event_files(temp.path() / "nothing-here").empty());
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
