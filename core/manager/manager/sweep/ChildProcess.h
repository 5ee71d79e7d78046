#pragma once
// A child process: an argument vector run (argv[0] looked up on PATH) with
// its stdout and stderr appended to a log file. It dies with this process
// (PR_SET_PDEATHSIG, SIGTERM), so that a killed parent leaves nothing it
// started running unseen. Polled, never waited on: poll() reaps it once it
// has ended.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace quantlab::sweep {

class ChildProcess {
 public:
  // Starts it; StorageError when no process can be made. A program that
  // cannot be run ends the child with status 127.
  ChildProcess(const std::vector<std::string>& arguments, const std::filesystem::path& log);
  // One still running gets SIGTERM, as when this process ends, and is reaped.
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Whether it has ended, reaping it if it just did; never blocks.
  bool poll();
  bool ended() const { return ended_; }
  // Once ended: its exit status when it exited, the signal that ended it when one did.
  std::optional<int> exit_status() const { return exit_status_; }
  std::optional<int> signal() const { return signal_; }
  // Ended with exit status 0.
  bool succeeded() const { return exit_status_ == 0; }

  // Sends `signal` unless it has been reaped already.
  void send(int signal);

 private:
  void release();

  pid_t pid_ = -1;  // -1 when moved from
  bool ended_ = false;
  std::optional<int> exit_status_;
  std::optional<int> signal_;
};

}  // namespace quantlab::sweep
