#pragma once
// A controller drives a quantization algorithm through training: it steps
// before each training epoch and before validation, and its state travels in
// checkpoints so a resumed run continues exactly.
#include <memory>
#include <string>
#include <vector>

#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>

namespace quantlib {

class Controller {
 public:
  virtual ~Controller() = default;
  virtual std::string name() const = 0;
  // May clear the optimizer's state, e.g. after freezing weights.
  virtual void step_pre_training(int /*epoch*/, torch::optim::Optimizer& /*optimizer*/) {}
  virtual void step_pre_validation(int /*epoch*/) {}
  virtual void save(torch::serialize::OutputArchive& /*archive*/) const {}
  virtual void load(torch::serialize::InputArchive& /*archive*/) {}
};

using Controllers = std::vector<std::shared_ptr<Controller>>;

}  // namespace quantlib
