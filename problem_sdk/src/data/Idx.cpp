#include "quantlab/data/Idx.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <torch/torch.h>

#include "quantlab/Errors.h"

namespace quantlab::data {
namespace {

// Deflate cannot expand data by more than about 1032:1, so a gzip file of n
// bytes never inflates to more than this; a header promising more is lying.
constexpr std::uint64_t kMaxDeflateRatio = 1032;
constexpr std::uint64_t kMaxIdxBytes = std::uint64_t{1} << 40;

std::string hex32(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08X", value);
  return text;
}

std::uint32_t big_endian32(const unsigned char* bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

// Reads IDX bytes through zlib, which passes plain files through unchanged.
class IdxStream {
 public:
  explicit IdxStream(const std::filesystem::path& file) : file_(file) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error)) fail("expected an IDX file, found none");
    file_bytes_ = std::filesystem::file_size(file, error);
    if (error) fail("cannot read its size (" + error.message() + ")");
    errno = 0;
    handle_ = gzopen(file.c_str(), "rb");
    if (handle_ == nullptr)
      fail(std::string("cannot open it (") + (errno ? std::strerror(errno) : "out of memory") + ")");
    gzbuffer(handle_, 1 << 17);
  }
  ~IdxStream() {
    if (handle_ != nullptr) gzclose(handle_);
  }
  IdxStream(const IdxStream&) = delete;
  IdxStream& operator=(const IdxStream&) = delete;

  // Fills as much of [data, data + length) as the file holds; returns the count.
  std::uint64_t read(void* data, std::uint64_t length) {
    auto* out = static_cast<unsigned char*>(data);
    std::uint64_t done = 0;
    while (done < length) {
      const auto chunk = static_cast<unsigned>(std::min<std::uint64_t>(length - done, INT_MAX));
      const int got = gzread(handle_, out + done, chunk);
      if (got < 0) fail_on_stream();
      if (got == 0) break;
      done += static_cast<std::uint64_t>(got);
    }
    // A gzip stream cut short reads as end of file but leaves an error behind.
    int code = Z_OK;
    gzerror(handle_, &code);
    if (code != Z_OK) fail_on_stream();
    return done;
  }

  bool compressed() const { return gzdirect(handle_) == 0; }
  std::uint64_t file_bytes() const { return file_bytes_; }

  [[noreturn]] void fail(const std::string& what) const {
    throw DataError(file_.string() + ": " + what);
  }

 private:
  [[noreturn]] void fail_on_stream() const {
    int code = Z_OK;
    const char* message = gzerror(handle_, &code);
    if (code == Z_ERRNO) fail(std::string("read error (") + std::strerror(errno) + ")");
    if (code == Z_BUF_ERROR)
      fail("truncated: the gzip stream ends before its end marker");
    fail(std::string("expected a valid gzip stream, but it is corrupt (") +
         (message ? message : "unknown zlib error") + ")");
  }

  std::filesystem::path file_;
  std::uint64_t file_bytes_ = 0;
  gzFile handle_ = nullptr;
};

}  // namespace

torch::Tensor read_idx(const std::filesystem::path& file, int dimensions) {
  TORCH_CHECK(dimensions >= 1 && dimensions <= 255, "IDX dimension count out of range");
  IdxStream stream(file);

  std::array<unsigned char, 4> magic_bytes{};
  const std::uint64_t magic_read = stream.read(magic_bytes.data(), magic_bytes.size());
  const std::uint32_t expected_magic = idx_uint8_magic(dimensions);
  const std::string expected_text = "IDX magic number " + hex32(expected_magic) +
                                    " (unsigned bytes, " + std::to_string(dimensions) +
                                    (dimensions == 1 ? " dimension)" : " dimensions)");
  if (magic_read < magic_bytes.size())
    stream.fail("truncated: expected an " + expected_text + ", but the file has only " +
                std::to_string(magic_read) + " bytes");
  const std::uint32_t magic = big_endian32(magic_bytes.data());
  if (magic != expected_magic) stream.fail("expected " + expected_text + ", got " + hex32(magic));

  std::vector<unsigned char> size_bytes(4 * static_cast<size_t>(dimensions));
  if (stream.read(size_bytes.data(), size_bytes.size()) < size_bytes.size())
    stream.fail("truncated: the header ends before its " + std::to_string(dimensions) +
                " dimension sizes");
  std::vector<std::int64_t> shape;
  std::uint64_t payload = 1;
  // The product of the non-zero sizes: an empty data set ([0, 28, 28]) holds
  // no data, but its shape must still be one a tensor can have.
  std::uint64_t extent = 1;
  for (int d = 0; d < dimensions; ++d) {
    const std::uint32_t size = big_endian32(size_bytes.data() + 4 * d);
    shape.push_back(size);
    payload = size == 0 ? 0 : (payload > kMaxIdxBytes / size ? kMaxIdxBytes + 1 : payload * size);
    if (size != 0) extent = extent > kMaxIdxBytes / size ? kMaxIdxBytes + 1 : extent * size;
  }
  const std::uint64_t header = 4 + size_bytes.size();
  // Check before allocating, so a damaged header cannot ask for terabytes.
  const std::uint64_t can_hold = stream.compressed()
                                     ? stream.file_bytes() * kMaxDeflateRatio
                                     : stream.file_bytes() - std::min(stream.file_bytes(), header);
  if (payload > can_hold)
    stream.fail("truncated: the header promises " + std::to_string(payload) +
                " bytes of data, more than this " + std::to_string(stream.file_bytes()) +
                "-byte file can hold");

  if (extent > kMaxIdxBytes) {
    std::string sizes;
    for (const auto size : shape) sizes += (sizes.empty() ? "" : " x ") + std::to_string(size);
    stream.fail("its header's dimension sizes (" + sizes + ") describe more than " + std::to_string(kMaxIdxBytes) +
                " values, expected the sizes of a data set");
  }

  torch::Tensor values = torch::empty(shape, torch::kUInt8);
  const std::uint64_t got = stream.read(values.data_ptr<std::uint8_t>(), payload);
  if (got < payload)
    stream.fail("truncated: the header promises " + std::to_string(payload) +
                " bytes of data, the file holds " + std::to_string(got));
  unsigned char extra = 0;
  if (stream.read(&extra, 1) != 0)
    stream.fail("expected exactly " + std::to_string(payload) +
                " bytes of data after the header, found more");
  return values;
}

}  // namespace quantlab::data
