#include <catch2/catch.hpp>

#include "manager/plugin/PluginLoader.h"
#include "quantlab/Plugin.h"
#include "support/ErrorMessage.h"
#include "support/Files.h"
#include "support/Process.h"
#include "support/TempDir.h"

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
        fixture("torch_mismatch") + ": built with LibTorch 0.4.1, qlhost uses LibTorch " + TORCH_VERSION +
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
