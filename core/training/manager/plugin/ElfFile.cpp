#include "manager/plugin/ElfFile.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "quantlab/Errors.h"

namespace quantlab {

namespace {

[[noreturn]] void damaged(const std::filesystem::path& path, const std::string& what) {
  throw PluginError(path.string() + ": not a loadable plugin: " + what +
                    " (a truncated or damaged file: copy or build it again)");
}

}  // namespace

void check_elf_shared_object(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw PluginError(path.string() + ": cannot be read");
  file.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(file.tellg());
  file.seekg(0);

  Elf64_Ehdr header{};
  if (size < sizeof header || !file.read(reinterpret_cast<char*>(&header), sizeof header))
    damaged(path, "the file has " + std::to_string(size) + " bytes, fewer than an ELF header");
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) damaged(path, "no ELF magic number at its start");
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB ||
      header.e_machine != EM_X86_64)
    throw PluginError(path.string() + ": an ELF file for another machine (expected 64-bit little-endian x86-64)");
  if (header.e_type != ET_DYN) damaged(path, "not a shared object (ELF type " + std::to_string(header.e_type) + ")");
  if (header.e_phentsize != sizeof(Elf64_Phdr)) damaged(path, "program headers of an unexpected size");

  const std::uint64_t headers_end = header.e_phoff + std::uint64_t{header.e_phnum} * header.e_phentsize;
  if (headers_end > size)
    damaged(path, "its program headers end at byte " + std::to_string(headers_end) + ", the file has " +
                      std::to_string(size) + " bytes");
  std::vector<Elf64_Phdr> segments(header.e_phnum);
  file.seekg(static_cast<std::streamoff>(header.e_phoff));
  if (!file.read(reinterpret_cast<char*>(segments.data()),
                 static_cast<std::streamsize>(segments.size() * sizeof(Elf64_Phdr))))
    damaged(path, "its program headers cannot be read");
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const Elf64_Phdr& segment = segments[i];
    if (segment.p_type != PT_LOAD && segment.p_type != PT_DYNAMIC) continue;
    const std::uint64_t end = segment.p_offset + segment.p_filesz;
    if (end < segment.p_offset || end > size)
      damaged(path, std::string(segment.p_type == PT_LOAD ? "its loadable segment " : "its dynamic segment ") +
                        std::to_string(i) + " ends at byte " + std::to_string(end) + ", the file has " +
                        std::to_string(size) + " bytes");
  }
  if (header.e_shnum > 0) {
    const std::uint64_t sections_end = header.e_shoff + std::uint64_t{header.e_shnum} * header.e_shentsize;
    if (sections_end > size)
      damaged(path, "its section headers end at byte " + std::to_string(sections_end) + ", the file has " +
                        std::to_string(size) + " bytes");
  }
}

}  // namespace quantlab
