#pragma once
// Knowledge distillation (training.distill): a trained teacher network runs
// in eval mode, without gradients, on the student's augmented batch, and the
// student learns from its softened outputs beside the labels:
//   loss = alpha * distill(student, teacher) + (1 - alpha) * label loss
// distill is T^2 * KL(softmax(teacher / T) || softmax(student / T)) averaged
// over the batch (Hinton et al.), or the mean squared difference of the
// logits. The teacher is rebuilt from its own experiment (or checkpoint) at
// every run, so a resumed student reloads it and never saves it.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <torch/types.h>

#include "manager/config/ExperimentConfig.h"
#include "manager/logbook/Logbook.h"
#include "quantlab/Network.h"
#include "quantlab/Problem.h"

namespace quantlab {

struct DistillLosses {
  torch::Tensor total;    // what backward runs on
  torch::Tensor distill;  // the teacher term, before alpha
  torch::Tensor label;    // the label loss, before 1 - alpha
};

class Distillation {
 public:
  // training.distill of `config`, or none when the config has no such
  // section. The teacher is
  //   {exp_id: N, fold: K, checkpoint: best | last}: an experiment of this
  //     problem, built as its config.yaml says (any topology and recipe); fold
  //     defaults to the student's fold when the teacher has as many folds,
  //     else 0;
  //   {checkpoint: PATH, topology: T, params: {...}}: a checkpoint file of
  //     topology T with network.params (default: T's default config's).
  // ConfigError naming the key for a teacher that does not exist, has no
  // checkpoint, or whose output per sample differs from the student's
  // (compared on `probe`, one pre-processed input, when defined).
  static std::optional<Distillation> make(const Problem& problem, const ExperimentConfig& config,
                                          const Logbook& logbook, int fold, Network& student,
                                          const torch::Tensor& probe);

  // The teacher's outputs for a batch (eval mode, no gradients).
  torch::Tensor teach(const torch::Tensor& input) const;
  DistillLosses loss(const torch::Tensor& student_output, const torch::Tensor& teacher_output,
                     const torch::Tensor& label_loss) const;

  Network& teacher() const { return *teacher_; }
  // e.g. "exp0003 fold 0 (best.ckpt, epoch 15, SimpleCNN)".
  const std::string& description() const { return description_; }

 private:
  std::shared_ptr<Network> teacher_;
  std::string description_;
  double temperature_ = 4.0;
  double alpha_ = 0.5;
  bool kl_ = true;
};

}  // namespace quantlab
