// The sweep's child process: exit status, death by a signal, its output
// appended to the log file, signals sent to it, the end of one still running
// when the object goes, and of one whose parent dies.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

#include "manager/sweep/ChildProcess.h"
#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using quantlab::sweep::ChildProcess;
namespace test = quantlab::test;

namespace {

ChildProcess shell(const std::string& script, const std::filesystem::path& log) {
  return ChildProcess({"/bin/sh", "-c", script}, log);
}

void wait_for_end(ChildProcess& child) {
  test::wait_until("the child to end", [&] { return child.poll(); });
}

// Gone, or a zombie that nobody has reaped yet: either way it runs no more.
bool ended(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const auto state = line.find(") ");
  return state != std::string::npos && state + 2 < line.size() && line[state + 2] == 'Z';
}

}  // namespace

TEST_CASE("a child's exit status is known once it has ended", "[sweep]") {
  test::TempDir dir;
  ChildProcess ok = shell("exit 0", dir / "ok.log");
  ChildProcess failed = shell("exit 3", dir / "failed.log");
  wait_for_end(ok);
  wait_for_end(failed);
  CHECK(ok.ended());
  CHECK(ok.succeeded());
  CHECK(ok.exit_status() == 0);
  CHECK_FALSE(ok.signal());
  CHECK_FALSE(failed.succeeded());
  CHECK(failed.exit_status() == 3);
  CHECK_FALSE(failed.signal());
  // Reaped already: polling again says the same.
  CHECK(failed.poll());
  CHECK(failed.exit_status() == 3);

  ChildProcess missing({(dir / "no-such-program").string()}, dir / "missing.log");
  wait_for_end(missing);
  CHECK(missing.exit_status() == 127);
}

TEST_CASE("a child ended by a signal reports the signal and no exit status", "[sweep]") {
  test::TempDir dir;
  ChildProcess child = shell("kill -KILL $$", dir / "child.log");
  wait_for_end(child);
  CHECK_FALSE(child.succeeded());
  CHECK_FALSE(child.exit_status());
  CHECK(child.signal() == SIGKILL);
}

TEST_CASE("a child's stdout and stderr are appended to its log file", "[sweep]") {
  test::TempDir dir;
  const auto log = dir / "child.log";
  test::write_bytes(log, "an earlier run\n");
  ChildProcess child = shell("echo to stdout; echo to stderr >&2", log);
  wait_for_end(child);
  CHECK(child.succeeded());
  CHECK(test::read_text(log) == "an earlier run\nto stdout\nto stderr\n");
}

TEST_CASE("a signal sent to a running child ends it, and one still running when the object goes is ended", "[sweep]") {
  test::TempDir dir;
  ChildProcess child = shell("exec sleep 600", dir / "child.log");
  CHECK_FALSE(child.poll());
  CHECK_FALSE(child.ended());
  child.send(SIGTERM);
  wait_for_end(child);
  CHECK(child.signal() == SIGTERM);
  child.send(SIGTERM);  // reaped: nothing to send to

  pid_t pid = -1;
  {
    ChildProcess running = shell("exec sleep 600", dir / "running.log");
    pid = running.pid();
    ChildProcess moved = std::move(running);
    CHECK(moved.pid() == pid);
    CHECK_FALSE(moved.poll());
  }
  // Ended and reaped: no such process any more.
  CHECK(::kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
}

TEST_CASE("a child dies with the process that started it", "[sweep]") {
  test::TempDir dir;
  const auto pid_file = dir / "child.pid";
  // A parent that starts a child, sees it running, and dies without ending it.
  const pid_t parent = ::fork();
  REQUIRE(parent >= 0);
  if (parent == 0) {
    ChildProcess child({"/bin/sh", "-c", "echo $$ > " + pid_file.string() + ".tmp && mv " + pid_file.string() +
                                             ".tmp " + pid_file.string() + " && exec sleep 600"},
                       dir / "child.log");
    for (int i = 0; i < 6000 && !std::filesystem::exists(pid_file); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ::_exit(0);  // no destructor: the child is left to the death signal
  }
  int status = 0;
  REQUIRE(::waitpid(parent, &status, 0) == parent);
  REQUIRE(std::filesystem::exists(pid_file));
  const pid_t child = std::stoi(test::read_text(pid_file));
  test::wait_until("the orphaned child to end", [&] { return ended(child); });
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
