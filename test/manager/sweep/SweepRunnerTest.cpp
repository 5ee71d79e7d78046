// The sweep runner driven with a fake point command: a shell script that
// makes no experiment but writes its id file and exits as the test arranges.
// It appends "start ID new|resume" and "end ID" to a shared events file.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "manager/sweep/SweepIndex.h"
#include "manager/sweep/SweepRunner.h"
#include "manager/sweep/SweepSpec.h"
#include "support/Files.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
using quantlab::sweep::PointStatus;
namespace fs = std::filesystem;

namespace {

// Its id is point.id's value, or the --exp-id it resumes. With a file
// "fail.ID" beside it it fails, with "kill.ID" it dies of SIGKILL; with
// "pair" it waits (a minute at most) until two points have started.
const char* kPointScript = R"sh(dir=$(dirname "$0")
id=""; id_file=""; mode=new
while [ $# -gt 0 ]; do
  case "$1" in
    --exp-id) id=$2; mode=resume; shift ;;
    --exp-id-file) id_file=$2; shift ;;
    --set) case "$2" in point.id=*) id=${2#point.id=} ;; esac; shift ;;
  esac
  shift
done
echo "start $id $mode" >> "$dir/events"
if [ -n "$id_file" ]; then echo "$id" > "$id_file"; fi
if [ -e "$dir/pair" ]; then
  n=0
  while [ "$(grep -c '^start' "$dir/events")" -lt 2 ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
fi
echo "end $id" >> "$dir/events"
if [ -e "$dir/kill.$id" ]; then kill -KILL $$; fi
if [ -e "$dir/fail.$id" ]; then echo "point $id failed on purpose"; exit 1; fi
exit 0
)sh";

struct FakeSweep {
  test::TempDir dir;
  fs::path logs = dir / "logs";
  sweep::SweepSpec spec;

  explicit FakeSweep(int points) {
    fs::create_directories(logs);
    test::write_bytes(dir / "point.sh", kPointScript);
    std::string ids;
    for (int id = 1; id <= points; ++id) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    test::write_bytes(dir / "fake.yaml", "grid: {point.id: [" + ids + "]}\n");
    spec = sweep::SweepSpec::load(dir / "fake.yaml");
  }

  // A fresh runner each time, as each qlhost sweep invocation makes one.
  int run(int jobs = 1) {
    sweep::SweepRunner runner({.command = {"/bin/sh", (dir / "point.sh").string()},
                               .logs = logs,
                               .topology = "Fake",
                               .plugin = "libfake.so",
                               .jobs = jobs,
                               .force_new = false,
                               .higher_is_better = false},
                              spec);
    runner.open_index();
    return runner.run();
  }

  sweep::SweepIndex index() const { return sweep::SweepIndex::read(sweep::SweepIndex::path(logs, "fake")); }

  std::vector<std::string> events() const {
    std::vector<std::string> lines;
    std::istringstream in(fs::exists(dir / "events") ? test::read_text(dir / "events") : "");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  long count(const std::string& event) const {
    const auto lines = events();
    return std::count(lines.begin(), lines.end(), event);
  }
  // The most points that were running at once.
  int most_at_once() const {
    int running = 0, most = 0;
    for (const auto& line : events()) {
      running += line.rfind("start", 0) == 0 ? 1 : -1;
      most = std::max(most, running);
    }
    return most;
  }
};

}  // namespace

TEST_CASE("the sweep runner runs every point once and the index marks each done", "[sweep]") {
  FakeSweep sweep(3);
  CHECK(sweep.run() == 0);
  const auto index = sweep.index();
  REQUIRE(index.points.size() == 3);
  for (int slot = 0; slot < 3; ++slot) {
    CAPTURE(slot);
    CHECK(index.points[slot].status == PointStatus::Done);
    CHECK(index.points[slot].exp_id == slot + 1);  // learnt from its id file
    CHECK(index.points[slot].message.empty());
    CHECK(sweep.count("start " + std::to_string(slot + 1) + " new") == 1);
  }
  CHECK(index.topology == "Fake");
  CHECK(sweep.most_at_once() == 1);

  // Run again, it finds nothing left to do.
  CHECK(sweep.run() == 0);
  CHECK(sweep.events().size() == 6);
}

TEST_CASE("the sweep runner records a failed point as failed and a rerun resumes it", "[sweep]") {
  FakeSweep sweep(3);
  test::write_bytes(sweep.dir / "fail.2", "");
  test::write_bytes(sweep.dir / "kill.3", "");
  CHECK(sweep.run() == 2);
  auto index = sweep.index();
  REQUIRE(index.points.size() == 3);
  CHECK(index.points[0].status == PointStatus::Done);
  CHECK(index.points[1].status == PointStatus::Failed);
  CHECK(index.points[1].message == "point 2 failed on purpose");  // the last line of its log
  CHECK(index.points[1].exp_id == 2);
  CHECK(index.points[2].status == PointStatus::Failed);
  CHECK(index.points[2].message == "killed by signal 9");
  CHECK_THAT(test::read_text(sweep.logs / "sweeps" / "fake" / "point0001.log"),
             Catch::Contains("point 2 failed on purpose"));

  fs::remove(sweep.dir / "fail.2");
  fs::remove(sweep.dir / "kill.3");
  CHECK(sweep.run() == 0);
  index = sweep.index();
  for (const auto& point : index.points) CHECK(point.status == PointStatus::Done);
  // The failed points resume their experiments; the done one is left alone.
  CHECK(sweep.count("start 1 new") == 1);
  CHECK(sweep.count("start 2 resume") == 1);
  CHECK(sweep.count("start 3 resume") == 1);
  CHECK(sweep.events().size() == 10);
}

TEST_CASE("the sweep runner trains at most --jobs points at once", "[sweep]") {
  FakeSweep sweep(4);
  // The first two points each wait until the other has started: only a
  // runner that trains two at once gets past them without waiting a minute.
  test::write_bytes(sweep.dir / "pair", "");
  CHECK(sweep.run(2) == 0);
  for (const auto& point : sweep.index().points) CHECK(point.status == PointStatus::Done);
  CHECK(sweep.events().size() == 8);
  CHECK(sweep.most_at_once() == 2);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
