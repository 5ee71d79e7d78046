#pragma once
// Checks a LibTorch archive (a zip of pickles and tensor records, what
// torch::serialize::OutputArchive writes) before LibTorch reads it. LibTorch
// allocates what a damaged file's lengths claim, gigabytes for a file of a
// few kilobytes, before it finds that the data is not there.
#include <filesystem>
#include <string>

#include <torch/serialize/input-archive.h>

namespace quantlab {

// Throws StorageError naming `path`, the record and what is wrong when a
// record claims more bytes than the archive holds, or a pickle record has an
// opcode this check does not know, a length past its end, a memo id past
// its length, a persistent id that is not a storage, or a storage that needs
// more bytes than its record holds.
void check_torch_archive(const std::filesystem::path& path, const std::string& contents);

// After LibTorch has read it: every tensor in `archive` (nested archives
// included) must lie within its data. LibTorch does not check that a
// tensor's sizes, strides and offset fit the storage record they point
// into, so a damaged file gives tensors whose reads run past their memory.
// Throws StorageError naming `path` and the first such tensor.
void check_tensor_extents(const std::filesystem::path& path, torch::serialize::InputArchive& archive);

}  // namespace quantlab
