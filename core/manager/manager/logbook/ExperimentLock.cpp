#include "manager/logbook/ExperimentLock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "quantlab/Errors.h"

namespace quantlab {

namespace {

std::string holder_of(int fd) {
  char text[256] = {};
  const ssize_t length = ::pread(fd, text, sizeof text - 1, 0);
  std::string holder = length > 0 ? std::string(text, static_cast<std::size_t>(length)) : "";
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\r')) holder.pop_back();
  return holder.empty() ? "an unknown process" : holder;
}

std::string this_process() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "?");
  return std::string(host) + ":" + std::to_string(::getpid());
}

}  // namespace

ExperimentLock::ExperimentLock(const std::filesystem::path& experiment_dir) {
  const std::filesystem::path path = file(experiment_dir);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw StorageError(path.string() + ": cannot open the experiment's lock file: " + std::strerror(errno) +
                       " (expected a writable experiment folder)");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const std::string holder = error == EWOULDBLOCK ? holder_of(fd_) : "";
    ::close(fd_);
    fd_ = -1;
    if (error == EWOULDBLOCK)
      throw StorageError(experiment_dir.filename().string() + " is being trained by " + holder + " (it holds " +
                         path.string() + "); one experiment has one writer: wait for it or stop it (--mode test " +
                         "reads it meanwhile)");
    throw StorageError(path.string() + ": cannot lock the experiment: " + std::strerror(error));
  }
  const std::string me = this_process() + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    throw StorageError(path.string() + ": cannot write the experiment's lock file: " + std::strerror(error));
  }
}

ExperimentLock::~ExperimentLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace quantlab
