#include "CifarBinary.h"

#include <fstream>
#include <system_error>

#include <torch/torch.h>

#include "quantlab/Errors.h"

namespace cifar10 {

CifarImages read_cifar_binary(const std::filesystem::path& file) {
  const std::string expected = "expected a CIFAR-10 binary batch of " + std::to_string(kRecordBytes) +
                               "-byte records (1 label byte + 3072 pixel bytes)";
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error))
    throw quantlab::DataError(file.string() + ": no such file; " + expected);
  const auto bytes = std::filesystem::file_size(file, error);
  if (error) throw quantlab::DataError(file.string() + ": cannot read its size (" + error.message() + "); " + expected);
  if (bytes == 0 || bytes % kRecordBytes != 0)
    throw quantlab::DataError(file.string() + ": " + expected + ", got " + std::to_string(bytes) +
                              " bytes, which is not a positive multiple of " + std::to_string(kRecordBytes));
  const auto records = static_cast<std::int64_t>(bytes / kRecordBytes);
  torch::Tensor raw = torch::empty({records, kRecordBytes}, torch::kUInt8);
  std::ifstream in(file, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(raw.data_ptr<std::uint8_t>()), static_cast<std::streamsize>(bytes)))
    throw quantlab::DataError(file.string() + ": could not read its " + std::to_string(bytes) + " bytes; " + expected);

  torch::Tensor labels = raw.select(1, 0).to(torch::kLong);
  const auto max_label = labels.max().item<std::int64_t>();
  if (max_label >= kClasses) {
    const auto record = labels.ge(kClasses).nonzero()[0][0].item<std::int64_t>();
    throw quantlab::DataError(file.string() + ": record " + std::to_string(record) + " (byte offset " +
                              std::to_string(record * kRecordBytes) + ") has label " +
                              std::to_string(labels[record].item<std::int64_t>()) + ", expected 0 to 9");
  }
  torch::Tensor images = raw.slice(1, 1).reshape({records, kChannels, kImageSide, kImageSide}).contiguous();
  return {std::move(images), std::move(labels)};
}

}  // namespace cifar10
