#pragma once
// Anneals the noise of ANA quantizers (see quantlib/algorithms/ana/AnaQuantizer.h) on an epoch
// schedule. Per group of quantizers, with the training position p = epoch +
// batch / batches_per_epoch:
//   s(p) = s0                                     p <= start_epoch
//          s0 (end_epoch - p) / (end_epoch - start_epoch)   in between
//          0                                      p >= end_epoch
// for s_fwd and s_bwd alike (each from its own s0). The quantizers get s(p) before
// every epoch and every batch, so the decay is smooth within an epoch; validation
// needs nothing, since a quantizer in eval mode is the hard staircase anyway.
//
// s(p) depends on p only; the controller saves the last p it applied, and load()
// applies it again, so a resumed run continues exactly.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "quantlib/algorithms/Controller.h"
#include "quantlib/algorithms/ana/AnaQuantizer.h"

namespace quantlib {

struct AnaSchedule {
  double s_fwd_start = 0.0;  // s0 of s_fwd, >= 0
  double s_bwd_start = 0.0;  // s0 of s_bwd, >= 0
  int start_epoch = 0;       // the decay starts here, >= 0
  int end_epoch = 0;         // and reaches 0 here, >= start_epoch
};

struct AnaGroup {
  std::vector<std::shared_ptr<nn::AnaQuantizer>> quantizers;
  AnaSchedule schedule;
};

class AnaController : public Controller {
 public:
  // Throws c10::Error on a schedule out of range or a null quantizer.
  explicit AnaController(std::vector<AnaGroup> groups);
  AnaController(std::vector<std::shared_ptr<nn::AnaQuantizer>> quantizers, AnaSchedule schedule);

  std::string name() const override { return "ana"; }
  void step_pre_training(int epoch, torch::optim::Optimizer& optimizer) override;
  void step_pre_batch(int epoch, int64_t batch, int64_t batches_per_epoch) override;
  // The latest end of a schedule: no noise from there on.
  int final_epoch() const override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  // s_fwd and s_bwd of a schedule at position p (in epochs).
  static double annealed(double start_value, const AnaSchedule& schedule, double position);
  // The last position applied; negative before the first step.
  double position() const { return position_; }

 private:
  void apply(double position);

  std::vector<AnaGroup> groups_;
  double position_ = -1.0;
};

}  // namespace quantlib
