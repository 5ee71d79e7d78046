#include "support/Process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace quantlab::test {

pid_t spawn_process(const std::vector<std::string>& arguments, const std::filesystem::path& output_file) {
  std::vector<char*> argv;
  for (const auto& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

int wait_process(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

namespace {

// Whether a spawned child has exited, leaving it to be reaped.
bool exited(pid_t child) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == child;
}

// Polls until `condition` holds or `give_up` does; returns the condition's
// last word. Far longer than any wait of the suite needs: a child's epochs
// take seconds, though the suite runs tests side by side on few cores.
bool poll(const std::function<bool()>& condition, const std::function<bool()>& give_up) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!condition() && !give_up() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return condition();  // again: it may have come as the wait gave up
}

}  // namespace

void wait_until(const std::string& what, const std::function<bool()>& condition) {
  const bool reached = poll(condition, [] { return false; });
  INFO("waiting for " << what);
  REQUIRE(reached);
}

void wait_until(pid_t child, const std::filesystem::path& child_output, const std::string& what,
                const std::function<bool()>& condition) {
  const bool reached = poll(condition, [&] { return exited(child); });
  std::string report;
  if (!reached) {
    // SIGTERM reaches mpirun's ranks through `timeout`, which SIGKILL would not.
    if (!exited(child)) ::kill(child, SIGTERM);
    const int status = wait_process(child);
    report = "\nthe child ended with status " + std::to_string(status) + ", having written:\n" +
             (std::filesystem::exists(child_output) ? read_text(child_output) : std::string());
  }
  INFO("waiting for " << what << report);
  REQUIRE(reached);
}

ProcessResult run_process(const std::vector<std::string>& arguments) {
  char name[] = "/tmp/quantlab-test-output-XXXXXX";
  const int fd = ::mkstemp(name);
  ::close(fd);
  ProcessResult result;
  result.status = wait_process(spawn_process(arguments, name));
  result.output = read_bytes(name);
  std::filesystem::remove(name);
  return result;
}

std::string qlhost_path() { return std::string(QUANTLAB_BUILD_DIR) + "/qlhost"; }
std::string plugin_path(const std::string& name) {
  return std::string(QUANTLAB_BUILD_DIR) + "/problems/lib" + name + ".so";
}

std::string python_path() {
  const std::string python = QUANTLAB_PYTHON;
  if (python.empty() || !std::filesystem::exists(python))
    throw std::runtime_error("no Python environment for the test clients (QUANTLAB_PYTHON='" + python +
                             "'): run scripts/install-deps, then configure the build again");
  return python;
}

std::string client_script(const std::string& name) {
  return std::string(QUANTLAB_SOURCE_DIR) + "/test/clients/" + name;
}

std::vector<std::string> sweep_command(const std::string& problem, const std::string& topology,
                                       const std::filesystem::path& sweep_file, const std::filesystem::path& home,
                                       const std::vector<std::string>& extra) {
  std::vector<std::string> arguments{qlhost_path(), "sweep", "--plugin", plugin_path(problem), "--topology", topology,
                                     "--sweep", sweep_file.string(), "--home", home.string(), "--threads", "1"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

std::vector<std::string> quick_run(const QuickRun& run) {
  const std::string epochs = std::to_string(run.epochs);
  return {"--set", "experiment.n_epochs=" + epochs,
          "--set", "experiment.seed=" + std::to_string(run.seed),
          "--set", "data.max_train_samples=" + std::to_string(run.train_samples),
          "--set", "data.max_valid_samples=" + std::to_string(run.valid_samples),
          "--set", "data.bs_train=64",
          "--set", "training.lr_scheduler={class: CosineAnnealingLR, params: {T_max: " + epochs + "}}"};
}

std::vector<std::string> qlhost_command(const std::string& problem, const std::string& topology,
                                        const std::filesystem::path& home, const std::vector<std::string>& extra) {
  std::vector<std::string> arguments{qlhost_path(), "--plugin", plugin_path(problem), "--topology", topology,
                                     "--home",      home.string(), "--threads", "1"};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

std::vector<std::string> error_lines(const std::string& output) {
  std::vector<std::string> found;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("qlhost: error: ", 0) == 0) found.push_back(line);
  return found;
}

void run_until_killed(const std::vector<std::string>& arguments, const std::filesystem::path& child_output,
                      const std::filesystem::path& checkpoint) {
  const pid_t pid = spawn_process(arguments, child_output);
  wait_until(pid, child_output, checkpoint.string(), [&] { return std::filesystem::exists(checkpoint); });
  ::kill(pid, SIGKILL);
  REQUIRE(wait_process(pid) == 128 + SIGKILL);
}

}  // namespace quantlab::test
