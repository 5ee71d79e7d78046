#include "manager/train/Device.h"

#include <cstdlib>

#include <fmt/format.h>
#include <torch/torch.h>

#include "quantlab/BuildConfig.h"
#include "quantlab/Errors.h"

#if QUANTLAB_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace quantlab {

namespace {

std::string visible_devices_text() {
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  return visible ? fmt::format(" (CUDA_VISIBLE_DEVICES={})", visible) : std::string();
}

}  // namespace

torch::Device resolve_device(const std::string& name, int local_rank, const std::string& origin) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  const bool explicit_index = name.rfind("cuda:", 0) == 0;
  if (name != "auto" && name != "cuda" && !explicit_index)
    throw ConfigError(fmt::format("{} {}: expected auto, cpu, cuda or cuda:N (N a GPU index)", origin, name));
  if (!QUANTLAB_WITH_CUDA) {
    if (name == "auto") return torch::Device(torch::kCPU);
    throw ConfigError(fmt::format("{} {}: this QuantLab is a CPU-only build (QUANTLAB_CUDA=OFF); expected cpu or "
                                  "auto, or a build for CUDA",
                                  origin, name));
  }
  const int count = static_cast<int>(torch::cuda::device_count());
  if (count == 0) {
    if (name == "auto") return torch::Device(torch::kCPU);
    throw ConfigError(fmt::format("{} {}: no usable CUDA GPU on this machine{}; expected a GPU, or --device cpu",
                                  origin, name, visible_devices_text()));
  }
  int index = local_rank % count;
  if (explicit_index) {
    index = std::stoi(name.substr(5));
    if (index >= count)
      throw ConfigError(fmt::format("{} {}: GPU index {} is beyond the {} visible GPU(s){}; expected cuda:0 to "
                                    "cuda:{}",
                                    origin, name, index, count, visible_devices_text(), count - 1));
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

int local_rank_from_environment(int fallback) {
  for (const char* variable : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "MV2_COMM_WORLD_LOCAL_RANK",
                               "SLURM_LOCALID"}) {
    if (const char* value = std::getenv(variable); value && *value) {
      char* end = nullptr;
      const long rank = std::strtol(value, &end, 10);
      if (*end == '\0' && rank >= 0) return static_cast<int>(rank);
    }
  }
  return fallback;
}

std::string describe_device(const torch::Device& device) {
#if QUANTLAB_WITH_CUDA
  if (device.is_cuda()) {
    const cudaDeviceProp* properties = at::cuda::getDeviceProperties(device.index());
    return fmt::format("{} ({}, {:.1f} GiB)", device.str(), properties->name,
                       static_cast<double>(properties->totalGlobalMem) / (1 << 30));
  }
#endif
  return device.str();
}

void use_device(const torch::Device& device, bool deterministic) {
#if QUANTLAB_WITH_CUDA
  if (device.is_cuda()) c10::cuda::set_device(device.index());
#else
  (void)device;
#endif
  if (deterministic) {
    // cuBLAS reads it when it makes its first handle: before any GPU work.
    setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", /*overwrite=*/0);
  }
  auto& context = at::globalContext();
  context.setDeterministicAlgorithms(deterministic, /*warn_only=*/false);
  context.setDeterministicCuDNN(deterministic);
  context.setBenchmarkCuDNN(!deterministic);
}

namespace {

void move(torch::Tensor& tensor, const torch::Device& device) {
  if (tensor.defined() && tensor.device() != device) tensor = tensor.to(device);
}

}  // namespace

torch::Device network_device(torch::nn::Module& network) {
  for (const auto& parameter : network.parameters()) return parameter.device();
  return torch::Device(torch::kCPU);
}

void move_optimizer_state(torch::optim::Optimizer& optimizer) {
  for (auto& group : optimizer.param_groups()) {
    for (auto& parameter : group.params()) {
      auto found = optimizer.state().find(parameter.unsafeGetTensorImpl());
      if (found == optimizer.state().end()) continue;
      const torch::Device device = parameter.device();
      torch::optim::OptimizerParamState* state = found->second.get();
      if (auto* sgd = dynamic_cast<torch::optim::SGDParamState*>(state)) {
        torch::Tensor buffer = sgd->momentum_buffer();
        move(buffer, device);
        sgd->momentum_buffer(buffer);
      } else if (auto* adam = dynamic_cast<torch::optim::AdamParamState*>(state)) {
        torch::Tensor a = adam->exp_avg(), b = adam->exp_avg_sq(), c = adam->max_exp_avg_sq();
        move(a, device), move(b, device), move(c, device);
        adam->exp_avg(a), adam->exp_avg_sq(b), adam->max_exp_avg_sq(c);
      } else if (auto* adamw = dynamic_cast<torch::optim::AdamWParamState*>(state)) {
        torch::Tensor a = adamw->exp_avg(), b = adamw->exp_avg_sq(), c = adamw->max_exp_avg_sq();
        move(a, device), move(b, device), move(c, device);
        adamw->exp_avg(a), adamw->exp_avg_sq(b), adamw->max_exp_avg_sq(c);
      } else if (auto* rmsprop = dynamic_cast<torch::optim::RMSpropParamState*>(state)) {
        torch::Tensor a = rmsprop->square_avg(), b = rmsprop->momentum_buffer(), c = rmsprop->grad_avg();
        move(a, device), move(b, device), move(c, device);
        rmsprop->square_avg(a), rmsprop->momentum_buffer(b), rmsprop->grad_avg(c);
      } else if (auto* adagrad = dynamic_cast<torch::optim::AdagradParamState*>(state)) {
        torch::Tensor sum = adagrad->sum();
        move(sum, device);
        adagrad->sum(sum);
      }
    }
  }
}

}  // namespace quantlab
