#include "manager/dist/NcclCommunicator.h"

#include <chrono>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "manager/dist/DeviceCommunicator.h"
#include "manager/dist/GradientReducer.h"
#include "manager/dist/SyncBatchNorm.h"
#include "manager/dist/TestCommunicators.h"
#include "support/CudaDevices.h"

// NCCL on one rank (one GPU, one process): the calls, the streams' order,
// routing by device and abort. Without a GPU the CUDA cases are skipped (counted by ctest);
// the 2-rank MPI tests (test/host, under mpirun) cover what sits above the
// communicator on CPU tensors.
namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;

const torch::Device kGpu(torch::kCUDA, 0);

// About a tenth of a second or more of GPU work queued on the current stream.
torch::Tensor busy_gpu() {
  torch::Tensor a = torch::randn({4096, 4096}, torch::TensorOptions().device(kGpu)) / 64;
  for (int i = 0; i < 40; ++i) a = torch::tanh(a.matmul(a));
  return a;
}

TEST_CASE("NcclCommunicator on one rank reduces and broadcasts CUDA tensors in place", "[dist][nccl][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("NCCL on one rank is checked on a GPU machine");
  REQUIRE(nccl_available());
  test::MirrorCommunicator host(1);
  NcclCommunicator nccl(host, kGpu);
  CHECK(nccl.rank() == 0);
  CHECK(nccl.size() == 1);
  for (const auto type : {torch::kFloat, torch::kDouble, torch::kLong, torch::kHalf}) {
    CAPTURE(type);
    const torch::Tensor expected = torch::arange(10, torch::TensorOptions().dtype(type));
    torch::Tensor tensor = expected.to(kGpu);
    // The reduction follows what the current stream queued before it.
    tensor.mul_(2);
    nccl.allreduce_sum(tensor);
    tensor.add_(1);
    CHECK(torch::equal(tensor.cpu(), expected * 2 + 1));
    nccl.broadcast(tensor, 0);
    CHECK(torch::equal(tensor.cpu(), expected * 2 + 1));
  }
  torch::Tensor on_host = torch::ones({3});
  CHECK_THROWS_WITH(nccl.allreduce_sum(on_host), Catch::Contains("expected a tensor on cuda:0"));
  torch::Tensor strided = torch::ones({4, 4}, torch::TensorOptions().device(kGpu)).t();
  CHECK_THROWS_WITH(nccl.allreduce_sum(strided), Catch::Contains("contiguous"));
  // Strings and barriers go through the host.
  std::string text = "id";
  nccl.broadcast(text, 0);
  CHECK(text == "id");
  nccl.barrier();
}

TEST_CASE("NcclCommunicator reduces asynchronously on its own stream without blocking the host", "[dist][nccl][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("NCCL on one rank is checked on a GPU machine");
  test::MirrorCommunicator host(1);
  NcclCommunicator nccl(host, kGpu);
  torch::Tensor warm = torch::ones({4}, torch::TensorOptions().device(kGpu));
  nccl.allreduce_sum(warm);
  torch::cuda::synchronize();

  const torch::Tensor busy = busy_gpu();
  torch::Tensor bucket = torch::full({1 << 20}, 3.0f, torch::TensorOptions().device(kGpu));
  const auto start = std::chrono::steady_clock::now();
  auto pending = nccl.allreduce_sum_async(bucket);
  // The reduction waits (on the GPU) for the work queued before it.
  CHECK_FALSE(pending->test());
  pending->wait();  // the current stream waits; the host does not
  const double host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(host_seconds < 0.05);
  bucket.add_(1);  // after the reduction, on the current stream
  CHECK(bucket.cpu().eq(4).all().item<bool>());
  CHECK(pending->test());
  CHECK(busy.isfinite().all().item<bool>());
}

TEST_CASE("make_device_communicator routes CUDA tensors to NCCL and the rest to the host", "[dist][nccl][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("NCCL on one rank is checked on a GPU machine");
  test::MirrorCommunicator host(1);
  auto communicator = make_device_communicator(host, kGpu, NcclUse::always);
  REQUIRE(communicator->device_side() != nullptr);
  CHECK(dynamic_cast<NcclCommunicator*>(communicator->device_side()) != nullptr);
  torch::Tensor on_gpu = torch::ones({5}, torch::TensorOptions().device(kGpu));
  torch::Tensor on_host = torch::ones({7});
  CHECK(&communicator->route(on_gpu) == communicator->device_side());
  CHECK(&communicator->route(on_host) == &host);
  communicator->allreduce_sum(on_gpu);
  communicator->allreduce_sum(on_host);
  communicator->allreduce_sum_async(on_gpu)->wait();
  // Only the CPU tensor reached the host.
  CHECK(host.sizes == std::vector<int64_t>{7});
  CHECK(torch::equal(on_gpu.cpu(), torch::ones({5})));

  // Without NCCL a CUDA tensor goes through host memory: the mirror of 2
  // ranks doubles it.
  test::MirrorCommunicator two(2);
  auto staged = make_device_communicator(two, kGpu, NcclUse::never);
  CHECK(staged->device_side() == nullptr);
  torch::Tensor tensor = torch::full({3}, 1.5f, torch::TensorOptions().device(kGpu));
  staged->allreduce_sum_async(tensor)->wait();
  CHECK(tensor.is_cuda());
  CHECK(torch::equal(tensor.cpu(), torch::full({3}, 3.0f)));
}

TEST_CASE("make_device_communicator without a GPU or without NCCL sends everything through the host", "[dist]") {
  test::MirrorCommunicator two(2);
  for (const auto& [device, use] :
       {std::pair{torch::Device(torch::kCPU), NcclUse::automatic}, std::pair{torch::Device(torch::kCPU), NcclUse::always},
        std::pair{kGpu, NcclUse::never}}) {
    CAPTURE(device.str());
    auto communicator = make_device_communicator(two, device, use);
    CHECK(communicator->device_side() == nullptr);
    CHECK(communicator->size() == 2);
    torch::Tensor tensor = torch::ones({4});
    CHECK(&communicator->route(tensor) == &two);
    communicator->allreduce_sum(tensor);
    CHECK(torch::equal(tensor, torch::full({4}, 2.0f)));
  }
  CHECK(two.sizes == std::vector<int64_t>{4, 4, 4});
  if (!nccl_available()) {
    test::MirrorCommunicator one(1);
    CHECK_THROWS_WITH(NcclCommunicator(one, kGpu), Catch::Contains("without CUDA"));
  }
}

TEST_CASE("GradientReducer and SyncBatchNorm on CUDA through NCCL match one GPU alone", "[dist][nccl][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("NCCL on one rank is checked on a GPU machine");
  test::MirrorCommunicator host(1);
  auto communicator = make_device_communicator(host, kGpu, NcclUse::always);
  torch::manual_seed(4);
  torch::nn::Sequential net(torch::nn::Linear(4, 64), torch::nn::ReLU(), torch::nn::Linear(64, 64), torch::nn::ReLU(),
                            torch::nn::Linear(64, 3));
  net->to(kGpu);
  const torch::Tensor x = torch::randn({16, 4}).to(kGpu);
  net->zero_grad();
  net->forward(x).square().sum().backward();
  std::vector<torch::Tensor> alone;
  for (const auto& parameter : net->parameters()) alone.push_back(parameter.grad().clone());
  for (const bool overlap : {true, false}) {
    CAPTURE(overlap);
    ReducerOptions options;
    options.overlap = overlap;
    options.bucket_bytes = 4096;
    GradientReducer reducer(*communicator, net->parameters(), options);
    CHECK(reducer.bucket_count() > 1);
    net->zero_grad();
    net->forward(x).square().sum().backward();
    reducer.finish();
    const auto parameters = net->parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) CHECK(torch::allclose(parameters[i].grad(), alone[i]));
  }
  CHECK(host.sizes.empty());

  torch::nn::BatchNorm2d plain(torch::nn::BatchNorm2dOptions(3));
  torch::nn::BatchNorm2d adopted(torch::nn::BatchNorm2dOptions(3));
  plain->to(kGpu);
  adopted->to(kGpu);
  SyncBatchNorm synced(*adopted, *communicator);
  const torch::Tensor input = (torch::randn({6, 3, 4, 5}) * 2 + 1).to(kGpu);
  const torch::Tensor expected = plain->forward(input);
  const torch::Tensor output = synced->forward(input);
  CHECK(torch::allclose(output, expected, 1e-4, 1e-5));
  CHECK(torch::allclose(adopted->running_mean, plain->running_mean, 1e-5, 1e-6));
  CHECK(host.sizes.empty());
}

TEST_CASE("NcclCommunicator after abort refuses every call instead of hanging", "[dist][nccl][cuda]") {
  QUANTLAB_SKIP_WITHOUT_CUDA("NCCL on one rank is checked on a GPU machine");
  test::MirrorCommunicator host(1);
  NcclCommunicator nccl(host, kGpu);
  torch::Tensor tensor = torch::ones({8}, torch::TensorOptions().device(kGpu));
  auto pending = nccl.allreduce_sum_async(tensor);
  pending->wait();
  nccl.synchronize();
  nccl.abort_nccl("test");
  CHECK(nccl.aborted());
  nccl.abort_nccl("again");  // once only
  CHECK_THROWS_WITH(nccl.allreduce_sum(tensor), Catch::Contains("NCCL communicator aborted: test"));
  CHECK_THROWS_WITH(nccl.broadcast(tensor, 0), Catch::Contains("aborted"));
  CHECK_THROWS_WITH(pending->test(), Catch::Contains("aborted"));
  // The host's abort ends the job after NCCL's (the mirror throws instead).
  CHECK_THROWS_WITH(nccl.abort(3), Catch::Contains("abort"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
