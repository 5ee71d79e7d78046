#pragma once
// Checks that a file is a whole ELF shared object for this machine before the
// dynamic loader maps it: a file cut short inside a loadable segment maps
// without complaint and dies with SIGBUS on first touch, with no message.
#include <filesystem>

namespace quantlab {

// Throws PluginError naming the file and what is wrong (not ELF, another
// machine or class, a program header or loadable segment past the end of
// the file, section headers past the end of the file).
void check_elf_shared_object(const std::filesystem::path& path);

}  // namespace quantlab
