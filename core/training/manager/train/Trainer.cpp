#include "manager/train/Trainer.h"

#include <cmath>

#include <torch/torch.h>

#include "manager/compare/NetworkCost.h"
#include "manager/data/Batcher.h"
#include "manager/data/Sampler.h"
#include "manager/train/Device.h"
#include "manager/train/DeviceFeed.h"
#include "manager/train/DistributedSession.h"
#include "manager/train/FoldHooks.h"
#include "manager/train/FoldResume.h"
#include "manager/train/FoldSession.h"
#include "manager/train/Optimizers.h"
#include "manager/train/PassResult.h"
#include "manager/train/TrainedNetwork.h"
#include "quantlab/Text.h"
#include "quantlib/deploy/FastIntegerNetwork.h"
#include "quantlib/monitor/StatisticsTracker.h"

namespace quantlab {
namespace {

// One input of the topology's shape (none when it does not say), on which
// the teacher's and the student's outputs are compared.
torch::Tensor probe_input(const Topology& topology) {
  std::vector<std::int64_t> shape = topology.input_shape();
  if (shape.empty()) return {};
  shape.insert(shape.begin(), 1);
  return torch::zeros(shape);
}

}  // namespace

Target target_of(const ExperimentConfig& config, const Meter& meter) {
  Target target{config.target_metric.value_or(meter.main_metric()), meter.higher_is_better()};
  const auto metrics = meter.metrics(meter.statistics());
  if (metrics.count(target.metric) == 0) {
    std::string known;
    for (const auto& [name, value] : metrics) known += (known.empty() ? "" : ", ") + name;
    config.section("experiment").fail("target_metric", "a metric of the meter (" + known + ")");
  }
  return target;
}

void check_config(const Problem& problem, const Topology& topology, const ExperimentConfig& config,
                  const Logbook& logbook) {
  torch::NoGradGuard no_grad;
  const auto meter = problem.meter();
  FoldSession session = build_session(topology, config, target_of(config, *meter), logbook);
  Distillation::make(problem, config, logbook, 0, *session.network, probe_input(topology));
  LearnedBits::make(config, *session.network);
  const Params monitor = config.section("logging.monitor");
  if (!monitor.keys().empty())
    quantlib::monitor::StatisticsTracker(*session.network, quantlib::monitor::TrackerOptions::parse(monitor), monitor);
}

namespace {

std::vector<std::int64_t> first(std::vector<std::int64_t> indices, const std::optional<std::int64_t>& limit) {
  if (limit && static_cast<std::int64_t>(indices.size()) > *limit) indices.resize(*limit);
  return indices;
}

std::vector<std::int64_t> every_index(const Dataset& data) {
  std::vector<std::int64_t> indices(data.size());
  for (std::int64_t i = 0; i < data.size(); ++i) indices[i] = i;
  return indices;
}

// The samples a fold trains and validates on.
struct FoldData {
  std::shared_ptr<Dataset> train;
  std::vector<std::int64_t> train_indices;
  std::shared_ptr<Dataset> valid;
  std::vector<std::int64_t> valid_indices;
};

}  // namespace

struct Trainer::Impl {
  RunContext context;
  const ExperimentConfig& config;
  DistributedSession ranks;
  spdlog::logger& log;
  std::unique_ptr<Meter> meter;
  Target target;

  explicit Impl(RunContext run)
      : context(std::move(run)),
        config(context.config),
        ranks(context.communicator, config.distributed),
        log(*context.log),
        meter(context.problem.meter()),
        target(target_of(config, *meter)) {}

  std::uint64_t seed() const { return *config.seed; }
  const torch::Device& device() const { return context.device; }

  // One pass's batches through the data pipeline (data.workers, data.prefetch,
  // data.on_bad_sample); each skipped sample is one warning line.
  data::Batcher make_loader(const Dataset& data, std::vector<std::vector<std::int64_t>> batches, bool augment,
                            std::uint64_t pass_seed) {
    data::BatcherOptions options = config.loader;
    options.pin_memory = device().is_cuda();
    return data::Batcher(data, context.topology, std::move(batches), augment, pass_seed, options,
                         [this](const std::string& reason) {
                           log.warn("skipped an unreadable sample: {}", reason);
                         });
  }

  std::string metric_text(const std::map<std::string, double>& metrics) const {
    std::string text;
    for (const auto& [name, value] : metrics) text += fmt::format(" {} {:.4g}", name, value);
    return text;
  }

  // Sets the learning rate (and a cycled momentum) of the point `progress`
  // (the fraction done) of `epoch`; returns the rate.
  double apply_schedule(FoldSession& session, int epoch, double progress) {
    const double lr = ranks.learning_rate(session.schedule, epoch, progress);
    set_learning_rate(*session.optimizer, lr);
    if (const auto momentum = session.schedule.momentum(epoch, progress))
      set_momentum(*session.optimizer, *momentum);
    return lr;
  }

  PassResult train_epoch(FoldSession& session, const Dataset& data, const std::vector<std::int64_t>& indices,
                         int fold, int epoch) {
    session.network->train();
    meter->reset();
    const auto shard = data::training_shard(indices, mix_seed(seed(), fold), epoch, ranks.rank(), ranks.size());
    data::Batcher loader = make_loader(data, data::split_batches(shard, config.bs_train), config.augment,
                                       mix_seed(seed(), 0xA06, fold * 100003 + epoch));
    const std::int64_t batches = loader.size();
    DeviceFeed feed([&loader] { return loader.next(); }, device());
    const std::int64_t report_every = std::max<std::int64_t>(1, batches / 10);
    double loss_sum = 0;
    std::map<std::string, double> loss_term_sums;
    std::int64_t samples = 0;
    double step_seconds = 0;
    if (session.reducer) session.reducer->reset_wait_seconds();
    session.amp.reset_skipped_steps();
    const auto start = PassClock::now();
    for (std::int64_t b = 0; b < batches; ++b) {
      Batch batch = *feed.next();
      if (!batch.input.defined()) {
        // Every rank must take the same steps, or the all-reduces pair up wrongly.
        if (ranks.size() > 1)
          throw DataError(fmt::format("fold {} epoch {}: every sample of training batch {} was unreadable and "
                                      "skipped; under mpirun the ranks would fall out of step (see the warnings "
                                      "above for the files)",
                                      fold, epoch + 1, b + 1));
        continue;
      }
      for (auto& controller : session.controllers) controller->step_pre_batch(epoch, b, batches);
      if (session.schedule.per_batch()) apply_schedule(session, epoch, static_cast<double>(b) / batches);
      const auto step_start = PassClock::now();
      session.optimizer->zero_grad();
      torch::Tensor output;
      torch::Tensor loss;
      const std::int64_t n = batch.input.size(0);
      {
        const MixedPrecision::Autocast autocast(session.amp);
        output = session.network->forward(batch.input);
        loss = session.loss(output, batch.target);
        if (session.distillation) {
          const DistillLosses terms =
              session.distillation->loss(output, session.distillation->teach(batch.input), loss);
          loss = terms.total;
          loss_term_sums["distill"] += terms.distill.item<double>() * n;
          loss_term_sums["label"] += terms.label.item<double>() * n;
        }
      }
      loss = loss.to(torch::kFloat);
      if (session.learned_bits && session.learned_bits->has_penalty()) {
        const torch::Tensor penalty = session.learned_bits->penalty();
        loss = loss + penalty;
        loss_term_sums["bits"] += penalty.item<double>() * n;
      }
      const double loss_value = loss.item<double>();
      // A diverged run stops before its weights turn to NaN; its checkpoints
      // so far stay as they are.
      if (!std::isfinite(loss_value))
        throw ConfigError(fmt::format("{}: fold {} epoch {} batch {}: the training loss is {}; stopped before this "
                                      "step (checkpoints so far are kept). Change the value that diverged (e.g. a "
                                      "lower training.optimizer.params.lr) in its config.yaml and resume with --exp-id",
                                      context.logbook.config_file(context.experiment_id).string(), fold, epoch + 1, b + 1,
                                      loss_value));
      session.amp.scaled(loss).backward();
      if (session.reducer) session.reducer->finish();
      // A quantizer that sets its range from the first batch it sees (LSQ,
      // TQT), or from statistics of the epoch before (STE), set it from this
      // rank's shard, and batch norms keep per-rank running statistics: at the
      // first step of each epoch every rank takes rank 0's parameters and
      // buffers before the optimizer steps (weight decay and momentum read
      // the parameters), so the ranks go on training one network.
      if (b == 0) ranks.broadcast_network(*session.network);
      if (session.tracker && b + 1 == batches) session.tracker->record_gradients();
      session.amp.step(*session.optimizer);
      step_seconds += seconds_since(step_start);
      {
        torch::NoGradGuard no_grad;
        meter->add(context.topology.postprocess(output.detach()), batch.target);
      }
      loss_sum += loss_value * n;
      samples += n;
      if (ranks.is_root() && ((b + 1) % report_every == 0 || b + 1 == batches)) {
        const double elapsed = seconds_since(start);
        const double rate = samples * ranks.size() / std::max(elapsed, 1e-9);
        const auto running = meter->metrics(meter->statistics());
        log.info("fold {} epoch {}/{} train [{:>5}/{}] {:>7.0f} img/s ETA {} loss {:.4f} {} {:.4g}", fold,
                 epoch + 1, config.n_epochs, b + 1, batches, rate,
                 clock_text(elapsed / (b + 1) * (batches - b - 1)), loss_sum / samples, target.metric,
                 running.at(target.metric));
      }
    }
    if (loader.skipped() > 0)
      log.warn("fold {} epoch {}: {} unreadable training sample(s) skipped on rank {}", fold, epoch + 1,
               loader.skipped(), ranks.rank());
    ranks.broadcast_buffers(*session.network);  // validation and checkpoints see rank 0's statistics
    PassResult result = ranks.reduce(*meter, loss_sum, samples, start, loss_term_sums);
    if (session.reducer) {
      result.step_seconds = step_seconds;
      result.communication_wait_seconds = session.reducer->wait_seconds();
    }
    return result;
  }

  // `forward`: what computes the outputs (default: the network; the integer
  // network for `--integer`); the statistics tracker watches the network only.
  PassResult evaluate(FoldSession& session, const Dataset& data, const std::vector<std::int64_t>& indices,
                      const std::function<torch::Tensor(const torch::Tensor&)>& forward = nullptr) {
    Network& network = *session.network;
    torch::NoGradGuard no_grad;
    network.eval();
    meter->reset();
    const auto shard = data::evaluation_shard(indices, ranks.rank(), ranks.size());
    data::Batcher loader = make_loader(data, data::split_batches(shard, config.bs_valid), false, seed());
    DeviceFeed feed([&loader] { return loader.next(); }, network_device(network));
    double loss_sum = 0;
    std::int64_t samples = 0;
    const auto start = PassClock::now();
    bool first = true;
    while (std::optional<Batch> next = feed.next()) {
      Batch batch = std::move(*next);
      if (!batch.input.defined()) continue;  // every sample unreadable and skipped
      const MixedPrecision::Autocast autocast(session.amp);
      torch::Tensor output;
      if (forward) {
        output = forward(batch.input);
      } else if (session.tracker && std::exchange(first, false)) {
        quantlib::nn::ObserveLayers observing(*session.tracker);
        output = network.forward(batch.input);
      } else {
        output = network.forward(batch.input);
      }
      const std::int64_t n = batch.input.size(0);
      loss_sum += session.loss(output, batch.target).item<double>() * n;
      samples += n;
      meter->add(context.topology.postprocess(output), batch.target);
    }
    if (loader.skipped() > 0)
      log.warn("evaluation: {} unreadable sample(s) skipped on rank {}", loader.skipped(), ranks.rank());
    return ranks.reduce(*meter, loss_sum, samples, start);
  }

  // A best before `first_best` (a checkpoint of an older QuantLab) is replaced by any eligible epoch.
  bool improves(double value, const FoldProgress& progress, int first_best) const {
    if (progress.best_epoch == 0 || progress.best_epoch - 1 < first_best) return true;
    return target.higher_is_better ? value > progress.best_metric : value < progress.best_metric;
  }

  // The first epoch that may be best: the latest at which a controller's
  // quantization reaches its final form (Controller::final_epoch), so that
  // best.ckpt is a network as trained (INQ fully frozen, bits frozen), and
  // at the latest the last epoch.
  int first_best_epoch(const FoldSession& session) const {
    int first = 0;
    for (const auto& controller : session.controllers) first = std::max(first, controller->final_epoch());
    return std::min(first, config.n_epochs - 1);
  }

  // Counts the validated epoch into `progress`; returns whether it is the best so far.
  bool record_epoch(FoldProgress& progress, int epoch, const PassResult& valid, int first_best) const {
    const double value = valid.metrics.at(target.metric);
    const bool best = epoch >= first_best && improves(value, progress, first_best);
    progress.epochs_done = epoch + 1;
    if (best) {
      progress.best_metric = value;
      progress.best_epoch = epoch + 1;
    }
    return best;
  }

  FoldData fold_data(int fold) const {
    FoldData data;
    data.train = context.train_data;
    const auto split = data::fold_split(data.train->size(), config.n_folds, fold, seed());
    data.valid = data.train;
    data.valid_indices = split.valid;
    if (config.n_folds == 1) {
      data.valid = context.test_data;
      data.valid_indices = every_index(*data.valid);
    }
    data.train_indices = first(split.train, config.max_train_samples);
    data.valid_indices = first(data.valid_indices, config.max_valid_samples);
    return data;
  }

  // The network (with its quantizers' parameters and buffers) on `on`, and
  // training.amp there; before a checkpoint is read, so that the GPU's random
  // state and the loss scale are restored where they are used.
  void place_session(FoldSession& session, const torch::Device& on) {
    session.network->to(on);
    session.amp = MixedPrecision(config.amp, on);
  }

  // Every rank starts from rank 0's network, its gradients averaged over the
  // ranks; rank 0 tracks logging.monitor's statistics.
  void start_session(FoldSession& session, int fold) {
    ranks.broadcast_network(*session.network);
    session.reducer = ranks.make_reducer(*session.network);
    if (session.reducer)
      log.info("fold {}: gradients all-reduced in {} bucket(s) of up to {} MiB, {}", fold,
               session.reducer->bucket_count(), config.distributed.bucket_mb,
               config.distributed.overlap ? "overlapping backward" : "after backward");
    for (const auto& controller : session.controllers) log.info("fold {}: controller {}", fold, controller->name());
    const Params monitor = config.section("logging.monitor");
    if (ranks.is_root() && !monitor.keys().empty()) {
      session.tracker = std::make_unique<quantlib::monitor::StatisticsTracker>(
          *session.network, quantlib::monitor::TrackerOptions::parse(monitor), monitor);
      log.info("fold {}: monitoring {} layer(s) in TensorBoard", fold, session.tracker->tracked_layers().size());
    }
  }

  // training.distill: the teacher, rebuilt from its experiment at every run
  // (never saved with the student), and its validation metrics, logged once.
  void start_distillation(FoldSession& session, const FoldData& data, int fold) {
    session.distillation = Distillation::make(context.problem, config, context.logbook, fold, *session.network,
                                              probe_input(context.topology));
    if (!session.distillation) return;
    const Distillation& distillation = *session.distillation;
    const PassResult teacher = evaluate(session, *data.valid, data.valid_indices,
                                        [&](const torch::Tensor& input) { return distillation.teach(input); });
    log.info("fold {}: distilling from teacher {}: valid loss {:.4f}{}", fold, distillation.description(),
             teacher.loss, metric_text(teacher.metrics));
  }

  // The recipe's learned bit-widths, and training.bit_penalty's cost model
  // measured on the first training sample.
  void start_learned_bits(FoldSession& session, const FoldData& data, int fold) {
    session.learned_bits = LearnedBits::make(config, *session.network);
    if (!session.learned_bits) return;
    session.learned_bits->measure(*session.network, compare::summary_sample(*data.train, context.topology));
    log.info("fold {}: learning bit-widths: {}", fold, session.learned_bits->describe());
  }

  // Rank 0 alone writes the fold's folders, TensorBoard and checkpoints.
  FoldHooks make_hooks(FoldSession& session, int fold, const FoldProgress& progress) {
    FoldHooks hooks;
    hooks.add(rank_agreement_hook(ranks, session, fold, config, log));
    if (!config.stages.empty()) hooks.add(stage_hook(session, fold, config, log));
    hooks.add(controller_hook(session));
    if (!ranks.is_root()) return hooks;
    const Logbook& logbook = context.logbook;
    const int id = context.experiment_id;
    logbook.make_fold_dirs(id, fold);
    hooks.add(tensorboard_hook(logbook.stats_dir(id, fold),
                               Logbook::experiment_name(id) + "/fold" + std::to_string(fold),
                               progress.epochs_done == 0, config, target.metric, session));
    hooks.add(checkpoint_hook(logbook, id, fold, config, session));
    return hooks;
  }

  void log_epoch(int fold, int epoch, const PassResult& train, const PassResult& valid, double lr,
                 const FoldProgress& progress, const FoldSession& session) const {
    std::string terms;
    for (const auto& [name, value] : train.loss_terms) terms += fmt::format(" {} {:.4f}", name, value);
    if (!terms.empty()) terms = " (" + terms.substr(1) + ")";
    const std::string best = progress.best_epoch > 0
                                 ? fmt::format("best {} {:.4g} (epoch {})", target.metric, progress.best_metric,
                                               progress.best_epoch)
                                 : std::string("no best yet (the quantization has not its final form)");
    log.info("fold {} epoch {}/{} done in {:.1f} s | train loss {:.4f}{}{} | valid loss {:.4f}{} | lr {:.4g} | {}",
             fold, epoch + 1, config.n_epochs, train.seconds + valid.seconds, train.loss, terms,
             metric_text(train.metrics), valid.loss, metric_text(valid.metrics), lr, best);
    if (train.step_seconds > 0)
      log.info("fold {} epoch {}/{}: rank 0 waited on gradient all-reduce {:.1f}% of its step time ({:.2f} of "
               "{:.2f} s)",
               fold, epoch + 1, config.n_epochs, 100 * train.communication_wait_seconds / train.step_seconds,
               train.communication_wait_seconds, train.step_seconds);
    if (session.amp.scales_loss() && session.amp.skipped_steps() > 0)
      log.info("fold {} epoch {}/{}: fp16 skipped {} step(s) whose gradients overflowed; loss scale now {:g}", fold,
               epoch + 1, config.n_epochs, session.amp.skipped_steps(), session.amp.scale());
    if (session.learned_bits)
      log.info("fold {} epoch {}/{} bits: {}", fold, epoch + 1, config.n_epochs, session.learned_bits->describe());
  }

  // Returns whether the fold had epochs left to train.
  bool train_fold(int fold) {
    const ResumePoint resume =
        find_resume_point(context.logbook, context.experiment_id, fold, config, ranks.communicator(), log);
    if (resume.epochs_done >= config.n_epochs) {
      log.info("fold {}: complete ({} epochs)", fold, config.n_epochs);
      return false;
    }
    const FoldData data = fold_data(fold);
    torch::manual_seed(mix_seed(seed(), 0x1417, fold));
    FoldSession session = build_session(context.topology, config, target, context.logbook);
    if (const auto synchronized = ranks.synchronize_batch_norms(*session.network))
      log.info("fold {}: {} batch norm(s) synchronized over {} ranks", fold, *synchronized, ranks.size());
    place_session(session, device());
    FoldProgress progress = resume_session(resume, fold, config, session, ranks.communicator(), log);
    move_optimizer_state(*session.optimizer);
    start_session(session, fold);
    start_distillation(session, data, fold);
    start_learned_bits(session, data, fold);
    log.info("fold {}: {} training samples, {} validation samples, {} rank(s), on {}, mixed precision {}", fold,
             data.train_indices.size(), data.valid_indices.size(), ranks.size(), describe_device(device()),
             session.amp.describe());
    FoldHooks hooks = make_hooks(session, fold, progress);
    const int first_best = first_best_epoch(session);
    if (first_best > 0)
      log.info("fold {}: best.ckpt is picked from epoch {} on, when the quantization has its final form", fold,
               first_best + 1);
    try {
      for (int epoch = progress.epochs_done; epoch < config.n_epochs; ++epoch) {
        const double lr = apply_schedule(session, epoch, 0.0);
        hooks.before_training(epoch);
        const PassResult train = train_epoch(session, *data.train, data.train_indices, fold, epoch);
        hooks.after_training(epoch);
        const PassResult valid = evaluate(session, *data.valid, data.valid_indices);
        session.schedule.step(epoch, valid.metrics);
        const bool best = record_epoch(progress, epoch, valid, first_best);
        log_epoch(fold, epoch, train, valid, lr, progress, session);
        hooks.after_epoch({epoch, train, valid, lr, best, progress});
      }
    } catch (...) {
      // A failed fold shows as failed in TensorBoard's HParams view, not as running forever.
      hooks.fold_end(false);
      throw;
    }
    hooks.fold_end(true);
    return true;
  }

  // The integer network integerize makes of the trained one, run on the fast
  // path (oneDNN int8 kernels) on the same batches: its metrics; on how many
  // samples (all ranks) its logits are the exact integer executor's, bit for
  // bit; and on how many its argmax equals the fake-quantized network's fed
  // the same (integer-grid) input.
  struct IntegerCounts {
    std::int64_t identical_to_exact = 0;
    std::int64_t argmax_agreeing = 0;
  };
  PassResult evaluate_integer(FoldSession& session, const Dataset& data, const std::vector<std::int64_t>& indices,
                              IntegerCounts& counts) {
    Network& network = *session.network;
    const quantlib::deploy::IntegerNetwork integer = integerize_trained(
        network, context.topology, config, data, Logbook::experiment_name(context.experiment_id));
    const quantlib::deploy::FastIntegerNetwork fast(integer);
    log.info("integer network on the fast path: {}", fast.describe());
    IntegerCounts here;
    const PassResult pass = evaluate(session, data, indices, [&](const torch::Tensor& input) {
      const torch::Tensor output = fast.forward(input);
      here.identical_to_exact += output.eq(integer.forward(input)).all(1).sum().item<std::int64_t>();
      const torch::Tensor reference = network.forward(integer.quantize_input(input));
      here.argmax_agreeing += output.argmax(1).eq(reference.argmax(1)).sum().item<std::int64_t>();
      return output;
    });
    counts.identical_to_exact = ranks.sum(here.identical_to_exact);
    counts.argmax_agreeing = ranks.sum(here.argmax_agreeing);
    return pass;
  }

  std::vector<Evaluation> test(bool integer) {
    const auto data = context.test_data;
    const std::vector<std::int64_t> indices = every_index(*data);
    std::vector<Evaluation> results;
    for (int fold = 0; fold < config.n_folds; ++fold) {
      std::filesystem::path file = context.logbook.best_checkpoint(context.experiment_id, fold);
      if (!std::filesystem::exists(file)) {
        const auto newest = newest_checkpoint(context.logbook, context.experiment_id, fold);
        if (!newest)
          throw StorageError(context.logbook.saves_dir(context.experiment_id, fold).string() +
                             ": no checkpoint to test (expected best.ckpt or epochNNNN.ckpt; train first)");
        file = newest->first;
      }
      torch::manual_seed(mix_seed(seed(), 0x1417, fold));
      FoldSession session = build_session(context.topology, config, target, context.logbook);
      // The integer network runs on the CPU (oneDNN's int8 kernels).
      place_session(session, integer ? torch::Device(torch::kCPU) : device());
      const FoldProgress progress = load_checkpoint(file, session.state());
      for (auto& controller : session.controllers) controller->step_pre_validation(progress.epochs_done - 1);
      const PassResult pass = evaluate(session, *data, indices);
      log.info("test fold {} ({}, epoch {}): loss {:.4f}{}", fold, file.filename().string(), progress.epochs_done,
               pass.loss, metric_text(pass.metrics));
      if (integer) {
        IntegerCounts counts;
        const PassResult integer_pass = evaluate_integer(session, *data, indices, counts);
        log.info("test fold {} integer network: loss {:.4f}{} | fake-quantized: loss {:.4f}{} | argmax equal to the "
                 "fake-quantized network's on {}/{} samples | logits identical to the exact integer executor's on "
                 "{}/{} samples",
                 fold, integer_pass.loss, metric_text(integer_pass.metrics), pass.loss, metric_text(pass.metrics),
                 counts.argmax_agreeing, integer_pass.samples, counts.identical_to_exact, integer_pass.samples);
      }
      results.push_back({fold, file, progress.epochs_done, pass.loss, pass.metrics});
    }
    return results;
  }
};

Trainer::Trainer(RunContext context) : impl_(std::make_unique<Impl>(std::move(context))) {}
Trainer::~Trainer() = default;

bool Trainer::train() {
  bool trained = false;
  for (int fold = 0; fold < impl_->config.n_folds; ++fold) trained = impl_->train_fold(fold) || trained;
  return trained;
}

std::vector<Evaluation> Trainer::test(bool integer) { return impl_->test(integer); }

}  // namespace quantlab
