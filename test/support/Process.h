#pragma once
// Running qlhost (or mpirun) as a child process from tests.
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

// Re-exported: tests that run processes nearly always need a folder and its files.
#include "support/Files.h"
#include "support/TempDir.h"

namespace quantlab::test {

struct ProcessResult {
  int status = -1;     // exit status, or 128 + signal
  std::string output;  // stdout and stderr together
};

// Runs to completion; `output_file` receives stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& arguments);

// Starts without waiting; stdout and stderr go to output_file.
pid_t spawn_process(const std::vector<std::string>& arguments, const std::filesystem::path& output_file);
// Waits for a spawned process; returns its exit status or 128 + signal.
int wait_process(pid_t pid);

// Polls `condition` until it holds, then REQUIREs it: a test that waits for
// a moment (a file written, a point started, a process gone) fails here,
// saying what it waited for, instead of going on from a moment that never
// came. It gives up after 5 minutes.
void wait_until(const std::string& what, const std::function<bool()>& condition);
// The same for a moment in the life of the spawned `child`, which it also
// stops waiting for once the child has exited. When the moment never comes
// it ends the child, so that nothing outlives the test, and shows what the
// child wrote to `child_output`.
void wait_until(pid_t child, const std::filesystem::path& child_output, const std::string& what,
                const std::function<bool()>& condition);

// Runs `arguments` (output into `child_output`) until `checkpoint` exists,
// then kills it with SIGKILL, as a crash would; REQUIREs that it died so.
void run_until_killed(const std::vector<std::string>& arguments, const std::filesystem::path& child_output,
                      const std::filesystem::path& checkpoint);

// build/qlhost and build/problems/lib<name>.so of this build.
std::string qlhost_path();
std::string plugin_path(const std::string& name);

// The Python of QuantLab's environment (scripts/install-python), whose real
// clients (ONNX Runtime, onnx's checker, TensorBoard) tests run, and the
// script test/clients/<name>; throws when the build found no environment.
std::string python_path();
std::string client_script(const std::string& name);

// A training short enough for a test, as qlhost --set options: `epochs`
// epochs with a cosine schedule annealing over exactly those (whatever the
// config's own schedule), the first
// `train_samples` and `valid_samples` samples in batches of 64, a fixed seed.
struct QuickRun {
  int epochs = 1;
  int train_samples = 2000;
  int valid_samples = 1000;
  int seed = 7;
};
std::vector<std::string> quick_run(const QuickRun& run);

// qlhost --plugin <problem's plugin> --topology T --home H --threads 1, then `extra`.
std::vector<std::string> qlhost_command(const std::string& problem, const std::string& topology,
                                        const std::filesystem::path& home, const std::vector<std::string>& extra);

// qlhost sweep --plugin <problem's plugin> --topology T --sweep FILE --home H --threads 1, then `extra`.
std::vector<std::string> sweep_command(const std::string& problem, const std::string& topology,
                                       const std::filesystem::path& sweep_file, const std::filesystem::path& home,
                                       const std::vector<std::string>& extra = {});

// The lines of qlhost's output that report an error ("qlhost: error: ...").
std::vector<std::string> error_lines(const std::string& output);

}  // namespace quantlab::test
