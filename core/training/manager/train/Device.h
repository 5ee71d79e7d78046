#pragma once
// Where a rank computes: experiment.device (or --device) resolved against this
// build and this machine, and what follows from it (deterministic algorithms,
// optimizer state beside its parameters).
#include <string>

#include <torch/types.h>

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}

namespace quantlab {

// `name` (auto, cpu, cuda, cuda:N) for the rank with this local rank: cuda
// takes GPU local_rank mod the visible GPUs, auto does too when this is a CUDA
// build and a GPU is usable, else the CPU. `origin` names where the value came
// from for the error ("--device" or "<config.yaml>: experiment.device").
// ConfigError, one line, for cuda in a CPU-only build, on a machine without a
// usable GPU, or an index beyond the visible GPUs.
torch::Device resolve_device(const std::string& name, int local_rank, const std::string& origin);

// This process's rank among those of its job on this machine, from the
// launcher's environment (Open MPI, MPICH, Slurm), else `fallback`.
int local_rank_from_environment(int fallback);

// "cpu", or "cuda:0 (NVIDIA H100 80GB HBM3, 79.1 GiB)".
std::string describe_device(const torch::Device& device);

// Makes `device` this process's current GPU (when it is one) and sets the
// algorithms: deterministic ones (cuDNN, cuBLAS' workspace, scatter and index
// ops), or cuDNN free to pick the fastest for each shape. Before any GPU work.
void use_device(const torch::Device& device, bool deterministic);

// Where the module's parameters are (the CPU when it has none).
torch::Device network_device(torch::nn::Module& network);

// Moves the optimizer's per-parameter state (momentum, moments) to the device
// of its parameter, after the network moved or a checkpoint was read.
void move_optimizer_state(torch::optim::Optimizer& optimizer);

}  // namespace quantlab
