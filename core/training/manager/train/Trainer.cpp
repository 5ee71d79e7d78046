#include "manager/train/Trainer.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <torch/torch.h>

#include "quantlab/Clock.h"
#include "quantlab/Text.h"
#include "manager/data/Batcher.h"
#include "manager/data/Sampler.h"
#include "manager/dist/GradientReducer.h"
#include "manager/dist/SyncBatchNorm.h"
#include "quantlab/AtomicFile.h"
#include "manager/tensorboard/EventWriter.h"
#include "manager/tensorboard/TensorHistogram.h"
#include "manager/train/Checkpoint.h"
#include "manager/train/LrSchedule.h"
#include "manager/train/NetworkBuilder.h"
#include "quantlib/monitor/StatisticsTracker.h"
#include "manager/train/Optimizers.h"
#include "manager/train/TrainedNetwork.h"

namespace quantlab {

namespace {

using Clock = std::chrono::steady_clock;

std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  if (!file) throw StorageError(path.string() + ": could not be read");
  return contents.str();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Loss make_loss(const Topology& topology, const Params& section) {
  if (Loss loss = topology.loss(section)) return loss;
  const std::string name = section.get<std::string>("class");
  if (name == "CrossEntropyLoss") {
    const Params params = section.at("params");
    params.only({"label_smoothing"});
    const double smoothing = params.get<double>("label_smoothing", 0.0);
    if (!(smoothing >= 0 && smoothing < 1)) params.fail("label_smoothing", "a number in [0, 1)");
    return [smoothing](const torch::Tensor& output, const torch::Tensor& target) {
      // A network built for fewer classes than the data has (network.params)
      // would otherwise stop with LibTorch's bounds error.
      if (output.dim() == 2 && target.dim() == 1 && target.numel() > 0) {
        const std::int64_t largest = target.max().item<std::int64_t>();
        if (largest >= output.size(1))
          throw DataError(fmt::format("the data has class {} but the network outputs {} classes: expected "
                                      "network.params to build as many outputs as the data set has classes",
                                      largest, output.size(1)));
      }
      return torch::nn::functional::cross_entropy(
          output, target, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(smoothing));
    };
  }
  section.fail("class", "CrossEntropyLoss or a loss of topology " + topology.name());
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

namespace {

// Everything one fold trains: built identically on every rank.
struct FoldSession {
  std::shared_ptr<Network> network;
  quantlib::Controllers controllers;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  LrSchedule schedule;
  Loss loss;
  // logging.monitor's statistics trackers, on rank 0 only.
  std::unique_ptr<quantlib::monitor::StatisticsTracker> tracker;
  // Under mpirun: averages gradients over the ranks (hooks on the network's parameters).
  std::unique_ptr<GradientReducer> reducer;

  TrainingState state() { return {*network, *optimizer, schedule, controllers}; }
};

FoldSession build_session(const Topology& topology, const ExperimentConfig& config, const Target& target,
                          const Logbook& logbook) {
  FoldSession session;
  BuiltNetwork built = build_network(topology, config, logbook_resolver(logbook));
  session.network = std::move(built.network);
  session.controllers = std::move(built.controllers);
  session.optimizer = make_optimizer(config.section("training.optimizer"), session.network->parameters());
  session.schedule = LrSchedule::make(config.section("training.lr_scheduler"),
                                      learning_rate(*session.optimizer), target.metric, target.higher_is_better);
  session.loss = make_loss(topology, config.section("training.loss_function"));
  return session;
}

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

std::vector<std::int64_t> first(std::vector<std::int64_t> indices, const std::optional<std::int64_t>& limit) {
  if (limit && static_cast<std::int64_t>(indices.size()) > *limit) indices.resize(*limit);
  return indices;
}

struct PassResult {
  double loss = 0;
  std::map<std::string, double> metrics;
  std::int64_t samples = 0;
  double seconds = 0;
  // Training under mpirun: time in training steps, and how much of it rank 0
  // waited for gradient reductions to complete.
  double step_seconds = 0;
  double communication_wait_seconds = 0;
};

}  // namespace

void check_config(const Problem& problem, const Topology& topology, const ExperimentConfig& config,
                  const Logbook& logbook) {
  torch::NoGradGuard no_grad;
  const auto meter = problem.meter();
  FoldSession session = build_session(topology, config, target_of(config, *meter), logbook);
  const Params monitor = config.section("logging.monitor");
  if (!monitor.keys().empty())
    quantlib::monitor::StatisticsTracker(*session.network, quantlib::monitor::TrackerOptions::parse(monitor), monitor);
}

namespace {

// The checkpoint a fold continues from: the one with the most epochs done.
std::optional<std::pair<std::filesystem::path, FoldProgress>> newest_checkpoint(const Logbook& logbook, int id,
                                                                                int fold) {
  std::optional<std::pair<std::filesystem::path, FoldProgress>> newest;
  if (auto latest = logbook.latest_epoch_checkpoint(id, fold))
    newest = std::make_pair(latest->file, read_progress(latest->file));
  const auto best = logbook.best_checkpoint(id, fold);
  if (std::filesystem::exists(best)) {
    const FoldProgress progress = read_progress(best);
    if (!newest || progress.epochs_done > newest->second.epochs_done) newest = std::make_pair(best, progress);
  }
  return newest;
}

}  // namespace

struct Trainer::Impl {
  RunContext context;
  const ExperimentConfig& config;
  Communicator& communicator;
  spdlog::logger& log;
  std::unique_ptr<Meter> meter;
  Target target;

  explicit Impl(RunContext run)
      : context(std::move(run)),
        config(context.config),
        communicator(context.communicator),
        log(*context.log),
        meter(context.problem.meter()),
        target(target_of(config, *meter)) {}

  std::uint64_t seed() const { return *config.seed; }

  // One pass's batches through the data pipeline (data.workers, data.prefetch,
  // data.on_bad_sample); each skipped sample is one warning line.
  data::Batcher make_loader(const Dataset& data, std::vector<std::vector<std::int64_t>> batches, bool augment,
                            std::uint64_t pass_seed) {
    return data::Batcher(data, context.topology, std::move(batches), augment, pass_seed, config.loader,
                         [this](const std::string& reason) {
                           log.warn("skipped an unreadable sample: {}", reason);
                         });
  }

  // Parameters and buffers as rank 0 has them.
  void broadcast_network(Network& network) {
    if (communicator.size() == 1) return;
    torch::NoGradGuard no_grad;
    for (auto& parameter : network.parameters()) communicator.broadcast(parameter);
    broadcast_buffers(network);
  }

  // Running statistics (batch norm) follow each rank's batches; rank 0's are
  // the network's, as they are what its checkpoints keep.
  void broadcast_buffers(Network& network) {
    if (communicator.size() == 1) return;
    torch::NoGradGuard no_grad;
    for (auto& buffer : network.buffers()) communicator.broadcast(buffer);
  }

  // Whether every rank holds rank 0's parameters and buffers, to the bit: a
  // fingerprint (sum and sum of squares, in double) compared on each rank,
  // the mismatches counted over all. A network that drifted apart is logged.
  void check_ranks_agree(Network& network, int fold, int epoch) {
    if (communicator.size() == 1) return;
    torch::NoGradGuard no_grad;
    torch::Tensor fingerprint = torch::zeros({2}, torch::kDouble);
    for (const auto& tensors : {network.parameters(), network.buffers()})
      for (const auto& tensor : tensors) {
        const torch::Tensor values = tensor.to(torch::kDouble);
        fingerprint[0] += values.sum();
        fingerprint[1] += values.square().sum();
      }
    torch::Tensor root = fingerprint.clone();
    communicator.broadcast(root);
    // Bitwise: a buffer may hold NaN on purpose (INQ marks weights not yet frozen so).
    const bool same = std::memcmp(root.data_ptr<double>(), fingerprint.data_ptr<double>(), 2 * sizeof(double)) == 0;
    torch::Tensor differing = torch::tensor({same ? 0.0 : 1.0}, torch::kDouble);
    communicator.allreduce_sum(differing);
    if (differing.item<double>() > 0 && communicator.is_root())
      log.warn("fold {} epoch {}/{}: {} rank(s) hold a network that differs from rank 0's", fold, epoch + 1,
               config.n_epochs, static_cast<int>(differing.item<double>()));
  }

  // Averages gradients over the ranks during and after backward; none on one rank.
  std::unique_ptr<GradientReducer> make_reducer(Network& network) {
    if (communicator.size() == 1) return nullptr;
    ReducerOptions options;
    options.bucket_bytes = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(config.distributed.bucket_mb * 1024 * 1024));
    options.overlap = config.distributed.overlap;
    return std::make_unique<GradientReducer>(communicator, network.parameters(), options);
  }

  // The schedule's learning rate, times the number of ranks when asked (the
  // original always scaled it: N ranks step with an N times larger batch).
  double epoch_learning_rate(const FoldSession& session, int epoch) const {
    const double lr = session.schedule.learning_rate(epoch);
    return config.distributed.scale_lr ? lr * communicator.size() : lr;
  }

  // Loss sum, sample count and meter statistics, summed over ranks.
  PassResult reduce(double loss_sum, std::int64_t samples, Clock::time_point start) {
    torch::Tensor totals = torch::tensor({loss_sum, static_cast<double>(samples)}, torch::kDouble);
    torch::Tensor statistics = meter->statistics().to(torch::kDouble).contiguous();
    communicator.allreduce_sum(totals);
    communicator.allreduce_sum(statistics);
    PassResult result;
    result.samples = static_cast<std::int64_t>(totals[1].item<double>());
    result.loss = result.samples > 0 ? totals[0].item<double>() / result.samples : 0.0;
    result.metrics = meter->metrics(statistics);
    result.seconds = seconds_since(start);
    return result;
  }

  std::string metric_text(const std::map<std::string, double>& metrics) const {
    std::string text;
    for (const auto& [name, value] : metrics) text += fmt::format(" {} {:.4g}", name, value);
    return text;
  }

  PassResult train_epoch(FoldSession& session, const Dataset& data, const std::vector<std::int64_t>& indices,
                         int fold, int epoch) {
    session.network->train();
    meter->reset();
    const auto shard = data::training_shard(indices, mix_seed(seed(), fold), epoch, communicator.rank(),
                                            communicator.size());
    data::Batcher loader = make_loader(data, data::split_batches(shard, config.bs_train), config.augment,
                                       mix_seed(seed(), 0xA06, fold * 100003 + epoch));
    const std::int64_t batches = loader.size();
    const std::int64_t report_every = std::max<std::int64_t>(1, batches / 10);
    double loss_sum = 0;
    std::int64_t samples = 0;
    double step_seconds = 0;
    if (session.reducer) session.reducer->reset_wait_seconds();
    const auto start = Clock::now();
    for (std::int64_t b = 0; b < batches; ++b) {
      Batch batch = *loader.next();
      if (!batch.input.defined()) {
        // Every rank must take the same steps, or the all-reduces pair up wrongly.
        if (communicator.size() > 1)
          throw DataError(fmt::format("fold {} epoch {}: every sample of training batch {} was unreadable and "
                                      "skipped; under mpirun the ranks would fall out of step (see the warnings "
                                      "above for the files)",
                                      fold, epoch + 1, b + 1));
        continue;
      }
      for (auto& controller : session.controllers) controller->step_pre_batch(epoch, b, batches);
      const auto step_start = Clock::now();
      session.optimizer->zero_grad();
      const torch::Tensor output = session.network->forward(batch.input);
      const torch::Tensor loss = session.loss(output, batch.target);
      const double loss_value = loss.item<double>();
      // A diverged run stops before its weights turn to NaN; its checkpoints
      // so far stay as they are.
      if (!std::isfinite(loss_value))
        throw ConfigError(fmt::format("{}: fold {} epoch {} batch {}: the training loss is {}; stopped before this "
                                      "step (checkpoints so far are kept). Change the value that diverged (e.g. a "
                                      "lower training.optimizer.params.lr) in its config.yaml and resume with --exp-id",
                                      context.logbook.config_file(context.experiment_id).string(), fold, epoch + 1, b + 1,
                                      loss_value));
      loss.backward();
      if (session.reducer) session.reducer->finish();
      // A quantizer that sets its range from the first batch it sees (LSQ,
      // TQT), or from statistics of the epoch before (STE), set it from this
      // rank's shard, and batch norms keep per-rank running statistics: at the
      // first step of each epoch every rank takes rank 0's parameters and
      // buffers before the optimizer steps (weight decay and momentum read
      // the parameters), so the ranks go on training one network.
      if (b == 0) broadcast_network(*session.network);
      if (session.tracker && b + 1 == batches) session.tracker->record_gradients();
      session.optimizer->step();
      step_seconds += seconds_since(step_start);
      {
        torch::NoGradGuard no_grad;
        meter->add(context.topology.postprocess(output.detach()), batch.target);
      }
      const std::int64_t n = batch.input.size(0);
      loss_sum += loss_value * n;
      samples += n;
      if (communicator.is_root() && ((b + 1) % report_every == 0 || b + 1 == batches)) {
        const double elapsed = seconds_since(start);
        const double rate = samples * communicator.size() / std::max(elapsed, 1e-9);
        const auto running = meter->metrics(meter->statistics());
        log.info("fold {} epoch {}/{} train [{:>5}/{}] {:>7.0f} img/s ETA {} loss {:.4f} {} {:.4g}", fold,
                 epoch + 1, config.n_epochs, b + 1, batches, rate,
                 clock_text(elapsed / (b + 1) * (batches - b - 1)), loss_sum / samples, target.metric,
                 running.at(target.metric));
      }
    }
    if (loader.skipped() > 0)
      log.warn("fold {} epoch {}: {} unreadable training sample(s) skipped on rank {}", fold, epoch + 1,
               loader.skipped(), communicator.rank());
    broadcast_buffers(*session.network);  // validation and checkpoints see rank 0's statistics
    PassResult result = reduce(loss_sum, samples, start);
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
    const auto shard = data::evaluation_shard(indices, communicator.rank(), communicator.size());
    data::Batcher loader = make_loader(data, data::split_batches(shard, config.bs_valid), false, seed());
    double loss_sum = 0;
    std::int64_t samples = 0;
    const auto start = Clock::now();
    bool first = true;
    while (std::optional<Batch> next = loader.next()) {
      Batch batch = std::move(*next);
      if (!batch.input.defined()) continue;  // every sample unreadable and skipped
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
      log.warn("evaluation: {} unreadable sample(s) skipped on rank {}", loader.skipped(), communicator.rank());
    return reduce(loss_sum, samples, start);
  }

  // The original's per-epoch scalars, every meter metric, and histograms when asked.
  void write_epoch(tensorboard::EventWriter& board, FoldSession& session, const PassResult& train,
                   const PassResult& valid, double lr, std::int64_t step) const {
    Network& network = *session.network;
    board.add_scalar("train_loss", train.loss, step);
    board.add_scalar("train_metric", train.metrics.at(target.metric), step);
    board.add_scalar("valid_loss", valid.loss, step);
    board.add_scalar("valid_metric", valid.metrics.at(target.metric), step);
    board.add_scalar("learning_rate", lr, step);
    if (train.step_seconds > 0)
      board.add_scalar("distributed/communication_wait_share", train.communication_wait_seconds / train.step_seconds,
                       step);
    for (const auto& [name, metric] : train.metrics) board.add_scalar("train/" + name, metric, step);
    for (const auto& [name, metric] : valid.metrics) board.add_scalar("valid/" + name, metric, step);
    if (config.histograms)
      for (const auto& parameter : network.named_parameters())
        tensorboard::add_histogram(board, "weights/" + parameter.key(), parameter.value().detach(), step);
    if (session.tracker)
      for (const auto& statistic : session.tracker->collect()) {
        if (statistic.histogram)
          tensorboard::add_histogram(board, statistic.tag, statistic.values, step);
        else
          board.add_scalar(statistic.tag, statistic.values.item<double>(), step);
      }
    board.flush();
  }

  bool improves(double value, const FoldProgress& progress) const {
    if (progress.best_epoch == 0) return true;
    return target.higher_is_better ? value > progress.best_metric : value < progress.best_metric;
  }

  // Returns whether the fold had epochs left to train.
  bool train_fold(int fold) {
    const Logbook& logbook = context.logbook;
    const int id = context.experiment_id;
    // Rank 0 finds the checkpoint to continue from; every rank learns its path and progress.
    std::string resume_path;
    torch::Tensor epochs_done = torch::zeros({1}, torch::kLong);
    if (communicator.is_root())
      if (const auto resume = newest_checkpoint(logbook, id, fold)) {
        resume_path = resume->first.string();
        epochs_done[0] = resume->second.epochs_done;
      }
    communicator.broadcast(resume_path);
    communicator.broadcast(epochs_done);
    // Killed between writing an epoch's best.ckpt and its epochNNNN.ckpt:
    // the two hold the same state, so the epoch checkpoint is restored from
    // the best one (at the last epoch as at any other that keeps one).
    const auto done = static_cast<int>(epochs_done.item<std::int64_t>());
    if (communicator.is_root() && done > 0 && std::filesystem::path(resume_path) == logbook.best_checkpoint(id, fold) &&
        (done % config.ckpt_every == 0 || done == config.n_epochs)) {
      const auto missing = logbook.epoch_checkpoint(id, fold, done);
      if (!std::filesystem::exists(missing)) {
        write_file_atomically(missing, read_file_bytes(resume_path));
        log.info("fold {}: restored {} from best.ckpt (the run ended between writing the two)", fold,
                 missing.string());
      }
    }
    if (done >= config.n_epochs) {
      log.info("fold {}: complete ({} epochs)", fold, config.n_epochs);
      return false;
    }

    const auto data = context.train_data;
    const auto split = data::fold_split(data->size(), config.n_folds, fold, seed());
    std::shared_ptr<Dataset> valid_data = data;
    std::vector<std::int64_t> valid_indices = split.valid;
    if (config.n_folds == 1) {
      valid_data = context.test_data;
      valid_indices.resize(valid_data->size());
      for (std::int64_t i = 0; i < valid_data->size(); ++i) valid_indices[i] = i;
    }
    const auto train_indices = first(split.train, config.max_train_samples);
    valid_indices = first(valid_indices, config.max_valid_samples);

    torch::manual_seed(mix_seed(seed(), 0x1417, fold));
    FoldSession session = build_session(context.topology, config, target, context.logbook);
    if (config.distributed.sync_batch_norm && communicator.size() > 1)
      log.info("fold {}: {} batch norm(s) synchronized over {} ranks", fold,
               synchronize_batch_norms(*session.network, communicator), communicator.size());
    FoldProgress progress{fold, 0, 0, 0};
    if (!resume_path.empty()) {
      // Rank 0 reads the checkpoint and every rank restores the same bytes:
      // network, optimizer, LR schedule, controllers and RNG as rank 0 has
      // them, with no storage shared between machines.
      std::string contents = communicator.is_root() ? read_file_bytes(resume_path) : std::string();
      communicator.broadcast(contents);
      progress = load_checkpoint(resume_path, contents, session.state());
      log.info("fold {}: resuming from {} ({} of {} epochs done)", fold, resume_path, progress.epochs_done,
               config.n_epochs);
    }
    broadcast_network(*session.network);
    session.reducer = make_reducer(*session.network);
    if (session.reducer)
      log.info("fold {}: gradients all-reduced in {} bucket(s) of up to {} MiB, {}", fold,
               session.reducer->bucket_count(), config.distributed.bucket_mb,
               config.distributed.overlap ? "overlapping backward" : "after backward");
    for (const auto& controller : session.controllers) log.info("fold {}: controller {}", fold, controller->name());
    const Params monitor = config.section("logging.monitor");
    if (communicator.is_root() && !monitor.keys().empty()) {
      session.tracker = std::make_unique<quantlib::monitor::StatisticsTracker>(
          *session.network, quantlib::monitor::TrackerOptions::parse(monitor), monitor);
      log.info("fold {}: monitoring {} layer(s) in TensorBoard", fold, session.tracker->tracked_layers().size());
    }
    log.info("fold {}: {} training samples, {} validation samples, {} rank(s)", fold, train_indices.size(),
             valid_indices.size(), communicator.size());

    std::unique_ptr<tensorboard::EventWriter> board;
    if (communicator.is_root()) {
      logbook.make_fold_dirs(id, fold);
      board = std::make_unique<tensorboard::EventWriter>(logbook.stats_dir(id, fold));
      if (progress.epochs_done == 0) {
        std::map<std::string, tensorboard::HParamValue> hparams;
        flatten(config.root, "", hparams);
        board->add_hparams_session_start(hparams, Logbook::experiment_name(id) + "/fold" + std::to_string(fold),
                                         unix_time());
      }
    }

    // A failed fold shows as failed in TensorBoard's HParams view, not as running forever.
    try {
      for (int epoch = progress.epochs_done; epoch < config.n_epochs; ++epoch) {
        const double lr = epoch_learning_rate(session, epoch);
        set_learning_rate(*session.optimizer, lr);
        for (auto& controller : session.controllers) controller->step_pre_training(epoch, *session.optimizer);
        const PassResult train = train_epoch(session, *data, train_indices, fold, epoch);
        check_ranks_agree(*session.network, fold, epoch);
        for (auto& controller : session.controllers) controller->step_pre_validation(epoch);
        const PassResult valid = evaluate(session, *valid_data, valid_indices);
        session.schedule.step(epoch, valid.metrics);

        const double value = valid.metrics.at(target.metric);
        const bool best = improves(value, progress);
        progress.epochs_done = epoch + 1;
        if (best) {
          progress.best_metric = value;
          progress.best_epoch = epoch + 1;
        }
        log.info("fold {} epoch {}/{} done in {:.1f} s | train loss {:.4f}{} | valid loss {:.4f}{} | lr {:.4g} | "
                 "best {} {:.4g} (epoch {})",
                 fold, epoch + 1, config.n_epochs, train.seconds + valid.seconds, train.loss,
                 metric_text(train.metrics), valid.loss, metric_text(valid.metrics), lr, target.metric,
                 progress.best_metric, progress.best_epoch);
        if (train.step_seconds > 0)
          log.info("fold {} epoch {}/{}: rank 0 waited on gradient all-reduce {:.1f}% of its step time ({:.2f} of "
                   "{:.2f} s)",
                   fold, epoch + 1, config.n_epochs, 100 * train.communication_wait_seconds / train.step_seconds,
                   train.communication_wait_seconds, train.step_seconds);
        if (!communicator.is_root()) continue;

        write_epoch(*board, session, train, valid, lr, epoch + 1);
        if (best) save_checkpoint(logbook.best_checkpoint(id, fold), progress, session.state());
        if ((epoch + 1) % config.ckpt_every == 0 || epoch + 1 == config.n_epochs)
          save_checkpoint(logbook.epoch_checkpoint(id, fold, epoch + 1), progress, session.state());
      }
    } catch (...) {
      if (board) {
        board->add_hparams_session_end(false, unix_time());
        board->flush();
      }
      throw;
    }
    if (board) {
      board->add_hparams_session_end(true, unix_time());
      board->flush();
    }
    return true;
  }

  // The integer network integerize makes of the trained one, on the same
  // batches: its metrics, and on how many samples (all ranks) its argmax
  // equals the fake-quantized network's fed the same (integer-grid) input.
  PassResult evaluate_integer(FoldSession& session, const Dataset& data, const std::vector<std::int64_t>& indices,
                              std::int64_t& agreeing) {
    Network& network = *session.network;
    const quantlib::deploy::IntegerNetwork integer = integerize_trained(
        network, context.topology, config, data, Logbook::experiment_name(context.experiment_id));
    std::int64_t agreeing_here = 0;
    const PassResult pass = evaluate(session, data, indices, [&](const torch::Tensor& input) {
      const torch::Tensor output = integer.forward(input);
      const torch::Tensor reference = network.forward(integer.quantize_input(input));
      agreeing_here += output.argmax(1).eq(reference.argmax(1)).sum().item<std::int64_t>();
      return output;
    });
    torch::Tensor total = torch::tensor({static_cast<double>(agreeing_here)}, torch::kDouble);
    communicator.allreduce_sum(total);
    agreeing = static_cast<std::int64_t>(total.item<double>());
    return pass;
  }

  std::vector<Evaluation> test(bool integer) {
    const auto data = context.test_data;
    std::vector<std::int64_t> indices(data->size());
    for (std::int64_t i = 0; i < data->size(); ++i) indices[i] = i;
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
      const FoldProgress progress = load_checkpoint(file, session.state());
      for (auto& controller : session.controllers) controller->step_pre_validation(progress.epochs_done - 1);
      const PassResult pass = evaluate(session, *data, indices);
      log.info("test fold {} ({}, epoch {}): loss {:.4f}{}", fold, file.filename().string(), progress.epochs_done,
               pass.loss, metric_text(pass.metrics));
      if (integer) {
        std::int64_t agreeing = 0;
        const PassResult integer_pass = evaluate_integer(session, *data, indices, agreeing);
        log.info("test fold {} integer network: loss {:.4f}{} | fake-quantized: loss {:.4f}{} | argmax equal to the "
                 "fake-quantized network's on {}/{} samples",
                 fold, integer_pass.loss, metric_text(integer_pass.metrics), pass.loss, metric_text(pass.metrics),
                 agreeing, integer_pass.samples);
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
