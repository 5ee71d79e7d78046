// qlhost end to end on tiny generated ImageNet trees (a few JPEGs per class
// in train/ and val/): one epoch of ResNet-18, test mode, the summary, and bad
// input (a missing split, an empty class folder, a corrupt JPEG) named in one
// error line with exit status 2.
#include <catch2/catch.hpp>

#include <regex>
#include <sstream>

#include "manager/logbook/Logbook.h"
#include "support/ImageFiles.h"
#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace fs = std::filesystem;
using quantlab::test::qlhost_path;
using quantlab::test::run_process;

namespace {

// ResNet-18 for 3 classes, one epoch of small batches.
std::vector<std::string> one_epoch() {
  return {"--set", "experiment.n_epochs=1", "--set", "experiment.seed=3", "--set", "network.params.classes=3",
          "--set", "data.bs_train=4",       "--set", "data.bs_valid=6",   "--set", "data.workers=2"};
}

// A home whose problems/imagenet/data holds train/ (3 classes x 4 JPEGs of
// 64 x 48) and val/ (3 x 2).
fs::path make_home(const quantlab::test::TempDir& home) {
  const auto init = run_process({qlhost_path(), "problem", "init", "imagenet", "--home", home.path().string()});
  REQUIRE(init.status == 0);
  const fs::path data = home / "problems" / "imagenet" / "data";
  quantlab::test::ImageFolderSpec spec;
  spec.classes = 3;
  spec.width = 64;
  spec.height = 48;
  spec.images_per_class = 4;
  quantlab::test::write_image_folder(data / "train", spec);
  spec.images_per_class = 2;
  quantlab::test::write_image_folder(data / "val", spec);
  return data;
}

}  // namespace

TEST_CASE("qlhost trains ResNet-18 for one epoch on a tiny ImageNet and tests it", "[imagenet][qlhost][e2e]") {
  quantlab::test::TempDir home;
  make_home(home);
  const auto trained = run_process(quantlab::test::qlhost_command("imagenet", "ResNet", home.path(), one_epoch()));
  INFO(trained.output);
  REQUIRE(trained.status == 0);
  CHECK_THAT(trained.output, Catch::Contains("12 images in 3 classes") && Catch::Contains("6 images in 3 classes") &&
                                 Catch::Contains("classes 0 class_00, 1 class_01, 2 class_02") &&
                                 Catch::Contains("top1_error") && Catch::Contains("top5_error"));
  const quantlab::Logbook logbook(home / "problems" / "imagenet" / "logs");
  CHECK(fs::exists(logbook.config_file(0)));
  const auto log = quantlab::test::read_text(logbook.log_file(0));
  CHECK_THAT(log, Catch::Contains("fold 0 epoch 1/1 done") && Catch::Contains("top5_error"));

  const auto tested = run_process(quantlab::test::qlhost_command("imagenet", "ResNet", home.path(), {"--exp-id", "0", "--mode", "test"}));
  INFO(tested.output);
  CHECK(tested.status == 0);
  CHECK_THAT(tested.output, Catch::Contains("6 images in 3 classes") && Catch::Contains("top1_error"));
}

TEST_CASE("qlhost summary counts ResNet-18 at 224 x 224 before and after layers_ste_inq",
          "[imagenet][qlhost][summary]") {
  quantlab::test::TempDir home;
  make_home(home);
  const std::string recipe = std::string(QUANTLAB_SOURCE_DIR) + "/configs/imagenet/ResNet.layers_ste_inq.yaml";
  const auto result = run_process({qlhost_path(), "summary", "--plugin", quantlab::test::plugin_path("imagenet"),
                                   "--topology", "ResNet", "--home", home.path().string(), "--config", recipe});
  INFO(result.output);
  REQUIRE(result.status == 0);
  CHECK_THAT(result.output, Catch::Contains("one sample of shape 3x224x224") &&
                                Catch::Contains("layer4.1.relu2") && Catch::Contains("layer2.0.downsample.0"));
  static const std::regex totals(R"(parameters ([\d,]+), model size)");
  std::vector<std::string> counts;
  for (std::sregex_iterator match(result.output.begin(), result.output.end(), totals), end; match != end; ++match)
    counts.push_back((*match)[1]);
  REQUIRE(counts.size() == 2);
  CHECK(counts[0] == "11,689,512");

  // MobileNetV2 with its 4-bit LSQ recipe (ReLU6 outputs, expansion inputs).
  const std::string lsq = std::string(QUANTLAB_SOURCE_DIR) + "/configs/imagenet/MobileNetV2.lsq-w4a4.yaml";
  const auto mobile = run_process({qlhost_path(), "summary", "--plugin", quantlab::test::plugin_path("imagenet"),
                                   "--topology", "MobileNetV2", "--home", home.path().string(), "--config", lsq});
  INFO(mobile.output);
  REQUIRE(mobile.status == 0);
  CHECK_THAT(mobile.output, Catch::Contains("parameters 3,504,872, model size") &&
                                Catch::Contains("features.17.project_conv"));
}

TEST_CASE("qlhost summary measures a topology without its data set on a random input of its shape",
          "[imagenet][qlhost][summary]") {
  quantlab::test::TempDir home;
  REQUIRE(run_process({qlhost_path(), "problem", "init", "imagenet", "--home", home.path().string()}).status == 0);
  const auto result = run_process({qlhost_path(), "summary", "--plugin", quantlab::test::plugin_path("imagenet"),
                                   "--topology", "ResNet", "--home", home.path().string()});
  INFO(result.output);
  REQUIRE(result.status == 0);
  CHECK_THAT(result.output, Catch::Contains("one sample of shape 3x224x224") &&
                                Catch::Contains("parameters 11,689,512, model size"));
}

TEST_CASE("qlhost names a missing split, an empty class folder and a corrupt JPEG in one error line",
          "[imagenet][qlhost][errors]") {
  quantlab::test::TempDir home;
  const fs::path data = make_home(home);
  const fs::path logs = home / "problems" / "imagenet" / "logs";
  auto check_refused = [&](const fs::path& named, const std::string& why) {
    const auto result = run_process(quantlab::test::qlhost_command("imagenet", "ResNet", home.path(), one_epoch()));
    INFO(result.output);
    CHECK(result.status == 2);
    const auto errors = quantlab::test::error_lines(result.output);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::Contains(named.string()) && Catch::Contains(why));
  };

  SECTION("missing val folder") {
    fs::rename(data / "val", data / "validation");
    check_refused(data / "val", "does not exist");
    CHECK_FALSE(fs::exists(logs / "exp0000"));
  }
  SECTION("empty class folder") {
    fs::create_directories(data / "train" / "class_03");
    check_refused(data / "train" / "class_03", "no images");
    CHECK_FALSE(fs::exists(logs / "exp0000"));
  }
  SECTION("a network with fewer outputs than the data has classes") {
    auto arguments = quantlab::test::qlhost_command("imagenet", "ResNet", home.path(), one_epoch());
    arguments.insert(arguments.end(), {"--set", "network.params.classes=2"});
    const auto result = run_process(arguments);
    INFO(result.output);
    CHECK(result.status == 2);
    const auto errors = quantlab::test::error_lines(result.output);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::Contains("the data has class 2 but the network outputs 2 classes"));
  }
  SECTION("corrupt JPEG, then skipped when data.on_bad_sample says so") {
    const fs::path corrupt = data / "train" / "class_02" / "img_001.JPEG";
    quantlab::test::write_corrupt_jpeg(corrupt, quantlab::test::solid_image(64, 48, 1, 2, 3));
    check_refused(corrupt, "");
    auto arguments = quantlab::test::qlhost_command("imagenet", "ResNet", home.path(), one_epoch());
    arguments.insert(arguments.end(), {"--set", "data.on_bad_sample=skip"});
    const auto skipped = run_process(arguments);
    INFO(skipped.output);
    CHECK(skipped.status == 0);
    CHECK_THAT(skipped.output, Catch::Contains(corrupt.string()) && Catch::Contains("top1_error"));
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
