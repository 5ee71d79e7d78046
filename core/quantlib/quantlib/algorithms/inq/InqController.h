#pragma once
// Drives INQ (Zhou et al. 2017): a schedule maps epochs to the fraction of
// every INQ quantizer's weights that is frozen from that epoch on. Before each
// training epoch it applies the entry of the largest scheduled epoch <= epoch,
// if that raises the fraction reached so far, and may then clear the
// optimizer's state (momentum and the like of weights that can no longer move).
//
// Its state is the fraction reached and its generator (the Random strategy's
// draws); the frozen weights and levels are the quantizers' buffers and travel
// with the network. After load(), step_pre_training at the resumed epoch
// continues exactly as the uninterrupted run.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>

#include "quantlib/algorithms/Controller.h"
#include "quantlib/algorithms/inq/InqQuantizer.h"

namespace quantlib {

class InqController : public Controller {
 public:
  // Every quantizer must be an nn::InqQuantizer. schedule: epoch (>= 0) ->
  // fraction in [0, 1], non-decreasing with the epoch; seed seeds the generator.
  InqController(std::string name, std::vector<std::shared_ptr<nn::Quantizer>> quantizers,
                std::map<int, double> schedule, nn::InqStrategy strategy = nn::InqStrategy::Magnitude,
                bool clear_optimizer_state = false, uint64_t seed = 0);

  std::string name() const override { return name_; }
  void step_pre_training(int epoch, torch::optim::Optimizer& optimizer) override;
  // The first scheduled epoch freezing every weight.
  int final_epoch() const override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  // The fraction frozen so far (0 before the first step that froze).
  double fraction() const { return fraction_; }
  // The schedule's fraction in force at epoch: its entry at the largest epoch <= epoch, 0 before the first.
  double scheduled_fraction(int epoch) const;
  const std::map<int, double>& schedule() const { return schedule_; }
  const std::vector<std::shared_ptr<nn::InqQuantizer>>& quantizers() const { return quantizers_; }

 private:
  std::string name_;
  std::vector<std::shared_ptr<nn::InqQuantizer>> quantizers_;
  std::map<int, double> schedule_;
  nn::InqStrategy strategy_;
  bool clear_optimizer_state_;
  mutable at::Generator generator_;  // mutable: save() takes its lock
  double fraction_ = 0.0;
};

}  // namespace quantlib
