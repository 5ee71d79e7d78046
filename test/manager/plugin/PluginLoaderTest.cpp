#include <catch2/catch.hpp>

#include "manager/plugin/PluginLoader.h"
#include "quantlab/Plugin.h"
#include "support/ErrorMessage.h"
#include "support/Files.h"
#include "support/Process.h"
#include "support/TempDir.h"

#include <fstream>
#include <torch/version.h>

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;

namespace {
std::string fixture(const std::string& name) {
  return std::string(QUANTLAB_BUILD_DIR) + "/test/fixtures/lib" + name + ".so";
}
std::string load_error(const std::string& path) {
  return test::error_message_of<PluginError>([&] { load_plugin(path); });
}
}  // namespace

TEST_CASE("the Fashion-MNIST plugin loads with its descriptor and topologies", "[plugin]") {
  const auto plugin = load_plugin(test::plugin_path("fashionmnist"));
  CHECK(plugin.name == "fashionmnist");
  CHECK(plugin.abi_version == QUANTLAB_SDK_ABI_VERSION);
  CHECK(plugin.torch_version == TORCH_VERSION);
  CHECK(plugin.topology("SimpleCNN")->name() == "SimpleCNN");
  CHECK(plugin.topology("MLP")->name() == "MLP");
  CHECK_THROWS_WITH(plugin.topology("ResNet"), Catch::Contains("topology \"ResNet\": not in plugin fashionmnist") &&
                                                   Catch::Contains("expected one of: "));
}

TEST_CASE("plugins of another ABI, another LibTorch, or none at all are refused naming both sides", "[plugin]") {
  CHECK(load_error(fixture("abi_mismatch")) ==
        fixture("abi_mismatch") + ": built for plugin ABI " + std::to_string(QUANTLAB_SDK_ABI_VERSION + 98) +
            ", this qlhost speaks ABI " + std::to_string(QUANTLAB_SDK_ABI_VERSION) +
            "; rebuild the plugin against this SDK");
  CHECK(load_error(fixture("torch_mismatch")) ==
        fixture("torch_mismatch") + ": built with LibTorch 0.4.1, qlhost with LibTorch " + TORCH_VERSION +
            "; rebuild the plugin with the same LibTorch");
  CHECK_THAT(load_error(fixture("no_entry")), Catch::Contains("not a QuantLab plugin"));
  CHECK_THAT(load_error("/nonexistent/libx.so"), Catch::StartsWith("/nonexistent/libx.so: no such plugin file"));

  test::TempDir dir;
  std::string text;
  for (int line = 0; line < 8; ++line) text += "not an ELF file\n";
  test::write_bytes(dir / "libtext.so", text);
  CHECK_THAT(load_error((dir / "libtext.so").string()),
             Catch::StartsWith((dir / "libtext.so").string() + ": not a loadable plugin: no ELF magic number"));
  test::write_bytes(dir / "libshort.so", "\x7f" "ELF");
  CHECK_THAT(load_error((dir / "libshort.so").string()),
             Catch::Contains("the file has 4 bytes, fewer than an ELF header"));
}

TEST_CASE("a plugin file cut short inside its loadable segments is refused before it is mapped", "[plugin]") {
  const std::string whole = test::read_text(test::plugin_path("fashionmnist"));
  test::TempDir dir;
  // 60000 bytes: inside the first loadable segment; 200 bytes: inside the
  // program headers; one byte short: the section headers at the end.
  for (const std::size_t length : {std::size_t{60000}, std::size_t{200}, whole.size() - 1}) {
    CAPTURE(length);
    const auto cut = dir / ("libcut" + std::to_string(length) + ".so");
    test::write_bytes(cut, whole.substr(0, length));
    const std::string message = load_error(cut.string());
    CHECK_THAT(message, Catch::StartsWith(cut.string() + ": not a loadable plugin: its ") &&
                            Catch::Contains("the file has " + std::to_string(length) + " bytes"));
  }
  // qlhost says it in one line, exit status 2, instead of dying of SIGBUS.
  const auto cut = dir / "libcut60000.so";
  const auto result = test::run_process({test::qlhost_path(), "plugin", "info", cut.string()});
  CHECK(result.status == 2);
  const auto errors = test::error_lines(result.output);
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::Contains("libcut60000.so: not a loadable plugin"));
}

TEST_CASE("each part of a plugin's build identity is compared, naming both sides", "[plugin]") {
  PluginDescriptor good{QUANTLAB_SDK_ABI_VERSION, "p",  "1",  QUANTLAB_HEADERS_HASH, TORCH_VERSION,
                        QUANTLAB_COMPILER,        QUANTLAB_STANDARD_LIBRARY, [] { return static_cast<Problem*>(nullptr); }};
  CHECK_NOTHROW(check_plugin_descriptor("libp.so", good));
  auto refused = [&](PluginDescriptor descriptor) {
    return test::error_message_of<PluginError>([&] { check_plugin_descriptor("libp.so", descriptor); });
  };
  PluginDescriptor other = good;
  other.headers_hash = "0123456789abcdef";
  CHECK(refused(other) == std::string("libp.so: built with boundary headers (hash) 0123456789abcdef, qlhost with "
                                      "boundary headers (hash) ") +
                              QUANTLAB_HEADERS_HASH + "; rebuild the plugin against this qlhost's SDK");
  other = good;
  other.compiler = "gcc 11.4.0";
  CHECK(refused(other) == std::string("libp.so: built with compiler gcc 11.4.0, qlhost with compiler ") +
                              QUANTLAB_COMPILER + "; rebuild the plugin with the same compiler");
  other = good;
  other.standard_library = "libc++ 16000";
  CHECK_THAT(refused(other), Catch::Contains("built with standard library libc++ 16000, qlhost with standard library " +
                                             std::string(QUANTLAB_STANDARD_LIBRARY)));
  other = good;
  other.torch_version = nullptr;
  CHECK_THAT(refused(other), Catch::Contains("built with LibTorch (none)"));
  other = good;
  other.create_problem = nullptr;
  CHECK(refused(other) == "libp.so: its descriptor has no name or problem factory");
}

TEST_CASE("a plugin built against a changed boundary header is refused by a host built before the change",
          "[plugin]") {
  // The build's own identity script over a copy of the boundary headers: as
  // they are, and after a virtual function is added to Topology (what once
  // made a stale plugin call the wrong function without any ABI number moving).
  test::TempDir dir;
  namespace fs = std::filesystem;
  const fs::path source = QUANTLAB_SOURCE_DIR;
  // Each include root of the boundary (the SDK's, quantlib's, base's), copied
  // into <copy>/<i>.
  std::vector<fs::path> roots;
  for (std::string_view rest = QUANTLAB_IDENTITY_ROOTS; !rest.empty();) {
    const size_t bar = rest.find('|');
    roots.emplace_back(rest.substr(0, bar));
    rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
  }
  REQUIRE(roots.size() >= 3);
  auto copied_roots = [&](const fs::path& copy) {
    std::vector<fs::path> copies;
    for (size_t i = 0; i < roots.size(); ++i) copies.push_back(copy / std::to_string(i));
    return copies;
  };
  auto identity_of = [&](const fs::path& copy) {
    const fs::path header = copy / "generated" / "quantlab" / "BuildIdentity.h";
    std::string joined;
    for (const auto& root : copied_roots(copy)) joined += (joined.empty() ? "" : "|") + root.string();
    const auto run = test::run_process({QUANTLAB_CMAKE_COMMAND, "-DOUTPUT=" + header.string(), "-DROOTS=" + joined, "-P",
                                        (source / "cmake" / "BuildIdentity.cmake").string()});
    REQUIRE(run.status == 0);
    return header;
  };
  for (const std::string name : {"same", "changed"})
    for (size_t i = 0; i < roots.size(); ++i) {
      fs::create_directories(dir / name / std::to_string(i));
      fs::copy(roots[i], dir / name / std::to_string(i), fs::copy_options::recursive);
    }
  // The SDK's root comes first.
  std::ofstream(dir / "changed" / "0" / "quantlab" / "Topology.h", std::ios::app)
      << "\nnamespace quantlab { struct AddedByTheTest { virtual ~AddedByTheTest(); virtual int f(); }; }\n";
  const std::string same = test::read_text(identity_of(dir / "same"));
  const std::string changed = test::read_text(identity_of(dir / "changed"));
  // The unchanged copy hashes to what this build compiled in.
  CHECK_THAT(same, Catch::Contains(std::string("\"") + QUANTLAB_HEADERS_HASH + "\""));
  REQUIRE(same != changed);

  // A plugin compiled against each copy: everything else of its identity is
  // this build's, and it has no problem factory, so a plugin whose identity
  // passes is refused for that instead.
  const std::string plugin_source =
      "#include <boost/dll/alias.hpp>\n#include \"quantlab/PluginDescriptor.h\"\n"
      "namespace { const quantlab::PluginDescriptor* descriptor() {\n"
      "  static const quantlab::PluginDescriptor d{QUANTLAB_SDK_ABI_VERSION, \"stale\", \"1\", QUANTLAB_HEADERS_HASH, \"" +
      std::string(TORCH_VERSION) + "\", QUANTLAB_COMPILER, QUANTLAB_STANDARD_LIBRARY, nullptr};\n  return &d; } }\n"
      "BOOST_DLL_ALIAS(descriptor, QUANTLAB_PLUGIN_SYMBOL)\n";
  test::write_bytes(dir / "stale.cpp", plugin_source);
  auto build_plugin = [&](const std::string& name) {
    const fs::path library = dir / ("lib" + name + ".so");
    std::vector<std::string> command = {QUANTLAB_CXX_COMPILER, "-std=c++20", "-shared", "-fPIC", "-fvisibility=hidden",
                                        "-I" + (dir / name / "generated").string()};
    for (const auto& root : copied_roots(dir / name)) command.push_back("-I" + root.string());
    command.insert(command.end(), {(dir / "stale.cpp").string(), "-o", library.string()});
    const auto run = test::run_process(command);
    INFO(run.output);
    REQUIRE(run.status == 0);
    return library.string();
  };
  const std::string stale = build_plugin("changed");
  const std::string changed_hash = changed.substr(changed.find("HASH \"") + 6, 16);
  CHECK(load_error(stale) == stale + ": built with boundary headers (hash) " + changed_hash +
                                 ", qlhost with boundary headers (hash) " + QUANTLAB_HEADERS_HASH +
                                 "; rebuild the plugin against this qlhost's SDK");
  const std::string current = build_plugin("same");
  CHECK(load_error(current) == current + ": its descriptor has no name or problem factory");
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
