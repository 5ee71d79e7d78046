#pragma once
// Switches quantizers on at an epoch: the controller of the quantizers whose
// only schedule is "from epoch E on" (PACT, LSQ, TQT, uniform, binary,
// ternary; STE's controller builds on it). It keeps no state of its own:
// everything it decides follows from the epoch, so a resumed run continues
// exactly.
#include <memory>
#include <string>
#include <vector>

#include "quantlib/algorithms/Controller.h"
#include "quantlib/nn/Quantizer.h"

namespace quantlib {

class EpochSwitchController : public Controller {
 public:
  // start_epoch >= 0.
  EpochSwitchController(std::string name, std::vector<std::shared_ptr<nn::Quantizer>> quantizers, int start_epoch);

  std::string name() const override { return name_; }
  void step_pre_training(int epoch, torch::optim::Optimizer& optimizer) override;
  void step_pre_validation(int epoch) override;

  int start_epoch() const { return start_epoch_; }
  int final_epoch() const override { return start_epoch_; }
  const std::vector<std::shared_ptr<nn::Quantizer>>& quantizers() const { return quantizers_; }

 private:
  std::string name_;
  std::vector<std::shared_ptr<nn::Quantizer>> quantizers_;
  int start_epoch_;
};

}  // namespace quantlib
