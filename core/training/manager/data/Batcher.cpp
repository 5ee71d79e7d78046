#include "manager/data/Batcher.h"

#include <algorithm>
#include <utility>

#include <torch/torch.h>

#include "manager/data/Sampler.h"
#include "quantlab/Errors.h"

namespace quantlab::data {
namespace {

// The message names the sample's source once, whoever threw it.
std::string with_source(const std::string& source, const std::string& message) {
  if (source.empty() || message.rfind(source, 0) == 0) return message;
  return source + ": " + message;
}

}  // namespace

Batch read_batch(const Dataset& data, const Topology& topology, const std::vector<std::int64_t>& indices,
                 bool augment, std::uint64_t seed, BadSamplePolicy on_bad_sample, const SkipReport& report_skip) {
  torch::NoGradGuard no_grad;
  Batch batch;
  if (const auto* samples = dynamic_cast<const SampleDataset*>(&data)) {
    std::vector<torch::Tensor> inputs, targets;
    inputs.reserve(indices.size());
    targets.reserve(indices.size());
    for (std::size_t place = 0; place < indices.size(); ++place) {
      std::string source;
      try {
        Sample sample = samples->sample(indices[place]);
        source = sample.source;
        sample = topology.preprocess_sample(std::move(sample), augment, mix_seed(seed, 0x5A3, place));
        inputs.push_back(std::move(sample.input));
        targets.push_back(std::move(sample.target));
      } catch (const DataError& error) {
        const std::string message = with_source(source, error.what());
        if (on_bad_sample == BadSamplePolicy::stop) throw DataError(message);
        if (report_skip) report_skip(message);
      }
    }
    if (inputs.empty()) return batch;
    batch = {torch::stack(inputs), torch::stack(targets)};
  } else {
    batch = data.get(indices);
  }
  auto generator = at::detail::createCPUGenerator(mix_seed(seed, 0xB47));
  return topology.preprocess(std::move(batch), augment, generator);
}

Batcher::Batcher(const Dataset& data, const Topology& topology, std::vector<std::vector<std::int64_t>> batches,
                 bool augment, std::uint64_t seed, BatcherOptions options, SkipReport report_skip)
    : data_(data),
      topology_(topology),
      batches_(std::move(batches)),
      augment_(augment),
      seed_(seed),
      options_(options),
      report_skip_(std::move(report_skip)) {
  TORCH_CHECK(options_.workers >= 0 && options_.prefetch >= 1, "Batcher: workers >= 0 and prefetch >= 1");
  const std::size_t workers = std::min<std::size_t>(options_.workers, batches_.size());
  workers_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  slot_taken_.notify_all();
  for (auto& worker : workers_) worker.join();
}

Batcher::Slot Batcher::make(std::size_t number) const {
  Slot slot;
  try {
    const SkipReport count_and_report = [this](const std::string& reason) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ++skipped_;
      }
      if (report_skip_) report_skip_(reason);
    };
    slot.batch = read_batch(data_, topology_, batches_[number], augment_, mix_seed(seed_, number),
                            options_.on_bad_sample, count_and_report);
    if (options_.pin_memory && slot.batch.input.defined()) {
      slot.batch.input = slot.batch.input.pin_memory();
      slot.batch.target = slot.batch.target.pin_memory();
    }
  } catch (...) {
    slot.error = std::current_exception();
  }
  return slot;
}

void Batcher::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    slot_taken_.wait(lock, [this] {
      return stopping_ || next_to_read_ >= batches_.size() ||
             next_to_read_ < next_to_return_ + static_cast<std::size_t>(options_.prefetch);
    });
    if (stopping_ || next_to_read_ >= batches_.size()) return;
    const std::size_t number = next_to_read_++;
    lock.unlock();
    Slot slot = make(number);
    lock.lock();
    ready_.emplace(number, std::move(slot));
    slot_ready_.notify_all();
  }
}

std::optional<Batch> Batcher::next() {
  Slot slot;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (next_to_return_ >= batches_.size()) return std::nullopt;
    const std::size_t number = next_to_return_;
    if (workers_.empty()) {
      lock.unlock();
      slot = make(number);
      lock.lock();
    } else {
      slot_ready_.wait(lock, [&] { return ready_.count(number) != 0; });
      slot = std::move(ready_.at(number));
      ready_.erase(number);
    }
    ++next_to_return_;
  }
  slot_taken_.notify_all();
  if (slot.error) std::rethrow_exception(slot.error);
  return std::move(slot.batch);
}

std::int64_t Batcher::skipped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return skipped_;
}

}  // namespace quantlab::data
