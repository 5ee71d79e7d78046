// `qlhost summary` end to end on the Fashion-MNIST SimpleCNN: the totals a
// user reads, before and after a recipe, and nothing written to the home.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>

#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> summary(const fs::path& home, std::vector<std::string> extra) {
  std::vector<std::string> arguments{test::qlhost_path(), "summary", "--plugin", test::plugin_path("fashionmnist"),
                                     "--topology", "SimpleCNN", "--home", home.string()};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

struct Totals {
  int64_t parameters = 0, size_bytes = 0, macs = 0, bops = 0;
};

int64_t number(const std::string& grouped) {
  std::string digits;
  for (const char c : grouped)
    if (c != ',') digits += c;
  return std::stoll(digits);
}

// The two totals lines, before and after the recipe.
std::vector<Totals> totals(const std::string& output) {
  static const std::regex line(
      R"(parameters ([\d,]+), model size ([\d,]+) bytes, MACs ([\d,]+), BOPs ([\d,]+) \(per sample\))");
  std::vector<Totals> found;
  for (std::sregex_iterator match(output.begin(), output.end(), line), end; match != end; ++match)
    found.push_back({number((*match)[1]), number((*match)[2]), number((*match)[3]), number((*match)[4])});
  return found;
}

// SimpleCNN {channels: [32, 64], hidden: 256} on 1x28x28, by hand:
//   conv1 1->32 3x3 no bias: 288 weights; 32x28x28 outputs x 9 = 225,792 MACs
//   bn1: 64 parameters, 65 buffers (mean, var, counter); pool -> 32x14x14
//   conv2 32->64 3x3 no bias: 18,432 weights; 64x14x14 outputs x 288 = 3,612,672 MACs
//   bn2: 128 parameters, 129 buffers; pool -> 64x7x7 = 3,136
//   fc1 3136->256: 802,816 weights + 256 biases, 802,816 MACs
//   fc2 256->10: 2,560 weights + 10 biases, 2,560 MACs
constexpr int64_t kConv1Macs = 225792, kOtherMacs = 3612672 + 802816 + 2560;
constexpr int64_t kWeights = 288 + 18432 + 802816 + 2560;
constexpr int64_t kParameters = kWeights + 64 + 128 + 256 + 10;
constexpr int64_t kBuffers = 65 + 129;

void check_full_precision(const Totals& totals) {
  CHECK(totals.parameters == kParameters);
  CHECK(totals.macs == kConv1Macs + kOtherMacs);
  CHECK(totals.size_bytes == (kParameters + kBuffers) * 4);
  CHECK(totals.bops == (kConv1Macs + kOtherMacs) * 32 * 32);
}

// 8-bit weights everywhere and 8-bit activations after every ReLU; the input
// stays 32-bit, so conv1 is 8 x 32 and the rest 8 x 8.
void check_w8a8(const Totals& totals) {
  CHECK(totals.parameters >= kParameters + 3);  // + at least PACT's alpha after each of the 3 ReLUs
  CHECK(totals.macs == kConv1Macs + kOtherMacs);
  CHECK(totals.bops == kConv1Macs * 8 * 32 + kOtherMacs * 8 * 8);
  // 8-bit weights, the rest (and the quantizers' few scales) at 32 bits.
  const int64_t least = kWeights + (kParameters - kWeights + kBuffers + 3) * 4;
  CHECK(totals.size_bytes >= least);
  CHECK(totals.size_bytes < least + 8 * 1024);
}

bool empty_folder(const fs::path& folder) { return fs::is_empty(folder); }

}  // namespace

TEST_CASE("qlhost summary of the default SimpleCNN config: the same before and after", "[summary][qlhost]") {
  test::TempDir home;
  const auto result = test::run_process(summary(home.path(), {}));
  INFO(result.output);
  REQUIRE(result.status == 0);
  const auto found = totals(result.output);
  REQUIRE(found.size() == 2);
  check_full_precision(found[0]);
  check_full_precision(found[1]);
  CHECK_THAT(result.output, Catch::Contains("conv1") && Catch::Contains("Conv2d") && Catch::Contains("32x28x28"));
  CHECK_THAT(result.output, Catch::Contains("(1.00x)"));
  CHECK(empty_folder(home.path()));
}

TEST_CASE("qlhost summary of a W8A8 recipe given with --set", "[summary][qlhost]") {
  test::TempDir home;
  const std::string recipe =
      "network.quantize={recipe: rules, params: {rules: ["
      "{select: {type: [Conv2d, Linear]}, weight: {algorithm: lsq, bits: 8, per_channel: true}},"
      "{select: {type: ReLU}, output: {algorithm: pact, bits: 8}}]}}";
  const auto result = test::run_process(summary(home.path(), {"--set", recipe}));
  INFO(result.output);
  REQUIRE(result.status == 0);
  const auto found = totals(result.output);
  REQUIRE(found.size() == 2);
  check_full_precision(found[0]);
  check_w8a8(found[1]);
  CHECK_THAT(result.output, Catch::Contains("QuantConv2d") && Catch::Contains("QuantLinear"));
  CHECK(empty_folder(home.path()));
}

TEST_CASE("qlhost summary of configs/fashionmnist/SimpleCNN.pact-w8a8.yaml", "[summary][qlhost]") {
  test::TempDir home;
  const fs::path config = fs::path(QUANTLAB_SOURCE_DIR) / "configs" / "fashionmnist" / "SimpleCNN.pact-w8a8.yaml";
  const auto result = test::run_process(summary(home.path(), {"--config", config.string()}));
  INFO(result.output);
  REQUIRE(result.status == 0);  // its network.pretrained is not needed for counting
  const auto found = totals(result.output);
  REQUIRE(found.size() == 2);
  check_full_precision(found[0]);
  check_w8a8(found[1]);
  CHECK(empty_folder(home.path()));
}

TEST_CASE("qlhost summary refuses a bad config with one error line", "[summary][qlhost]") {
  test::TempDir home;
  std::ofstream(home / "broken.yaml") << "network: [\n";
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {"--config", (home / "missing.yaml").string()},
           {"--config", (home / "broken.yaml").string()},
           {"--set", "network.params.widht=8"},
           {"--set", "network.quantize={recipe: rules, params: {rules: [{select: {type: Conv2d}, "
                     "weight: {algorithm: nonesuch}}]}}"}}) {
    const auto result = test::run_process(summary(home.path(), extra));
    INFO(result.output);
    CHECK(result.status == 2);
    std::istringstream lines(result.output);
    int error_lines = 0;
    for (std::string line; std::getline(lines, line);) error_lines += line.rfind("qlhost: error: ", 0) == 0;
    CHECK(error_lines == 1);
    CHECK_THAT(result.output, !Catch::Contains("before the recipe"));
  }
}

TEST_CASE("qlhost summary: every shipped SimpleCNN config shrinks the model and its bit-operations",
          "[summary][qlhost]") {
  test::TempDir home;
  for (const auto& entry : fs::directory_iterator(fs::path(QUANTLAB_SOURCE_DIR) / "configs" / "fashionmnist")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("SimpleCNN.", 0) != 0 || name == "SimpleCNN.yaml" || name == "SimpleCNN.fp32.yaml") continue;
    const auto result = test::run_process(summary(home.path(), {"--config", entry.path().string()}));
    INFO(name << "\n" << result.output);
    REQUIRE(result.status == 0);
    const auto found = totals(result.output);
    REQUIRE(found.size() == 2);
    check_full_precision(found[0]);
    CHECK(found[1].macs == found[0].macs);
    CHECK(found[1].size_bytes < found[0].size_bytes / 3);  // at most 8-bit weights
    CHECK(found[1].bops < found[0].bops / 10);             // at most 8-bit weights and activations after conv1
  }
  CHECK(empty_folder(home.path()));
}

TEST_CASE("qlhost summary counts BinaryCNN binary-w1a1's block convs as 1-bit weights times 1-bit inputs",
          "[summary][qlhost]") {
  test::TempDir home;
  const auto result = test::run_process(
      {test::qlhost_path(), "summary", "--plugin", test::plugin_path("fashionmnist"), "--topology", "BinaryCNN",
       "--home", home.path().string(), "--config",
       (fs::path(QUANTLAB_SOURCE_DIR) / "configs" / "fashionmnist" / "BinaryCNN.binary-w1a1.yaml").string()});
  INFO(result.output);
  REQUIRE(result.status == 0);
  // name, type, output, params, MACs, W bits, A bits, BOPs
  const std::regex row(R"((layer[0-9]\.[0-9]\.conv) +QuantConv2d +\S+ +\S+ +(\S+) +(\S+) +(\S+) +(\S+))");
  int binary_convs = 0;
  for (auto it = std::sregex_iterator(result.output.begin(), result.output.end(), row); it != std::sregex_iterator();
       ++it) {
    const std::smatch& match = *it;
    INFO(match[1].str());
    CHECK(match[3].str() == "1");
    CHECK(match[4].str() == "1");
    CHECK(match[5].str() == match[2].str());  // BOPs = MACs x 1 x 1
    ++binary_convs;
  }
  CHECK(binary_convs == 4);
  const auto found = totals(result.output);
  REQUIRE(found.size() == 2);
  CHECK(found[1].macs == found[0].macs);
  CHECK(found[1].size_bytes < found[0].size_bytes / 8);
  CHECK(found[1].bops < found[0].bops / 100);
  CHECK(empty_folder(home.path()));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
