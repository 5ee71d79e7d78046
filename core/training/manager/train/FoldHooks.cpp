#include "manager/train/FoldHooks.h"

#include <map>
#include <utility>

#include <torch/torch.h>

#include "manager/tensorboard/EventWriter.h"
#include "manager/tensorboard/TensorHistogram.h"
#include "manager/train/Optimizers.h"
#include "quantlab/Clock.h"
#include "quantlib/algorithms/StageSwitchController.h"

namespace quantlab {
namespace {

class RankAgreementHook : public FoldHook {
 public:
  RankAgreementHook(DistributedSession& ranks, FoldSession& session, int fold, int n_epochs, spdlog::logger& log)
      : ranks_(ranks), session_(session), fold_(fold), n_epochs_(n_epochs), log_(log) {}

  void after_training(int epoch) override {
    const int differing = ranks_.ranks_differing(*session_.network);
    if (differing > 0 && ranks_.is_root())
      log_.warn("fold {} epoch {}/{}: {} rank(s) hold a network that differs from rank 0's", fold_, epoch + 1,
                n_epochs_, differing);
  }

 private:
  DistributedSession& ranks_;
  FoldSession& session_;
  int fold_;
  int n_epochs_;
  spdlog::logger& log_;
};

class ControllerHook : public FoldHook {
 public:
  explicit ControllerHook(FoldSession& session) : session_(session) {}

  void before_training(int epoch) override {
    for (auto& controller : session_.controllers) controller->step_pre_training(epoch, *session_.optimizer);
  }
  void after_training(int epoch) override {
    for (auto& controller : session_.controllers) controller->step_pre_validation(epoch);
  }

 private:
  FoldSession& session_;
};

class StageHook : public FoldHook {
 public:
  StageHook(FoldSession& session, int fold, const ExperimentConfig& config, spdlog::logger& log)
      : session_(session), fold_(fold), config_(config), log_(log) {
    for (const auto& controller : session_.controllers)
      if (auto switches = std::dynamic_pointer_cast<quantlib::StageSwitchController>(controller)) switches_ = switches;
  }

  void before_training(int epoch) override {
    const int k = session_.schedule.stage_of(epoch);
    const ExperimentConfig::Stage& stage = config_.stages.at(k);
    const bool starts = epoch == stage.first_epoch;
    const bool first_of_run = std::exchange(first_of_run_, false);
    if (!starts && !first_of_run) return;
    if (starts && stage.reset_optimizer) session_.optimizer->state().clear();
    const std::string range = fmt::format("stage {} (epochs {}-{})", k, stage.first_epoch + 1, stage.end_epoch);
    const double lr = learning_rate(*session_.optimizer);
    if (starts)
      log_.info("fold {}: {}: switching on {} quantizer(s), lr {:.4g}{}", fold_, range,
                switches_ ? switches_->switched_on_at(epoch) : 0, lr,
                stage.reset_optimizer ? ", optimizer state cleared" : "");
    else
      log_.info("fold {}: resuming inside {} at epoch {}, lr {:.4g}", fold_, range, epoch + 1, lr);
  }

 private:
  FoldSession& session_;
  int fold_;
  const ExperimentConfig& config_;
  spdlog::logger& log_;
  std::shared_ptr<quantlib::StageSwitchController> switches_;
  bool first_of_run_ = true;
};

// Dotted keys of the config's scalars, for TensorBoard's HParams view.
void flatten(const YAML::Node& node, const std::string& prefix,
             std::map<std::string, tensorboard::HParamValue>& out) {
  if (node.IsMap()) {
    for (const auto& entry : node)
      flatten(entry.second, prefix.empty() ? entry.first.as<std::string>() : prefix + "." + entry.first.as<std::string>(),
              out);
  } else if (node.IsScalar()) {
    double number;
    bool flag;
    if (YAML::convert<double>::decode(node, number))
      out.emplace(prefix, number);
    else if (YAML::convert<bool>::decode(node, flag))
      out.emplace(prefix, flag);
    else
      out.emplace(prefix, node.Scalar());
  } else if (node.IsSequence()) {
    YAML::Emitter text;
    text << YAML::Flow << node;
    out.emplace(prefix, std::string(text.c_str()));
  }
}

class TensorBoardHook : public FoldHook {
 public:
  TensorBoardHook(const std::filesystem::path& stats_dir, const std::string& run, bool from_scratch,
                  const ExperimentConfig& config, const std::string& target_metric, FoldSession& session)
      : board_(stats_dir),
        histograms_(config.histograms),
        staged_(!config.stages.empty()),
        target_metric_(target_metric),
        session_(session) {
    if (!from_scratch) return;
    std::map<std::string, tensorboard::HParamValue> hparams;
    flatten(config.root, "", hparams);
    board_.add_hparams_session_start(hparams, run, unix_time());
  }

  // The original's per-epoch scalars, every meter metric, and histograms when asked.
  void after_epoch(const EpochEnd& end) override {
    const std::int64_t step = end.epoch + 1;
    const PassResult& train = end.train;
    const PassResult& valid = end.valid;
    board_.add_scalar("train_loss", train.loss, step);
    // The loss's terms: distillation's before alpha weighs them (train_loss/distill,
    // train_loss/label), the learned bits' penalty (train_loss/bits).
    for (const auto& [name, value] : train.loss_terms) board_.add_scalar("train_loss/" + name, value, step);
    board_.add_scalar("train_metric", train.metrics.at(target_metric_), step);
    board_.add_scalar("valid_loss", valid.loss, step);
    board_.add_scalar("valid_metric", valid.metrics.at(target_metric_), step);
    board_.add_scalar("learning_rate", end.learning_rate, step);
    if (session_.learned_bits) {
      for (const auto& [name, bits] : session_.learned_bits->bits()) board_.add_scalar("bits/" + name, bits, step);
      if (session_.learned_bits->has_penalty()) board_.add_scalar("bits/cost", session_.learned_bits->cost(), step);
    }
    if (staged_) board_.add_scalar("stage", static_cast<double>(session_.schedule.stage_of(end.epoch)), step);
    if (train.step_seconds > 0)
      board_.add_scalar("distributed/communication_wait_share", train.communication_wait_seconds / train.step_seconds,
                        step);
    for (const auto& [name, metric] : train.metrics) board_.add_scalar("train/" + name, metric, step);
    for (const auto& [name, metric] : valid.metrics) board_.add_scalar("valid/" + name, metric, step);
    if (histograms_)
      for (const auto& parameter : session_.network->named_parameters())
        tensorboard::add_histogram(board_, "weights/" + parameter.key(), parameter.value().detach(), step);
    if (session_.tracker)
      for (const auto& statistic : session_.tracker->collect()) {
        if (statistic.histogram)
          tensorboard::add_histogram(board_, statistic.tag, statistic.values, step);
        else
          board_.add_scalar(statistic.tag, statistic.values.item<double>(), step);
      }
    board_.flush();
  }

  void fold_end(bool completed) override {
    board_.add_hparams_session_end(completed, unix_time());
    board_.flush();
  }

 private:
  tensorboard::EventWriter board_;
  bool histograms_;
  bool staged_;
  std::string target_metric_;
  FoldSession& session_;
};

class CheckpointHook : public FoldHook {
 public:
  CheckpointHook(const Logbook& logbook, int id, int fold, const ExperimentConfig& config, FoldSession& session)
      : logbook_(logbook), id_(id), fold_(fold), config_(config), session_(session) {}

  void after_epoch(const EpochEnd& end) override {
    const int done = end.epoch + 1;
    if (end.best) save_checkpoint(logbook_.best_checkpoint(id_, fold_), end.progress, session_.state());
    if (done % config_.ckpt_every == 0 || done == config_.n_epochs)
      save_checkpoint(logbook_.epoch_checkpoint(id_, fold_, done), end.progress, session_.state());
  }

 private:
  const Logbook& logbook_;
  int id_;
  int fold_;
  const ExperimentConfig& config_;
  FoldSession& session_;
};

}  // namespace

void FoldHooks::before_training(int epoch) {
  for (auto& hook : hooks_) hook->before_training(epoch);
}

void FoldHooks::after_training(int epoch) {
  for (auto& hook : hooks_) hook->after_training(epoch);
}

void FoldHooks::after_epoch(const EpochEnd& end) {
  for (auto& hook : hooks_) hook->after_epoch(end);
}

void FoldHooks::fold_end(bool completed) {
  for (auto& hook : hooks_) hook->fold_end(completed);
}

std::unique_ptr<FoldHook> rank_agreement_hook(DistributedSession& ranks, FoldSession& session, int fold,
                                              const ExperimentConfig& config, spdlog::logger& log) {
  return std::make_unique<RankAgreementHook>(ranks, session, fold, config.n_epochs, log);
}

std::unique_ptr<FoldHook> controller_hook(FoldSession& session) { return std::make_unique<ControllerHook>(session); }

std::unique_ptr<FoldHook> stage_hook(FoldSession& session, int fold, const ExperimentConfig& config,
                                     spdlog::logger& log) {
  return std::make_unique<StageHook>(session, fold, config, log);
}

std::unique_ptr<FoldHook> tensorboard_hook(const std::filesystem::path& stats_dir, const std::string& run,
                                           bool from_scratch, const ExperimentConfig& config,
                                           const std::string& target_metric, FoldSession& session) {
  return std::make_unique<TensorBoardHook>(stats_dir, run, from_scratch, config, target_metric, session);
}

std::unique_ptr<FoldHook> checkpoint_hook(const Logbook& logbook, int id, int fold, const ExperimentConfig& config,
                                          FoldSession& session) {
  return std::make_unique<CheckpointHook>(logbook, id, fold, config, session);
}

}  // namespace quantlab
