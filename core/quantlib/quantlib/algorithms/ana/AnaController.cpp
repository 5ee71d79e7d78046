#include "quantlib/algorithms/ana/AnaController.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <utility>

#include <torch/torch.h>

namespace quantlib {

namespace {

// Bumped when the saved state changes meaning.
constexpr int64_t kStateVersion = 1;

void check_start_value(const char* name, double value) {
  TORCH_CHECK(std::isfinite(value) && value >= 0.0, "AnaController: ", name, " must be finite and at least 0, got ",
              value);
}

}  // namespace

AnaController::AnaController(std::vector<AnaGroup> groups) : groups_(std::move(groups)) {
  for (const AnaGroup& group : groups_) {
    check_start_value("s_fwd_start", group.schedule.s_fwd_start);
    check_start_value("s_bwd_start", group.schedule.s_bwd_start);
    TORCH_CHECK(group.schedule.start_epoch >= 0 && group.schedule.end_epoch >= group.schedule.start_epoch,
                "AnaController: need 0 <= start_epoch <= end_epoch, got start_epoch = ", group.schedule.start_epoch,
                ", end_epoch = ", group.schedule.end_epoch);
    for (const auto& quantizer : group.quantizers)
      TORCH_CHECK(quantizer != nullptr, "AnaController: a quantizer of the group is null");
  }
}

AnaController::AnaController(std::vector<std::shared_ptr<nn::AnaQuantizer>> quantizers, AnaSchedule schedule)
    : AnaController(std::vector<AnaGroup>{AnaGroup{std::move(quantizers), schedule}}) {}

double AnaController::annealed(double start_value, const AnaSchedule& schedule, double position) {
  if (position >= schedule.end_epoch) return 0.0;
  if (position <= schedule.start_epoch) return start_value;
  return start_value * (schedule.end_epoch - position) / (schedule.end_epoch - schedule.start_epoch);
}

void AnaController::apply(double position) {
  position_ = position;
  for (const AnaGroup& group : groups_) {
    const double s_fwd = annealed(group.schedule.s_fwd_start, group.schedule, position);
    const double s_bwd = annealed(group.schedule.s_bwd_start, group.schedule, position);
    for (const auto& quantizer : group.quantizers) {
      quantizer->set_s_fwd(s_fwd);
      quantizer->set_s_bwd(s_bwd);
    }
  }
}

int AnaController::final_epoch() const {
  int last = 0;
  for (const auto& group : groups_) last = std::max(last, group.schedule.end_epoch);
  return last;
}

void AnaController::step_pre_training(int epoch, torch::optim::Optimizer& /*optimizer*/) { apply(epoch); }

void AnaController::step_pre_batch(int epoch, int64_t batch, int64_t batches_per_epoch) {
  assert(batches_per_epoch > 0 && batch >= 0);
  apply(epoch + static_cast<double>(batch) / static_cast<double>(batches_per_epoch));
}

void AnaController::save(torch::serialize::OutputArchive& archive) const {
  archive.write("version", torch::tensor({kStateVersion}, torch::kLong));
  archive.write("position", torch::tensor({position_}, torch::kDouble));
}

void AnaController::load(torch::serialize::InputArchive& archive) {
  torch::Tensor version;
  torch::Tensor position;
  archive.read("version", version);
  TORCH_CHECK(version.numel() == 1 && version.item<int64_t>() == kStateVersion,
              "AnaController: saved state of version ", version.numel() == 1 ? version.item<int64_t>() : -1,
              ", expected version ", kStateVersion);
  archive.read("position", position);
  const double saved = position.item<double>();
  if (saved >= 0.0)
    apply(saved);
  else
    position_ = saved;
}

}  // namespace quantlib
