#pragma once
// training.amp on the training device: the forward pass and the loss under
// autocast (the float layers in bf16 or fp16; quantizers widen their input
// and compute in float32, quantlib/nn/Quantizer.h), and for fp16 a dynamic
// loss scale: the loss is multiplied by the scale before backward, the
// gradients divided by it before the optimizer steps, and a step whose
// gradients are not all finite is skipped and halves the scale (it doubles
// after 2000 finite steps). The scale is saved in checkpoints.
#include <cstdint>
#include <string>
#include <vector>

#include <c10/core/ScalarType.h>
#include <torch/types.h>

#include "manager/config/ExperimentConfig.h"

namespace torch::optim {
class Optimizer;
}

namespace quantlab {

class MixedPrecision {
 public:
  MixedPrecision();  // off
  MixedPrecision(ExperimentConfig::Amp mode, torch::Device device);

  // Autocast on the device while it lives (when training.amp is not off).
  class Autocast {
   public:
    explicit Autocast(const MixedPrecision& amp);
    ~Autocast();
    Autocast(const Autocast&) = delete;
    Autocast& operator=(const Autocast&) = delete;

   private:
    bool on_ = false;
    c10::DeviceType device_type_ = c10::DeviceType::CPU;
    bool was_enabled_ = false;
    c10::ScalarType previous_dtype_ = c10::ScalarType::Float;
  };

  bool enabled() const { return mode_ != ExperimentConfig::Amp::off; }
  bool scales_loss() const { return mode_ == ExperimentConfig::Amp::fp16; }
  // "off", "bf16" or "fp16 (loss scale 65536)".
  std::string describe() const;

  // What backward differentiates: the loss times the scale for fp16.
  torch::Tensor scaled(const torch::Tensor& loss) const;
  // Steps the optimizer on the unscaled gradients; for fp16 skips the step
  // when a gradient is not finite and updates the scale. Whether it stepped.
  bool step(torch::optim::Optimizer& optimizer);

  double scale() const;
  std::int64_t skipped_steps() const { return skipped_steps_; }
  void reset_skipped_steps() { skipped_steps_ = 0; }

  // The loss scale and its count of finite steps since the last change (empty when off).
  std::vector<double> state() const;
  void load_state(const std::vector<double>& state);

 private:
  ExperimentConfig::Amp mode_ = ExperimentConfig::Amp::off;
  torch::Device device_{torch::kCPU};
  torch::Tensor scale_;           // float32 [1], on the device
  torch::Tensor growth_tracker_;  // int32 [1], on the device
  std::int64_t skipped_steps_ = 0;
};

}  // namespace quantlab
