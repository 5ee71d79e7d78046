#pragma once
// Files that a reader finds either wholly old or wholly new, even when the
// writer is killed halfway: the bytes go to "<target>.tmp.<pid>" in the same
// folder (rename() is atomic only within one filesystem), which is fsynced and
// renamed over the target, then the folder is fsynced so the rename survives a
// crash. A killed writer leaves only its temporary behind; the Logbook's
// listings ignore such files and remove_stale_temp_files() clears them.
#include <functional>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace quantlab {

// "<target>.tmp.<pid of this process>".
std::filesystem::path temp_file_for(const std::filesystem::path& target);

// Whether the file name has the form of a temporary of any target and any pid.
bool is_temp_file(const std::filesystem::path& path);

// Throws StorageError naming the target when it cannot be written.
void write_file_atomically(const std::filesystem::path& target, std::string_view bytes);

// For writers that want a path of their own (torch::save): `write` fills the
// temporary path it is given; if it throws, the temporary is removed and the
// target is left untouched.
using TempFileWriter = std::function<void(const std::filesystem::path& temp_file)>;
void write_file_atomically(const std::filesystem::path& target, const TempFileWriter& write);

// The whole file's bytes, or std::nullopt when it cannot be opened or read
// (each caller names the file in its own error).
std::optional<std::string> read_whole_file(const std::filesystem::path& path);

// Removes, under folder and its subfolders, temporaries whose writing process
// is no longer running; returns what it removed. Temporaries of live
// processes (this one included) are left alone: they may still be writing.
std::vector<std::filesystem::path> remove_stale_temp_files(const std::filesystem::path& folder);

}  // namespace quantlab
