// Device resolution (experiment.device, --device), the batches fed to the
// device, and the optimizer's state following its parameters. The cases that
// need a GPU skip with a message where there is none.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include "manager/train/Device.h"
#include "manager/train/DeviceFeed.h"
#include "quantlab/BuildConfig.h"
#include "quantlab/Errors.h"
#include "support/ErrorMessage.h"
#include "support/CudaDevices.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;

bool has_gpu() { return quantlib::test::cuda_available(); }

TEST_CASE("cpu is the CPU, and auto is the CPU where no GPU is usable", "[device]") {
  CHECK(resolve_device("cpu", 0, "--device") == torch::Device(torch::kCPU));
  const torch::Device automatic = resolve_device("auto", 3, "--device");
  if (has_gpu()) {
    CHECK(automatic.is_cuda());
    CHECK(automatic.index() == 3 % static_cast<int>(torch::cuda::device_count()));
  } else {
    CHECK(automatic == torch::Device(torch::kCPU));
  }
}

TEST_CASE("cuda without a usable GPU, or beyond the visible ones, is one line naming where it came from",
          "[device]") {
  const std::string beyond = test::error_message_of([] { resolve_device("cuda:99", 0, "--device"); });
  CHECK_THAT(beyond, Catch::Contains("--device cuda:99:"));
  const std::string other = test::error_message_of([] { resolve_device("gpu", 0, "x.yaml: experiment.device"); });
  CHECK_THAT(other, Catch::Contains("x.yaml: experiment.device gpu: expected auto, cpu, cuda or cuda:N"));
  CHECK_THROWS_AS(resolve_device("cuda:99", 0, "--device"), ConfigError);
  if (has_gpu()) {
    CHECK_THAT(beyond, Catch::Contains("beyond the"));
    CHECK(resolve_device("cuda", 0, "--device").is_cuda());
    return;
  }
  const std::string cuda = test::error_message_of([] { resolve_device("cuda", 0, "--device"); });
  CHECK_THAT(cuda, Catch::Contains("--device cuda:"));
  CHECK_THAT(cuda, Catch::Contains(QUANTLAB_WITH_CUDA ? "no usable CUDA GPU" : "CPU-only build"));
  CHECK(cuda.find('\n') == std::string::npos);
}

TEST_CASE("the local rank comes from the launcher's environment, else the fallback", "[device]") {
  unsetenv("OMPI_COMM_WORLD_LOCAL_RANK");
  unsetenv("MPI_LOCALRANKID");
  unsetenv("MV2_COMM_WORLD_LOCAL_RANK");
  unsetenv("SLURM_LOCALID");
  CHECK(local_rank_from_environment(5) == 5);
  setenv("SLURM_LOCALID", "2", 1);
  CHECK(local_rank_from_environment(5) == 2);
  setenv("OMPI_COMM_WORLD_LOCAL_RANK", "1", 1);
  CHECK(local_rank_from_environment(5) == 1);
  setenv("OMPI_COMM_WORLD_LOCAL_RANK", "x", 1);
  CHECK(local_rank_from_environment(5) == 2);
  unsetenv("OMPI_COMM_WORLD_LOCAL_RANK");
  unsetenv("SLURM_LOCALID");
}

// Batches 0..count-1 of one sample each; batch `empty_at` has no samples.
DeviceFeed::Source counting_source(int count, int empty_at) {
  auto next = std::make_shared<int>(0);
  return [=]() -> std::optional<Batch> {
    if (*next >= count) return std::nullopt;
    const int number = (*next)++;
    if (number == empty_at) return Batch{};
    return Batch{torch::full({1, 2}, static_cast<float>(number)), torch::full({1}, number, torch::kLong)};
  };
}

void check_feed_on(const torch::Device& device) {
  DeviceFeed feed(counting_source(4, 2), device);
  for (int number = 0; number < 4; ++number) {
    std::optional<Batch> batch = feed.next();
    REQUIRE(batch);
    if (number == 2) {
      CHECK_FALSE(batch->input.defined());
      continue;
    }
    CHECK(batch->input.device() == device);
    CHECK(batch->target.device() == device);
    CHECK(batch->input.cpu().equal(torch::full({1, 2}, static_cast<float>(number))));
    CHECK(batch->target.cpu().item<std::int64_t>() == number);
  }
  CHECK_FALSE(feed.next());
  CHECK_FALSE(feed.next());
}

TEST_CASE("the feed hands the source's batches over in order, an empty one as it is, then the end", "[device]") {
  check_feed_on(torch::Device(torch::kCPU));
}

TEST_CASE("on a GPU the feed copies each batch ahead from pinned memory and hands it over on the GPU",
          "[device][cuda]") {
  if (!has_gpu()) QUANTLAB_SKIP("no CUDA GPU on this machine: the GPU feed is checked on a GPU machine (test/device)");
  check_feed_on(resolve_device("cuda", 0, "--device"));
}

TEST_CASE("the optimizer's state follows its parameters to their device", "[device][cuda]") {
  if (!has_gpu()) QUANTLAB_SKIP("no CUDA GPU on this machine: moving optimizer state is checked on a GPU machine");
  const torch::Device gpu = resolve_device("cuda", 0, "--device");
  for (const std::string kind : {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad"}) {
    INFO(kind);
    torch::nn::Linear layer(3, 2);
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    if (kind == "SGD") optimizer = std::make_unique<torch::optim::SGD>(layer->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
    if (kind == "Adam") optimizer = std::make_unique<torch::optim::Adam>(layer->parameters(), torch::optim::AdamOptions(0.1).amsgrad(true));
    if (kind == "AdamW") optimizer = std::make_unique<torch::optim::AdamW>(layer->parameters(), torch::optim::AdamWOptions(0.1).amsgrad(true));
    if (kind == "RMSprop") optimizer = std::make_unique<torch::optim::RMSprop>(layer->parameters(), torch::optim::RMSpropOptions(0.1).momentum(0.9).centered(true));
    if (kind == "Adagrad") optimizer = std::make_unique<torch::optim::Adagrad>(layer->parameters(), torch::optim::AdagradOptions(0.1));
    layer->forward(torch::ones({1, 3})).sum().backward();
    optimizer->step();
    layer->to(gpu);
    move_optimizer_state(*optimizer);
    optimizer->zero_grad();
    layer->forward(torch::ones({1, 3}, gpu)).sum().backward();
    CHECK_NOTHROW(optimizer->step());
    CHECK(network_device(*layer) == gpu);
  }
}

TEST_CASE("a network's device is its parameters', the CPU when it has none", "[device]") {
  torch::nn::Linear layer(2, 2);
  CHECK(network_device(*layer) == torch::Device(torch::kCPU));
  torch::nn::ReLU relu;
  CHECK(network_device(*relu) == torch::Device(torch::kCPU));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
