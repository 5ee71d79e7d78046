// qlhost's device placement and mixed precision end to end: refusals of
// devices this machine or build lacks, bf16 and fp16 training (autocast runs
// on the CPU too), and, on a GPU machine, checkpoints moving between the GPU
// and the CPU.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "manager/logbook/Logbook.h"
#include "quantlab/BuildConfig.h"
#include "support/Files.h"
#include "support/Process.h"
#include "support/CudaDevices.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

bool has_gpu() { return quantlib::test::cuda_available(); }

std::vector<std::string> fashionmnist(const fs::path& home, const std::vector<std::string>& extra) {
  return test::qlhost_command("fashionmnist", "SimpleCNN", home, extra);
}

std::vector<std::string> with(std::vector<std::string> base, const std::vector<std::string>& extra) {
  base.insert(base.end(), extra.begin(), extra.end());
  return base;
}

fs::path logs(const fs::path& home) { return home / "problems" / "fashionmnist" / "logs"; }

// The one error line of a refused run, which made no experiment.
std::string refusal(const fs::path& home, const std::vector<std::string>& extra) {
  const auto result = test::run_process(fashionmnist(home, extra));
  INFO(result.output);
  CHECK(result.status == 2);
  const auto lines = test::error_lines(result.output);
  REQUIRE(lines.size() == 1);
  CHECK_FALSE(fs::exists(logs(home) / "exp0000"));
  return lines.front();
}

// "valid ... top1_error X" of the last epoch line in `output`.
double last_valid_error(const std::string& output) {
  const std::string marker = "| valid loss ";
  const auto at = output.rfind(marker);
  REQUIRE(at != std::string::npos);
  const auto metric = output.find("top1_error ", at);
  REQUIRE(metric != std::string::npos);
  return std::stod(output.substr(metric + 11));
}

TEST_CASE("a device this build or machine does not have, or a bad amp, is one line and no experiment",
          "[qlhost][errors][device]") {
  test::TempDir home;
  CHECK_THAT(refusal(home.path(), {"--device", "tpu"}),
             Catch::Contains("--device tpu: expected auto, cpu, cuda or cuda:N"));
  CHECK_THAT(refusal(home.path(), {"--set", "experiment.device=gpu"}),
             Catch::Contains("experiment.device: expected auto, cpu, cuda or cuda:N"));
  CHECK_THAT(refusal(home.path(), {"--set", "training.amp=fp8"}), Catch::Contains("training.amp: expected off, bf16 or fp16"));
  CHECK_THAT(refusal(home.path(), {"--device", "cuda:64"}), Catch::Contains("--device cuda:64: "));
  if (has_gpu()) return;
  const std::string expected = QUANTLAB_WITH_CUDA ? "no usable CUDA GPU" : "CPU-only build";
  CHECK_THAT(refusal(home.path(), {"--device", "cuda"}), Catch::Contains("--device cuda: " + expected));
  CHECK_THAT(refusal(home.path(), {"--set", "experiment.device=cuda"}),
             Catch::Contains("experiment.device cuda: " + expected));
}

TEST_CASE("bf16 mixed precision trains SimpleCNN far beyond chance, on the CPU here", "[qlhost][e2e][amp]") {
  test::TempDir home;
  const auto result = test::run_process(
      fashionmnist(home.path(), with(test::quick_run({.epochs = 2}), {"--set", "training.amp=bf16", "--device", "cpu"})));
  INFO(result.output);
  REQUIRE(result.status == 0);
  CHECK_THAT(result.output, Catch::Contains("on cpu, mixed precision bf16"));
  CHECK(last_valid_error(result.output) < 50.0);  // chance is 90; fp32 reaches 38 here
}

TEST_CASE("fp16 mixed precision trains with a loss scale that its checkpoints keep", "[qlhost][e2e][amp]") {
  test::TempDir home;
  const auto result = test::run_process(fashionmnist(
      home.path(), with(test::quick_run({.epochs = 1, .train_samples = 600, .valid_samples = 300}),
                        {"--set", "training.amp=fp16", "--device", "cpu"})));
  INFO(result.output);
  REQUIRE(result.status == 0);
  CHECK_THAT(result.output, Catch::Contains("mixed precision fp16 (loss scale 65536)"));
  const fs::path checkpoint = Logbook(logs(home.path())).epoch_checkpoint(0, 0, 1);
  CHECK_THAT(test::read_bytes(checkpoint), Catch::Contains("loss_scale"));
}

TEST_CASE("an experiment trained on the GPU tests and resumes on the CPU, and its accuracy matches the CPU's",
          "[qlhost][e2e][cuda]") {
  if (!has_gpu()) QUANTLAB_SKIP("no CUDA GPU on this machine: GPU training is checked on a GPU machine (test/device)");
  test::TempDir home;
  const auto quick = test::quick_run({.epochs = 1});
  const auto gpu = test::run_process(fashionmnist(home.path(), with(quick, {"--device", "cuda", "--ckpt-every", "1"})));
  INFO(gpu.output);
  REQUIRE(gpu.status == 0);
  CHECK_THAT(gpu.output, Catch::Contains("on cuda:"));
  const auto cpu = test::run_process(fashionmnist(home.path(), with(quick, {"--device", "cpu"})));
  REQUIRE(cpu.status == 0);
  CHECK(std::abs(last_valid_error(gpu.output) - last_valid_error(cpu.output)) < 2.0);

  const auto tested = test::run_process(fashionmnist(home.path(), {"--exp-id", "0", "--mode", "test", "--device", "cpu"}));
  INFO(tested.output);
  CHECK(tested.status == 0);
  CHECK_THAT(tested.output, Catch::Contains("test fold 0"));
  const auto integer = test::run_process(
      fashionmnist(home.path(), {"--exp-id", "0", "--mode", "test", "--integer", "--device", "cuda"}));
  CHECK(integer.status == 0);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
