#pragma once
// Drives the original QuantLab's STE activations: they record their range
// (max |x|) during the epoch before start_epoch, then quantize with it. The
// range is a buffer of the network, so a resumed run continues exactly.
#include <memory>
#include <string>
#include <vector>

#include "quantlib/algorithms/EpochSwitchController.h"
#include "quantlib/algorithms/ste/SteQuantizer.h"

namespace quantlib {

class SteController : public EpochSwitchController {
 public:
  // Every quantizer must be an nn::SteQuantizer; start_epoch >= 1.
  SteController(std::string name, std::vector<std::shared_ptr<nn::Quantizer>> quantizers, int start_epoch);

  void step_pre_training(int epoch, torch::optim::Optimizer& optimizer) override;
  void step_pre_validation(int epoch) override;

 private:
  std::vector<std::shared_ptr<nn::SteQuantizer>> stes_;
};

}  // namespace quantlib
