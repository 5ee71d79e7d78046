#include "manager/sweep/SweepIndex.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "quantlab/AtomicFile.h"
#include "quantlab/Errors.h"

namespace quantlab::sweep {
namespace {

const std::vector<std::pair<PointStatus, std::string>> kStatusNames{{PointStatus::Pending, "pending"},
                                                                    {PointStatus::Running, "running"},
                                                                    {PointStatus::Done, "done"},
                                                                    {PointStatus::Failed, "failed"},
                                                                    {PointStatus::Pruned, "pruned"}};

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof(name) - 1);
  return name;
}

PointStatus parse_status(const std::string& text, const std::filesystem::path& file) {
  for (const auto& [status, name] : kStatusNames)
    if (name == text) return status;
  throw StorageError(file.string() + ": unknown point status '" + text + "'");
}

}  // namespace

std::string status_name(PointStatus status) {
  for (const auto& [value, name] : kStatusNames)
    if (value == status) return name;
  return "?";
}

bool PointRecord::dead(std::int64_t now, std::int64_t stale_after) const {
  if (status != PointStatus::Running) return false;
  if (now - heartbeat > stale_after) return true;
  // A sweep killed a moment ago: no need to wait for its heartbeat to go stale.
  const auto colon = owner.rfind(':');
  if (colon == std::string::npos || owner.substr(0, colon) != host_name()) return false;
  const pid_t pid = static_cast<pid_t>(std::stol(owner.substr(colon + 1)));
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

std::string this_owner() { return host_name() + ":" + std::to_string(::getpid()); }

std::filesystem::path SweepIndex::path(const std::filesystem::path& logs_folder, const std::string& name) {
  return logs_folder / "sweeps" / name / "index.yaml";
}

std::vector<std::string> SweepIndex::list(const std::filesystem::path& logs_folder) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(logs_folder / "sweeps", error))
    if (std::filesystem::exists(entry.path() / "index.yaml")) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

SweepIndex SweepIndex::read(const std::filesystem::path& file) {
  try {
    const YAML::Node root = YAML::LoadFile(file.string());
    if (!root.IsMap() || !root["format"] || root["format"].as<int>() != kFormat)
      throw StorageError(file.string() + ": expected a sweep index of format " + std::to_string(kFormat));
    SweepIndex index;
    index.name = root["sweep"].as<std::string>();
    index.file = root["file"].as<std::string>();
    index.fingerprint = root["fingerprint"].as<std::string>();
    index.topology = root["topology"].as<std::string>();
    for (const auto& node : root["points"]) {
      PointRecord point;
      point.point = node["point"].as<int>();
      point.repeat = node["repeat"].as<int>();
      for (const auto& item : node["assignments"])
        point.assignments.emplace_back(item.first.as<std::string>(), YAML::Clone(item.second));
      if (node["exp_id"] && !node["exp_id"].IsNull()) point.exp_id = node["exp_id"].as<int>();
      point.status = parse_status(node["status"].as<std::string>(), file);
      point.heartbeat = node["heartbeat"] ? node["heartbeat"].as<std::int64_t>() : 0;
      if (node["owner"]) point.owner = node["owner"].as<std::string>();
      if (node["message"]) point.message = node["message"].as<std::string>();
      index.points.push_back(std::move(point));
    }
    return index;
  } catch (const YAML::Exception& error) {
    throw StorageError(file.string() + ": not a readable sweep index (" + error.msg + ")");
  }
}

void SweepIndex::write(const std::filesystem::path& file) const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "format" << YAML::Value << kFormat;
  out << YAML::Key << "sweep" << YAML::Value << name;
  out << YAML::Key << "file" << YAML::Value << this->file;
  out << YAML::Key << "fingerprint" << YAML::Value << fingerprint;
  out << YAML::Key << "topology" << YAML::Value << topology;
  out << YAML::Key << "points" << YAML::Value << YAML::BeginSeq;
  for (const auto& point : points) {
    out << YAML::BeginMap;
    out << YAML::Key << "point" << YAML::Value << point.point;
    out << YAML::Key << "repeat" << YAML::Value << point.repeat;
    out << YAML::Key << "assignments" << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const auto& [key, value] : point.assignments) out << YAML::Key << key << YAML::Value << value;
    out << YAML::EndMap;
    out << YAML::Key << "exp_id" << YAML::Value;
    if (point.exp_id)
      out << *point.exp_id;
    else
      out << YAML::Null;
    out << YAML::Key << "status" << YAML::Value << status_name(point.status);
    out << YAML::Key << "heartbeat" << YAML::Value << point.heartbeat;
    if (!point.owner.empty()) out << YAML::Key << "owner" << YAML::Value << point.owner;
    if (!point.message.empty()) out << YAML::Key << "message" << YAML::Value << point.message;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  std::filesystem::create_directories(file.parent_path());
  write_file_atomically(file, std::string(out.c_str()) + "\n");
}

IndexLock::IndexLock(const std::filesystem::path& index_file) {
  std::filesystem::create_directories(index_file.parent_path());
  const std::string lock_file = index_file.string() + ".lock";
  fd_ = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw StorageError(lock_file + ": cannot open (" + std::strerror(errno) + ")");
  while (::flock(fd_, LOCK_EX) != 0)
    if (errno != EINTR) throw StorageError(lock_file + ": cannot lock (" + std::strerror(errno) + ")");
}

IndexLock::~IndexLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace quantlab::sweep
