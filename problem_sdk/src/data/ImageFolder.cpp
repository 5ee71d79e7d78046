#include "quantlab/data/ImageFolder.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "quantlab/Errors.h"

namespace quantlab::data {

namespace fs = std::filesystem;

namespace {

bool has_image_extension(const std::string& name) {
  const auto dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  std::string extension = name.substr(dot + 1);
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension == "jpeg" || extension == "jpg" || extension == "png";
}

// Folder entries whose type the listing gives (d_type), so a 1.28 M file tree
// is indexed without a stat per file; only entries of unknown type fall back
// to one.
bool is_folder(const fs::directory_entry& entry) {
  std::error_code error;
  return entry.is_directory(error);
}

}  // namespace

ImageFolder::ImageFolder(fs::path split) : root_(std::move(split)) {
  std::error_code error;
  const auto status = fs::status(root_, error);
  if (!fs::exists(status))
    throw DataError("image folder " + root_.string() + " does not exist (expected " + root_.string() +
                    "/<class>/<image> files)");
  if (!fs::is_directory(status)) throw DataError("image folder " + root_.string() + " is not a folder");

  fs::directory_iterator classes_listing(root_, error);
  if (error) throw DataError("cannot list image folder " + root_.string() + ": " + error.message());
  for (const auto& entry : classes_listing)
    if (is_folder(entry)) classes_.push_back(entry.path().filename().string());
  if (classes_.empty())
    throw DataError("image folder " + root_.string() + " holds no class folders (expected " + root_.string() +
                    "/<class>/<image> files)");
  std::sort(classes_.begin(), classes_.end());

  offsets_.push_back(0);
  std::vector<std::string> files;
  for (const auto& name : classes_) {
    const fs::path folder = root_ / name;
    files.clear();
    fs::directory_iterator listing(folder, error);
    if (error) throw DataError("cannot list class folder " + folder.string() + ": " + error.message());
    for (const auto& entry : listing) {
      std::string file = entry.path().filename().string();
      if (has_image_extension(file) && !is_folder(entry)) files.push_back(std::move(file));
    }
    if (files.empty())
      throw DataError("class folder " + folder.string() + " holds no images (.jpeg, .jpg or .png files)");
    std::sort(files.begin(), files.end());
    class_begin_.push_back(size());
    for (const auto& file : files) {
      names_ += file;
      offsets_.push_back(names_.size());
    }
  }
  class_begin_.push_back(size());
}

std::int64_t ImageFolder::target(std::int64_t index) const {
  TORCH_CHECK(index >= 0 && index < size(), "image index ", index, " out of range [0, ", size(), ")");
  // The last class whose first image is at or before index.
  const auto it = std::upper_bound(class_begin_.begin(), class_begin_.end(), index);
  return static_cast<std::int64_t>(it - class_begin_.begin()) - 1;
}

fs::path ImageFolder::path(std::int64_t index) const {
  const std::int64_t c = target(index);
  return root_ / classes_[c] / names_.substr(offsets_[index], offsets_[index + 1] - offsets_[index]);
}

std::vector<std::int64_t> ImageFolder::class_counts() const {
  std::vector<std::int64_t> counts;
  for (std::size_t c = 0; c + 1 < class_begin_.size(); ++c) counts.push_back(class_begin_[c + 1] - class_begin_[c]);
  return counts;
}

Sample ImageFolder::sample(std::int64_t index) const {
  const std::int64_t label = target(index);
  std::string file = path(index).string();
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw DataError("cannot read image " + file + ": " + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int saved = errno;
    ::close(fd);
    throw DataError("cannot read image " + file + ": " + std::strerror(saved));
  }
  auto bytes = torch::empty({static_cast<std::int64_t>(info.st_size)}, torch::kUInt8);
  auto* data = bytes.data_ptr<std::uint8_t>();
  std::int64_t done = 0;
  while (done < info.st_size) {
    const ssize_t got = ::read(fd, data + done, static_cast<std::size_t>(info.st_size - done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      const std::string why = got < 0 ? std::strerror(errno) : "file shrank while being read";
      ::close(fd);
      throw DataError("cannot read image " + file + ": " + why);
    }
    done += got;
  }
  ::close(fd);
  return Sample{bytes, torch::scalar_tensor(label, torch::kInt64), std::move(file)};
}

std::string ImageFolder::describe() const {
  return std::to_string(size()) + " images in " + std::to_string(classes_.size()) + " classes from " +
         root_.string();
}

}  // namespace quantlab::data
