#include "quantlab/AtomicFile.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <optional>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include "quantlab/Errors.h"

namespace quantlab {

namespace fs = std::filesystem;

namespace {

const std::string kTempMarker = ".tmp.";

std::string system_message(int error_number) { return std::strerror(error_number); }

// "No space left on device (12.0 MiB free in /logs/exp0001)": what a full disk
// needs said, where a write failed.
std::string write_failure(int error_number, const fs::path& target) {
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code error;
  const fs::space_info space = fs::space(folder, error);
  std::string text = system_message(error_number);
  if (!error) {
    char free[64];
    std::snprintf(free, sizeof free, "%.1f MiB", static_cast<double>(space.available) / (1024.0 * 1024.0));
    text += std::string(" (") + free + " free in " + folder.string() + ")";
  }
  return text;
}

// The pid in "<anything>.tmp.<pid>", if the name has that form.
std::optional<pid_t> temp_file_pid(const fs::path& path) {
  const std::string name = path.filename().string();
  const std::size_t marker = name.rfind(kTempMarker);
  if (marker == std::string::npos || marker == 0) return std::nullopt;
  const std::string digits = name.substr(marker + kTempMarker.size());
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  for (const char c : digits)
    if (c < '0' || c > '9') return std::nullopt;
  return static_cast<pid_t>(std::stol(digits));
}

bool process_is_running(pid_t pid) {
  if (pid <= 0) return false;
  // EPERM: it exists but belongs to someone else.
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

void fsync_path(const fs::path& path, int open_flags, const fs::path& target) {
  const int descriptor = ::open(path.c_str(), open_flags | O_CLOEXEC);
  if (descriptor < 0)
    throw StorageError("cannot write " + target.string() + ": opening " + path.string() + ": " +
                       system_message(errno));
  const int synced = ::fsync(descriptor);
  const int sync_error = errno;
  ::close(descriptor);
  if (synced != 0)
    throw StorageError("cannot write " + target.string() + ": syncing " + path.string() + ": " +
                       system_message(sync_error));
}

void write_all(const fs::path& file, std::string_view bytes, const fs::path& target) {
  const int descriptor = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (descriptor < 0)
    throw StorageError("cannot write " + target.string() + ": " + write_failure(errno, target));
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t count = ::write(descriptor, bytes.data() + written, bytes.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      const int write_error = errno;
      ::close(descriptor);
      throw StorageError("cannot write " + target.string() + ": " + write_failure(write_error, target));
    }
    written += static_cast<std::size_t>(count);
  }
  if (::close(descriptor) != 0)
    throw StorageError("cannot write " + target.string() + ": " + write_failure(errno, target));
}

}  // namespace

fs::path temp_file_for(const fs::path& target) {
  fs::path temp = target;
  temp += kTempMarker + std::to_string(::getpid());
  return temp;
}

bool is_temp_file(const fs::path& path) { return temp_file_pid(path).has_value(); }

void write_file_atomically(const fs::path& target, std::string_view bytes) {
  write_file_atomically(target, [&](const fs::path& temp) { write_all(temp, bytes, target); });
}

void write_file_atomically(const fs::path& target, const TempFileWriter& write) {
  const fs::path temp = temp_file_for(target);
  try {
    write(temp);
    std::error_code error;
    if (!fs::is_regular_file(temp, error))
      throw StorageError("cannot write " + target.string() + ": the writer made no file at " +
                         temp.string());
    fsync_path(temp, O_RDONLY, target);
    if (::rename(temp.c_str(), target.c_str()) != 0)
      throw StorageError("cannot write " + target.string() + ": renaming " + temp.string() +
                         ": " + system_message(errno));
  } catch (...) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw;
  }
  const fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  fsync_path(folder, O_RDONLY | O_DIRECTORY, target);
}

std::optional<std::string> read_whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return bytes.str();
}

std::vector<fs::path> remove_stale_temp_files(const fs::path& folder) {
  std::vector<fs::path> removed;
  std::error_code error;
  fs::recursive_directory_iterator entries(folder, error);
  if (error) return removed;  // nothing there, nothing stale
  for (const fs::directory_entry& entry : entries) {
    const std::optional<pid_t> pid = temp_file_pid(entry.path());
    if (!pid || process_is_running(*pid) || !entry.is_regular_file(error)) continue;
    if (fs::remove(entry.path(), error)) removed.push_back(entry.path());
  }
  return removed;
}

}  // namespace quantlab
