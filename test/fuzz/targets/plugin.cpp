// A plugin file, checked as qlhost checks one before the dynamic loader may
// map it, and the descriptor its entry point returns, checked as qlhost
// checks it before calling into the plugin. The file is never loaded: the
// target tests our checks, not the dynamic loader.
//
// Input: the file. Its first bytes also make a descriptor: abi_version (4
// bytes), flags (1 byte: bit 0 a problem factory), then NUL-separated name,
// version, headers hash, LibTorch version, compiler and standard library.
#include <cstring>

#include "../FuzzTarget.h"
#include "manager/plugin/ElfFile.h"
#include "manager/plugin/PluginLoader.h"
#include "quantlab/PluginDescriptor.h"

namespace {

quantlab::Problem* no_problem() { return nullptr; }

}  // namespace

QUANTLAB_FUZZ_TARGET(plugin) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  const auto file = quantlab::fuzz::write_scratch_file("libfuzz.so", input);
  quantlab::fuzz::user_errors_only([&] { quantlab::check_elf_shared_object(file); });

  if (size < 5) return;
  quantlab::PluginDescriptor descriptor{};
  std::memcpy(&descriptor.abi_version, data, 4);
  descriptor.create_problem = (data[4] & 1) ? &no_problem : nullptr;
  const std::vector<std::string> strings =
      quantlab::fuzz::split_sections(input.substr(5), std::string_view("\0", 1));
  const char* fields[6] = {};
  for (std::size_t i = 0; i < 6 && i < strings.size(); ++i) fields[i] = strings[i].c_str();
  descriptor.name = fields[0];
  descriptor.version = fields[1];
  descriptor.headers_hash = fields[2];
  descriptor.torch_version = fields[3];
  descriptor.compiler = fields[4];
  descriptor.standard_library = fields[5];
  quantlab::fuzz::user_errors_only([&] { quantlab::check_plugin_descriptor(file, descriptor); });
}
