// Which epoch best.ckpt holds: only epochs whose quantization has its final
// form compete (Controller::final_epoch), so a quantizer that switches on
// late is never tested or integerized before it acts.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/Process.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;

TEST_CASE("best.ckpt is picked among the epochs where every quantizer is on", "[qlhost][e2e][train]") {
  test::TempDir home;
  auto options = test::quick_run({.epochs = 2, .train_samples = 600, .valid_samples = 500});
  options.insert(options.end(), {"--set", "network.quantize={recipe: rules, params: {rules: [{select: {type: Linear}, "
                                          "weight: {algorithm: lsq, bits: 2, start_epoch: 1}}]}}"});
  const auto run = test::run_process(test::qlhost_command("fashionmnist", "SimpleCNN", home.path(), options));
  INFO(run.output);
  REQUIRE(run.status == 0);
  CHECK_THAT(run.output, Catch::Contains("fold 0: best.ckpt is picked from epoch 2 on, when the quantization has its "
                                         "final form"));
  CHECK_THAT(run.output, Catch::Contains("epoch 1/2 done in ") && Catch::Contains("| no best yet (the quantization"));
  CHECK_THAT(run.output, Catch::Contains("(epoch 2)\n"));

  const auto tested =
      test::run_process(test::qlhost_command("fashionmnist", "SimpleCNN", home.path(), {"--exp-id", "0", "--mode", "test"}));
  INFO(tested.output);
  REQUIRE(tested.status == 0);
  CHECK_THAT(tested.output, Catch::Contains("test fold 0 (best.ckpt, epoch 2)"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
