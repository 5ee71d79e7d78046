#pragma once
// A controller drives a quantization algorithm through training: it steps
// before each training epoch, before each training batch, and before
// validation, and its state travels in checkpoints so a resumed run continues
// exactly. Epochs count from 0.
#include <cstdint>
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
  // Told the run's number of epochs before its first step, for schedules
  // relative to the run's length (learned bit-widths freeze in its last
  // quarter unless the recipe says when).
  virtual void set_training_epochs(int /*n_epochs*/) {}
  // May clear the optimizer's state, e.g. after freezing weights.
  virtual void step_pre_training(int /*epoch*/, torch::optim::Optimizer& /*optimizer*/) {}
  // batch counts from 0 within the epoch, of batches_per_epoch on this rank.
  virtual void step_pre_batch(int /*epoch*/, int64_t /*batch*/, int64_t /*batches_per_epoch*/) {}
  virtual void step_pre_validation(int /*epoch*/) {}
  // The first epoch whose validated network has this controller's
  // quantization in its final form (every quantizer on, INQ's weights all
  // frozen, ANA's noise gone, learned bit-widths frozen): earlier epochs do
  // not describe the trained network, so the best checkpoint is picked from
  // here on. A very large value when the schedule never gets there.
  virtual int final_epoch() const { return 0; }
  virtual void save(torch::serialize::OutputArchive& /*archive*/) const {}
  virtual void load(torch::serialize::InputArchive& /*archive*/) {}
};

using Controllers = std::vector<std::shared_ptr<Controller>>;

}  // namespace quantlib
