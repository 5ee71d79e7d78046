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
  test::write_bytes(dir / "libtext.so", "not an ELF file\n");
  CHECK_THAT(load_error((dir / "libtext.so").string()),
             Catch::Contains("cannot be loaded as a shared library") && Catch::Contains("libtext.so"));
}
