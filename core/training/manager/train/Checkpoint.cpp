#include "manager/train/Checkpoint.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <map>
#include <memory>

#include <torch/torch.h>

#include "quantlab/AtomicFile.h"
#include "manager/train/ArchiveCheck.h"
#include "manager/train/Device.h"
#include "quantlab/Errors.h"

namespace quantlab {

namespace {

// Runs `read`, which takes a checkpoint apart. A damaged or foreign file makes
// LibTorch throw all sorts (c10::Error, TorchScript's ErrorReport, bad_alloc
// for sizes no file holds, ...): each becomes one StorageError naming the file,
// `what` it was expected to be, and the cause. Our own errors pass through.
template <typename Read>
auto as_storage_error(const std::filesystem::path& path, const std::string& what, Read&& read) {
  try {
    return read();
  } catch (const UserError&) {
    throw;
  } catch (const c10::Error& error) {
    throw StorageError(path.string() + ": " + what + " (" +
                       std::string(error.what_without_backtrace()).substr(0, 160) + ")");
  } catch (const std::exception& error) {
    throw StorageError(path.string() + ": " + what + " (" + std::string(error.what()).substr(0, 160) + ")");
  }
}

// A tensor the checkpoint must hold with this dtype and number of values.
torch::Tensor read_values(const std::filesystem::path& path, torch::serialize::InputArchive& archive,
                          const std::string& key, torch::ScalarType dtype, std::int64_t count) {
  torch::Tensor values;
  archive.read(key, values);
  if (values.scalar_type() != dtype || values.dim() > 1 || values.numel() != count)
    throw StorageError(path.string() + ": its \"" + key + "\" holds " + std::to_string(values.numel()) + " " +
                       std::string(c10::toString(values.scalar_type())) + " values, expected " +
                       std::to_string(count) + " " + c10::toString(dtype) + " (a damaged checkpoint)");
  return values.reshape({count}).contiguous();
}

// From `contents` when given, else from the file; checked before LibTorch
// reads it (ArchiveCheck.h).
torch::serialize::InputArchive open_archive(const std::filesystem::path& path, const std::string* contents = nullptr) {
  std::string read;
  if (!contents) {
    std::optional<std::string> bytes = read_whole_file(path);
    if (!bytes) throw StorageError(path.string() + ": cannot read the checkpoint (expected a readable file)");
    read = std::move(*bytes);
    contents = &read;
  }
  return as_storage_error(path, "not a readable checkpoint", [&] {
    check_torch_archive(path, *contents);
    torch::serialize::InputArchive archive;
    archive.load_from(contents->data(), contents->size(), torch::Device(torch::kCPU));
    check_tensor_extents(path, archive);
    torch::Tensor format;
    if (!archive.try_read("format", format) || format.numel() != 1 || format.scalar_type() != torch::kLong ||
        format.item<std::int64_t>() < kOldestCheckpointFormat || format.item<std::int64_t>() > kCheckpointFormat)
      throw StorageError(path.string() + ": expected a QuantLab checkpoint of format " +
                         std::to_string(kOldestCheckpointFormat) + " to " + std::to_string(kCheckpointFormat));
    return archive;
  });
}

FoldProgress read_progress(const std::filesystem::path& path, torch::serialize::InputArchive& archive) {
  return as_storage_error(path, "not a readable checkpoint", [&] {
    const torch::Tensor progress = read_values(path, archive, "progress", torch::kLong, 3);
    const torch::Tensor best = read_values(path, archive, "best_metric", torch::kDouble, 1);
    const auto* values = progress.data_ptr<std::int64_t>();
    return FoldProgress{static_cast<int>(values[0]), static_cast<int>(values[1]), best.item<double>(),
                        static_cast<int>(values[2])};
  });
}


// The GPU the network trains on, if it does.
std::optional<torch::Device> training_gpu(torch::nn::Module& network) {
  const torch::Device device = network_device(network);
  return device.is_cuda() ? std::optional(device) : std::nullopt;
}

bool holds_tensors(torch::nn::Module& module) {
  return !module.parameters().empty() || !module.buffers().empty();
}

void load_tensors(const std::filesystem::path& path, torch::serialize::InputArchive& archive,
                  torch::nn::Module& module, const std::string& prefix) {
  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string& name, torch::Tensor& target) {
    torch::Tensor stored;
    if (!archive.try_read(name, stored))
      throw StorageError(path.string() + ": has no " + prefix + name + " (expected weights of this network)");
    if (stored.sizes() != target.sizes())
      throw StorageError(path.string() + ": " + prefix + name + " has shape " + c10::str(stored.sizes()) +
                         ", expected " + c10::str(target.sizes()));
    target.copy_(stored);
  };
  for (auto& parameter : module.named_parameters(/*recurse=*/false)) copy(parameter.key(), parameter.value());
  for (auto& buffer : module.named_buffers(/*recurse=*/false)) copy(buffer.key(), buffer.value());
  for (auto& child : module.named_children()) {
    if (!holds_tensors(*child.value())) continue;
    torch::serialize::InputArchive nested;
    if (!archive.try_read(child.key(), nested))
      throw StorageError(path.string() + ": has no " + prefix + child.key() +
                         " (expected weights of this network)");
    load_tensors(path, nested, *child.value(), prefix + child.key() + ".");
  }
}

// LibTorch 1.13 named each parameter's optimizer state after its TensorImpl's
// address as an ostream prints it ("0x55d0..."); LibTorch 2 prints and parses
// these names as decimal numbers (std::stoull), which reads every "0x..." as
// 0: Optimizer::load then gives the first parameter the state of whichever
// parameter came last and every other parameter a null state, silently.
// Such states are put back by position: params/<k> of group <g> names the
// state of the optimizer's parameter k of group g.
std::vector<std::vector<std::string>> saved_parameter_names(torch::serialize::InputArchive& optimizer) {
  std::vector<std::vector<std::string>> names;
  torch::serialize::InputArchive groups;
  if (!optimizer.try_read("param_groups", groups)) return names;
  torch::Tensor count;
  groups.read("param_groups/size", count);
  for (std::int64_t g = 0; g < count.item<std::int64_t>(); ++g) {
    torch::serialize::InputArchive group;
    groups.read("param_groups/" + std::to_string(g), group);
    torch::Tensor size;
    group.read("params/size", size);
    auto& group_names = names.emplace_back();
    for (std::int64_t k = 0; k < size.item<std::int64_t>(); ++k) {
      c10::IValue name;
      group.read("params/" + std::to_string(k), name);
      group_names.push_back(name.toStringRef());
    }
  }
  return names;
}

// A fresh state of the kind `optimizer` keeps per parameter; null for an
// optimizer QuantLab does not make.
std::unique_ptr<torch::optim::OptimizerParamState> new_param_state(const torch::optim::Optimizer& optimizer) {
  if (dynamic_cast<const torch::optim::SGD*>(&optimizer)) return std::make_unique<torch::optim::SGDParamState>();
  if (dynamic_cast<const torch::optim::Adam*>(&optimizer)) return std::make_unique<torch::optim::AdamParamState>();
  if (dynamic_cast<const torch::optim::AdamW*>(&optimizer)) return std::make_unique<torch::optim::AdamWParamState>();
  if (dynamic_cast<const torch::optim::RMSprop*>(&optimizer))
    return std::make_unique<torch::optim::RMSpropParamState>();
  if (dynamic_cast<const torch::optim::Adagrad*>(&optimizer))
    return std::make_unique<torch::optim::AdagradParamState>();
  return nullptr;
}

// Puts the state saved under `name` back as `parameter`'s, or clears the
// parameter's state when none was saved.
void restore_state(const std::filesystem::path& path, torch::serialize::InputArchive& states, const std::string& name,
                   const torch::Tensor& parameter, torch::optim::Optimizer& optimizer) {
  void* key = parameter.unsafeGetTensorImpl();
  torch::serialize::InputArchive saved;
  if (!states.try_read(name, saved)) {
    optimizer.state().erase(key);
    return;
  }
  auto state = new_param_state(optimizer);
  if (!state) throw StorageError(path.string() + ": holds optimizer state for an optimizer QuantLab cannot make");
  state->serialize(saved);
  optimizer.state()[key] = std::move(state);
}

void restore_states_by_position(const std::filesystem::path& path, torch::serialize::InputArchive& optimizer_archive,
                                const std::vector<std::vector<std::string>>& names,
                                torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive states;
  optimizer_archive.read("state", states);
  for (size_t g = 0; g < names.size(); ++g) {
    const auto& parameters = optimizer.param_groups().at(g).params();
    for (size_t k = 0; k < names[g].size(); ++k) restore_state(path, states, names[g][k], parameters.at(k), optimizer);
  }
}

// Format 1: LibTorch's layout (Optimizer::save), from 2.x builds or, with
// hex-address keys, from 1.13 builds.
void load_optimizer_torch_layout(const std::filesystem::path& path, torch::serialize::InputArchive& archive,
                                 torch::optim::Optimizer& optimizer) {
  optimizer.load(archive);  // options, and the states when their names are decimal
  const auto names = saved_parameter_names(archive);
  const bool legacy = !names.empty() && !names.front().empty() && names.front().front().rfind("0x", 0) == 0;
  if (legacy) restore_states_by_position(path, archive, names, optimizer);
}

// Archive keys for the network's parameter names ('.' is not a key character).
std::map<const void*, std::string> parameter_keys(torch::nn::Module& network) {
  std::map<const void*, std::string> keys;
  for (const auto& item : network.named_parameters()) {
    std::string key = item.key();
    std::replace(key.begin(), key.end(), '.', '/');
    keys.emplace(item.value().unsafeGetTensorImpl(), key);
  }
  return keys;
}

std::string parameter_key(const std::map<const void*, std::string>& keys, const torch::Tensor& parameter,
                          std::size_t group, std::size_t index) {
  const auto it = keys.find(parameter.unsafeGetTensorImpl());
  return it != keys.end() ? it->second : "unnamed/" + std::to_string(group) + "/" + std::to_string(index);
}

// Format 2: per group its options and each parameter's state under the
// parameter's name. LibTorch's own layout keys states by memory address,
// which differs from run to run.
void save_optimizer(torch::serialize::OutputArchive& archive, torch::nn::Module& network,
                    torch::optim::Optimizer& optimizer) {
  const auto keys = parameter_keys(network);
  torch::serialize::OutputArchive out;
  const auto& groups = optimizer.param_groups();
  out.write("groups", torch::tensor(static_cast<std::int64_t>(groups.size())));
  for (std::size_t g = 0; g < groups.size(); ++g) {
    torch::serialize::OutputArchive group, options, states;
    groups[g].options().serialize(options);
    group.write("options", options);
    const auto& parameters = groups[g].params();
    group.write("size", torch::tensor(static_cast<std::int64_t>(parameters.size())));
    for (std::size_t k = 0; k < parameters.size(); ++k) {
      const auto found = optimizer.state().find(parameters[k].unsafeGetTensorImpl());
      if (found == optimizer.state().end()) continue;
      torch::serialize::OutputArchive saved;
      found->second->serialize(saved);
      states.write(parameter_key(keys, parameters[k], g, k), saved);
    }
    group.write("states", states);
    out.write("group" + std::to_string(g), group);
  }
  archive.write("optimizer_by_name", out);
}

void load_optimizer_by_name(const std::filesystem::path& path, torch::serialize::InputArchive& in,
                            torch::nn::Module& network, torch::optim::Optimizer& optimizer) {
  const auto keys = parameter_keys(network);
  auto& groups = optimizer.param_groups();
  torch::Tensor count;
  in.read("groups", count);
  if (count.item<std::int64_t>() != static_cast<std::int64_t>(groups.size()))
    throw StorageError(path.string() + ": holds " + std::to_string(count.item<std::int64_t>()) +
                       " optimizer parameter group(s), expected " + std::to_string(groups.size()));
  for (std::size_t g = 0; g < groups.size(); ++g) {
    torch::serialize::InputArchive group, options, states;
    in.read("group" + std::to_string(g), group);
    group.read("options", options);
    groups[g].options().serialize(options);
    torch::Tensor size;
    group.read("size", size);
    const auto& parameters = groups[g].params();
    if (size.item<std::int64_t>() != static_cast<std::int64_t>(parameters.size()))
      throw StorageError(path.string() + ": optimizer group " + std::to_string(g) + " holds " +
                         std::to_string(size.item<std::int64_t>()) + " parameter(s), expected " +
                         std::to_string(parameters.size()));
    group.read("states", states);
    for (std::size_t k = 0; k < parameters.size(); ++k)
      restore_state(path, states, parameter_key(keys, parameters[k], g, k), parameters[k], optimizer);
  }
}

FoldProgress load_state(const std::filesystem::path& path, torch::serialize::InputArchive& archive,
                        const TrainingState& state);

}  // namespace

void save_checkpoint(const std::filesystem::path& path, const FoldProgress& progress, const TrainingState& state) {
  torch::serialize::OutputArchive archive;
  archive.write("format", torch::tensor(kCheckpointFormat));
  archive.write("progress", torch::tensor(std::vector<std::int64_t>{progress.fold, progress.epochs_done,
                                                                     progress.best_epoch}));
  archive.write("best_metric", torch::tensor(progress.best_metric, torch::kDouble));

  torch::serialize::OutputArchive network;
  state.network.save(network);
  archive.write("network", network);
  save_optimizer(archive, state.network, state.optimizer);
  archive.write("lr_schedule", torch::tensor(state.schedule.state(), torch::kDouble));
  for (size_t i = 0; i < state.controllers.size(); ++i) {
    torch::serialize::OutputArchive controller;
    state.controllers[i]->save(controller);
    archive.write("controller" + std::to_string(i), controller);
  }
  archive.write("rng", torch::globalContext().defaultGenerator(torch::kCPU).get_state());
  if (const auto gpu = training_gpu(state.network))
    archive.write("rng_cuda", torch::globalContext().defaultGenerator(*gpu).get_state());
  if (state.mixed_precision && state.mixed_precision->scales_loss())
    archive.write("loss_scale", torch::tensor(state.mixed_precision->state(), torch::kDouble));

  // Serialized in memory, then written by write_file_atomically: LibTorch's
  // file writer reports a failed write (a full disk) from its destructor,
  // which terminates the process instead of throwing.
  std::string bytes;
  archive.save_to([&bytes](const void* data, std::size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  write_file_atomically(path, bytes);
}

FoldProgress load_checkpoint(const std::filesystem::path& path, const TrainingState& state) {
  auto archive = open_archive(path);
  return load_state(path, archive, state);
}

FoldProgress load_checkpoint(const std::filesystem::path& path, const std::string& contents,
                             const TrainingState& state) {
  auto archive = open_archive(path, &contents);
  return load_state(path, archive, state);
}

namespace {

FoldProgress load_state(const std::filesystem::path& path, torch::serialize::InputArchive& archive,
                        const TrainingState& state) {
  return as_storage_error(path, "does not fit this experiment's network and training", [&] {
    const FoldProgress progress = read_progress(path, archive);
    torch::serialize::InputArchive network;
    archive.read("network", network);
    load_tensors(path, network, state.network, "");
    torch::serialize::InputArchive optimizer;
    if (archive.try_read("optimizer_by_name", optimizer)) {
      load_optimizer_by_name(path, optimizer, state.network, state.optimizer);
    } else {
      archive.read("optimizer", optimizer);
      load_optimizer_torch_layout(path, optimizer, state.optimizer);
    }
    torch::Tensor schedule;
    archive.read("lr_schedule", schedule);
    schedule = read_values(path, archive, "lr_schedule", torch::kDouble, schedule.numel());
    state.schedule.load_state(std::vector<double>(schedule.data_ptr<double>(),
                                                  schedule.data_ptr<double>() + schedule.numel()));
    for (size_t i = 0; i < state.controllers.size(); ++i) {
      torch::serialize::InputArchive controller;
      archive.read("controller" + std::to_string(i), controller);
      state.controllers[i]->load(controller);
    }
    torch::Tensor rng;
    archive.read("rng", rng);
    auto generator = torch::globalContext().defaultGenerator(torch::kCPU);
    generator.set_state(rng);
    // The GPU's generator only where the run was on a GPU and is again.
    torch::Tensor gpu_rng;
    const auto gpu = training_gpu(state.network);
    if (gpu && archive.try_read("rng_cuda", gpu_rng)) {
      auto gpu_generator = torch::globalContext().defaultGenerator(*gpu);
      gpu_generator.set_state(gpu_rng);
    }
    torch::Tensor loss_scale;
    if (state.mixed_precision && archive.try_read("loss_scale", loss_scale)) {
      loss_scale = read_values(path, archive, "loss_scale", torch::kDouble, 2);
      state.mixed_precision->load_state({loss_scale[0].item<double>(), loss_scale[1].item<double>()});
    }
    return progress;
  });
}

}  // namespace

FoldProgress read_progress(const std::filesystem::path& path) {
  auto archive = open_archive(path);
  return read_progress(path, archive);
}

void load_network(const std::filesystem::path& path, torch::nn::Module& network) {
  auto archive = open_archive(path);
  as_storage_error(path, "does not fit this network", [&] {
    torch::serialize::InputArchive weights;
    archive.read("network", weights);
    load_tensors(path, weights, network, "");
  });
}

}  // namespace quantlab
