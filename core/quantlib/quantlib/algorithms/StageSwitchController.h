#pragma once
// Switches quantizers on at the first epoch of the training stage that names
// them (training.stages[k].switch_on), whatever their own start_epoch: off
// (the identity) before it, on from it. It steps after every other
// controller, so it has the last word on the enabled flag only; an
// algorithm's own schedule (STE's recording epoch, INQ's freezing epochs,
// ANA's annealing) keeps running on its own epochs. Like EpochSwitchController
// it keeps no state: everything follows from the epoch, so a resumed run
// continues exactly.
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "quantlib/algorithms/Controller.h"
#include "quantlib/nn/Quantizer.h"

namespace quantlib {

// A quantizer of a network under its dotted module name, as named_modules,
// checkpoints ("<name>.<parameter>") and the statistics tracker
// ("quantizers/<name>/...") name it: "conv2.weight_quantizer",
// "bn1_output_quantizer", "layer1.0.conv1_input_quantizer".
struct NamedQuantizer {
  std::string name;
  std::shared_ptr<nn::Quantizer> quantizer;
  bool weight = false;  // a conv/linear twin's weight quantizer; else an activation's
};

// Every quantizer of `network`, in named_modules order.
std::vector<NamedQuantizer> named_quantizers(torch::nn::Module& network);

// The quantizers `pattern` names: "weights", "activations", or a glob on the
// dotted name ('*' any run of characters, dots included; '?' one character).
std::vector<NamedQuantizer> quantizers_matching(const std::vector<NamedQuantizer>& quantizers,
                                                const std::string& pattern);

class StageSwitchController : public Controller {
 public:
  struct Switch {
    std::shared_ptr<nn::Quantizer> quantizer;
    int first_epoch = 0;  // >= 0
  };
  explicit StageSwitchController(std::vector<Switch> switches);

  std::string name() const override {
    return "training stages (" + std::to_string(switches_.size()) + " quantizer(s))";
  }
  void step_pre_training(int epoch, torch::optim::Optimizer& optimizer) override;
  void step_pre_validation(int epoch) override;

  // The last stage that switches a quantizer on.
  int final_epoch() const override;
  // How many quantizers switch on at exactly `epoch`.
  int switched_on_at(int epoch) const;

 private:
  void apply(int epoch);

  std::vector<Switch> switches_;
};

}  // namespace quantlib
