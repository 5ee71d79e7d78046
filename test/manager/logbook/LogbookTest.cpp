#include "manager/logbook/Logbook.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "quantlab/Errors.h"
#include "support/ErrorMessage.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using quantlab::test::error_message_of;
using quantlab::test::TempDir;

namespace {

void touch(const fs::path& file) { std::ofstream(file) << "x"; }

std::vector<int> zero_to(int count) {
  std::vector<int> ids(count);
  for (int i = 0; i < count; ++i) ids[i] = i;
  return ids;
}

}  // namespace

TEST_CASE("Experiment ids start at exp0000 and follow the largest existing one", "[logbook]") {
  TempDir logs;
  const quantlab::Logbook logbook(logs.path());
  CHECK(logbook.list_experiments().empty());
  CHECK(logbook.create_experiment() == 0);
  CHECK(fs::is_directory(logs.path() / "exp0000"));
  CHECK(logbook.create_experiment() == 1);
  CHECK(fs::is_directory(logs.path() / "exp0001"));

  // Entries that are not canonical expNNNN folders are not experiments.
  fs::create_directories(logs.path() / "exp12");
  fs::create_directories(logs.path() / "exp00009");
  fs::create_directories(logs.path() / "expXYZ");
  fs::create_directories(logs.path() / "exp0005.tmp.123");
  touch(logs.path() / "exp0008");
  touch(logs.path() / "readme.txt");
  CHECK(logbook.list_experiments() == std::vector<int>{0, 1});

  // A file named like the next id takes that id: mkdir finds it taken and moves on.
  touch(logs.path() / "exp0002");
  CHECK(logbook.create_experiment() == 3);
  CHECK(logbook.list_experiments() == std::vector<int>{0, 1, 3});

  // Gaps are kept: the next id follows the largest.
  fs::create_directories(logs.path() / "exp0041");
  CHECK(logbook.create_experiment() == 42);
}

TEST_CASE("Experiment names are four digits and grow past 9999", "[logbook]") {
  CHECK(quantlab::Logbook::experiment_name(7) == "exp0007");
  CHECK(quantlab::Logbook::experiment_name(12345) == "exp12345");
  CHECK(quantlab::Logbook::parse_experiment_name("exp0007") == 7);
  CHECK(quantlab::Logbook::parse_experiment_name("exp12345") == 12345);
  CHECK_FALSE(quantlab::Logbook::parse_experiment_name("exp7").has_value());
  CHECK_FALSE(quantlab::Logbook::parse_experiment_name("exp00007").has_value());
  CHECK_FALSE(quantlab::Logbook::parse_experiment_name("exp-007").has_value());
  CHECK_FALSE(quantlab::Logbook::parse_experiment_name("Exp0007").has_value());
  CHECK_FALSE(quantlab::Logbook::parse_experiment_name("exp").has_value());
}

TEST_CASE("Threads creating experiments at once get different ids", "[logbook]") {
  TempDir logs;
  constexpr int kThreads = 6;
  constexpr int kEach = 20;
  std::vector<int> ids;
  std::mutex ids_mutex;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      const quantlab::Logbook logbook(logs.path());  // one object per thread, like separate runs
      for (int i = 0; i < kEach; ++i) {
        const int id = logbook.create_experiment();
        std::lock_guard<std::mutex> lock(ids_mutex);
        ids.push_back(id);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::sort(ids.begin(), ids.end());
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  CHECK(ids == zero_to(kThreads * kEach));
  CHECK(quantlab::Logbook(logs.path()).list_experiments() == zero_to(kThreads * kEach));
}

TEST_CASE("Processes creating experiments at once get different ids", "[logbook]") {
  TempDir logs;
  constexpr int kProcesses = 4;
  constexpr int kEach = 25;
  int start[2];
  int results[2];
  REQUIRE(::pipe(start) == 0);
  REQUIRE(::pipe(results) == 0);

  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // Child: wait for the start signal (the parent closing the pipe), race, report, leave.
      ::close(start[1]);
      ::close(results[0]);
      char ignored;
      while (::read(start[0], &ignored, 1) > 0) {
      }
      int made[kEach];
      int status = 0;
      try {
        const quantlab::Logbook logbook(logs.path());
        for (int i = 0; i < kEach; ++i) made[i] = logbook.create_experiment();
      } catch (...) {
        status = 1;
      }
      // One write below PIPE_BUF is atomic, so reports do not interleave.
      if (status == 0 && ::write(results[1], made, sizeof made) != static_cast<ssize_t>(sizeof made))
        status = 2;
      ::_exit(status);
    }
    children.push_back(pid);
  }
  ::close(start[0]);
  ::close(results[1]);
  ::close(start[1]);  // everyone starts now

  std::vector<int> ids;
  int buffer[kEach];
  ssize_t count;
  std::size_t pending = 0;
  char* bytes = reinterpret_cast<char*>(buffer);
  while ((count = ::read(results[0], bytes + pending, sizeof buffer - pending)) > 0) {
    pending += static_cast<std::size_t>(count);
    if (pending == sizeof buffer) {
      ids.insert(ids.end(), buffer, buffer + kEach);
      pending = 0;
    }
  }
  ::close(results[0]);
  for (const pid_t pid : children) {
    int status = -1;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }

  std::sort(ids.begin(), ids.end());
  CHECK(ids.size() == static_cast<std::size_t>(kProcesses * kEach));
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  CHECK(ids == zero_to(kProcesses * kEach));
  CHECK(quantlab::Logbook(logs.path()).list_experiments() == zero_to(kProcesses * kEach));
}

TEST_CASE("Opening a missing experiment names the existing ones", "[logbook]") {
  TempDir logs;
  const quantlab::Logbook logbook(logs.path());
  CHECK_THAT(error_message_of([&] { logbook.open_experiment(0); }),
             Contains("existing: none"));
  for (int i = 0; i < 4; ++i) logbook.create_experiment();

  CHECK(logbook.open_experiment(2) == logs.path() / "exp0002");
  CHECK_THROWS_AS(logbook.open_experiment(7), quantlab::StorageError);
  CHECK(error_message_of([&] { logbook.open_experiment(7); }) ==
        "experiment 7 does not exist in " + logs.path().string() + "; existing: exp0000..exp0003");

  fs::create_directories(logs.path() / "exp0007");
  fs::create_directories(logs.path() / "exp0009");
  CHECK_THAT(error_message_of([&] { logbook.open_experiment(5); }),
             Contains("existing: exp0000..exp0003, exp0007, exp0009"));
  CHECK_THROWS_AS(logbook.open_experiment(-1), quantlab::StorageError);
}

TEST_CASE("A logbook needs an existing logs folder", "[logbook]") {
  TempDir logs;
  const fs::path missing = logs.path() / "no-logs";
  CHECK_THROWS_AS(quantlab::Logbook(missing), quantlab::StorageError);
  CHECK_THAT(error_message_of([&] { quantlab::Logbook logbook(missing); }),
             Contains(missing.string()));
}

TEST_CASE("Logbook paths follow the original's layout", "[logbook]") {
  TempDir logs;
  const quantlab::Logbook logbook(logs.path());
  const fs::path exp = logs.path() / "exp0007";
  CHECK(logbook.experiment_dir(7) == exp);
  CHECK(logbook.config_file(7) == exp / "config.yaml");
  CHECK(logbook.log_file(7) == exp / "log.txt");
  CHECK(logbook.fold_dir(7, 2) == exp / "fold2");
  CHECK(logbook.saves_dir(7, 2) == exp / "fold2" / "saves");
  CHECK(logbook.stats_dir(7, 2) == exp / "fold2" / "stats");
  CHECK(logbook.epoch_checkpoint(7, 2, 13) == exp / "fold2" / "saves" / "epoch0013.ckpt");
  CHECK(logbook.best_checkpoint(7, 2) == exp / "fold2" / "saves" / "best.ckpt");

  logbook.make_fold_dirs(7, 2);
  CHECK(fs::is_directory(exp / "fold2" / "saves"));
  CHECK(fs::is_directory(exp / "fold2" / "stats"));
}

TEST_CASE("Listings ignore temporaries and names that are not ours", "[logbook]") {
  TempDir logs;
  const quantlab::Logbook logbook(logs.path());
  const int id = logbook.create_experiment();
  CHECK(logbook.folds_present(id).empty());
  CHECK(logbook.list_epoch_checkpoints(id, 0).empty());
  CHECK_FALSE(logbook.latest_epoch_checkpoint(id, 0).has_value());

  logbook.make_fold_dirs(id, 0);
  logbook.make_fold_dirs(id, 3);
  fs::create_directories(logbook.experiment_dir(id) / "fold01");
  fs::create_directories(logbook.experiment_dir(id) / "foldX");
  touch(logbook.experiment_dir(id) / "fold5");
  CHECK(logbook.folds_present(id) == std::vector<int>{0, 3});

  const fs::path saves = logbook.saves_dir(id, 0);
  touch(saves / "epoch0010.ckpt");
  touch(saves / "epoch0002.ckpt");
  touch(saves / "epoch0003.ckpt.tmp.1234");
  touch(saves / ("epoch0005.ckpt.tmp." + std::to_string(::getpid())));
  touch(saves / "best.ckpt");
  touch(saves / "best.ckpt.tmp.99");
  touch(saves / "epoch7.ckpt");
  touch(saves / "epoch0008.pt");
  touch(saves / "notes.txt");
  fs::create_directories(saves / "epoch0004.ckpt");

  const std::vector<quantlab::EpochCheckpoint> checkpoints = logbook.list_epoch_checkpoints(id, 0);
  REQUIRE(checkpoints.size() == 2);
  CHECK(checkpoints[0].epoch == 2);
  CHECK(checkpoints[0].file == saves / "epoch0002.ckpt");
  CHECK(checkpoints[1].epoch == 10);
  CHECK(checkpoints[1].file == saves / "epoch0010.ckpt");
  REQUIRE(logbook.latest_epoch_checkpoint(id, 0).has_value());
  CHECK(logbook.latest_epoch_checkpoint(id, 0)->epoch == 10);
}

TEST_CASE("Stale temporaries of dead writers are removed, live ones kept", "[logbook]") {
  TempDir logs;
  const quantlab::Logbook logbook(logs.path());
  const int id = logbook.create_experiment();
  logbook.make_fold_dirs(id, 1);

  // A pid that surely ran and is gone: a child that exited and was reaped.
  const pid_t dead = ::fork();
  REQUIRE(dead >= 0);
  if (dead == 0) ::_exit(0);
  REQUIRE(::waitpid(dead, nullptr, 0) == dead);

  const fs::path stale = logbook.saves_dir(id, 1) / ("epoch0004.ckpt.tmp." + std::to_string(dead));
  const fs::path live = logbook.experiment_dir(id) / ("config.yaml.tmp." + std::to_string(::getpid()));
  const fs::path checkpoint = logbook.epoch_checkpoint(id, 1, 3);
  touch(stale);
  touch(live);
  touch(checkpoint);

  const std::vector<fs::path> removed = logbook.remove_stale_temp_files(id);
  CHECK(removed == std::vector<fs::path>{stale});
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(live));
  CHECK(fs::exists(checkpoint));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
