#include "manager/data/Batcher.h"
#include "manager/data/Sampler.h"

#include <atomic>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlab/Errors.h"

namespace QUANTLAB_TEST_FILE {
namespace {

namespace {

using quantlab::Batch;
using quantlab::Sample;
using quantlab::data::BadSamplePolicy;
using quantlab::data::Batcher;
using quantlab::data::BatcherOptions;

// Sample i: a [2] tensor {i, i}; samples in `bad` cannot be read. Counts reads
// so a test can see how far the workers ran ahead.
class CountingSamples : public quantlab::SampleDataset {
 public:
  explicit CountingSamples(std::int64_t size, std::set<std::int64_t> bad = {}) : size_(size), bad_(std::move(bad)) {}
  std::int64_t size() const override { return size_; }
  std::string describe() const override { return "counting samples"; }
  Sample sample(std::int64_t index) const override {
    ++reads;
    const std::string source = "sample" + std::to_string(index) + ".bin";
    if (bad_.count(index) != 0) throw quantlab::DataError(source + ": not a sample");
    return {torch::full({2}, static_cast<float>(index)), torch::tensor(index), source};
  }
  mutable std::atomic<std::int64_t> reads{0};

 private:
  std::int64_t size_;
  std::set<std::int64_t> bad_;
};

// Random in both stages: adds noise from the per-sample seed and a random
// permutation-free shift from the batch generator.
class NoisyTopology : public quantlab::BasicTopology {
 public:
  NoisyTopology() : BasicTopology("Noisy", "", nullptr) {}
  Sample preprocess_sample(Sample sample, bool augment, std::uint64_t seed) const override {
    if (augment) {
      std::mt19937_64 random(seed);
      sample.input = sample.input + static_cast<float>(random() % 1000) / 1000.0f;
    }
    return sample;
  }
  Batch preprocess(Batch batch, bool augment, torch::Generator& generator) const override {
    if (augment) batch.input = batch.input + torch::rand({batch.input.size(0), 1}, generator);
    return batch;
  }
};

std::vector<std::vector<std::int64_t>> shuffled_batches(std::int64_t n, std::int64_t batch_size) {
  std::vector<std::int64_t> indices(n);
  for (std::int64_t i = 0; i < n; ++i) indices[i] = (i * 7) % n;
  return quantlab::data::split_batches(indices, batch_size);
}

std::vector<Batch> drain(Batcher& batcher) {
  std::vector<Batch> batches;
  while (auto batch = batcher.next()) batches.push_back(std::move(*batch));
  return batches;
}

}  // namespace

TEST_CASE("the batcher gives the same batches in the same order whatever the number of workers", "[data]") {
  const CountingSamples data(50);
  const NoisyTopology topology;
  std::vector<std::vector<Batch>> runs;
  for (const int workers : {0, 1, 3}) {
    Batcher batcher(data, topology, shuffled_batches(50, 8), true, 1234, BatcherOptions{workers, 2});
    runs.push_back(drain(batcher));
  }
  REQUIRE(runs[0].size() == 7);
  CHECK(runs[0].back().input.size(0) == 2);
  for (std::size_t run = 1; run < runs.size(); ++run) {
    REQUIRE(runs[run].size() == runs[0].size());
    for (std::size_t b = 0; b < runs[0].size(); ++b) {
      CHECK(torch::equal(runs[run][b].input, runs[0][b].input));
      CHECK(torch::equal(runs[run][b].target, runs[0][b].target));
    }
  }
  // The targets follow the requested order, and augmentation really drew noise.
  CHECK(runs[0][0].target[1].item<std::int64_t>() == 7);
  CHECK_FALSE(torch::equal(runs[0][0].input.floor(), runs[0][0].input));
}

TEST_CASE("another seed gives other augmentation and no augmentation gives the samples as read", "[data]") {
  const CountingSamples data(16);
  const NoisyTopology topology;
  Batcher first(data, topology, shuffled_batches(16, 4), true, 1, BatcherOptions{2, 2});
  Batcher second(data, topology, shuffled_batches(16, 4), true, 2, BatcherOptions{2, 2});
  CHECK_FALSE(torch::equal(first.next()->input, second.next()->input));
  Batcher plain(data, topology, shuffled_batches(16, 4), false, 1, BatcherOptions{2, 2});
  const Batch batch = *plain.next();
  CHECK(torch::equal(batch.input.select(1, 0), batch.target.to(torch::kFloat)));
}

TEST_CASE("workers read at most prefetch batches ahead of the caller", "[data]") {
  const CountingSamples data(64);
  const NoisyTopology topology;
  Batcher batcher(data, topology, shuffled_batches(64, 4), false, 0, BatcherOptions{3, 2});
  std::int64_t taken = 0;
  while (auto batch = batcher.next()) {
    ++taken;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    // Taken batches, plus up to `prefetch` ready or being read.
    CHECK(data.reads.load() <= (taken + 2) * 4);
  }
  CHECK(taken == 16);
  CHECK(data.reads.load() == 64);
}

TEST_CASE("an unreadable sample stops the pass at its batch with the file named, under stop", "[data]") {
  const CountingSamples data(20, {13});
  const NoisyTopology topology;
  Batcher batcher(data, topology, quantlab::data::split_batches(std::vector<std::int64_t>{0, 1, 2, 3, 12, 13, 14, 15}, 4),
                  false, 0, BatcherOptions{2, 4, BadSamplePolicy::stop});
  CHECK(batcher.next()->input.size(0) == 4);  // the batch before the bad one still comes
  CHECK_THROWS_MATCHES(batcher.next(), quantlab::DataError,
                       Catch::Matchers::Message("sample13.bin: not a sample"));
}

TEST_CASE("unreadable samples are skipped, counted and reported under skip", "[data]") {
  const CountingSamples data(12, {1, 4, 5, 6, 7});
  const NoisyTopology topology;
  std::mutex mutex;
  std::vector<std::string> reported;
  Batcher batcher(data, topology, quantlab::data::split_batches(std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}, 4),
                  false, 0, BatcherOptions{2, 4, BadSamplePolicy::skip},
                  [&](const std::string& reason) {
                    std::lock_guard<std::mutex> lock(mutex);
                    reported.push_back(reason);
                  });
  const auto first = batcher.next();
  CHECK(torch::equal(first->target, torch::tensor({0, 2, 3}, torch::kLong)));
  // All four samples of the second batch were bad: it comes back empty.
  CHECK_FALSE(batcher.next()->input.defined());
  CHECK(batcher.next()->input.size(0) == 1);
  CHECK_FALSE(batcher.next().has_value());
  CHECK(batcher.skipped() == 5);
  REQUIRE(reported.size() == 5);
  CHECK(std::count(reported.begin(), reported.end(), "sample1.bin: not a sample") == 1);
}

TEST_CASE("a batcher dropped before its pass ends stops its workers", "[data]") {
  const CountingSamples data(400);
  const NoisyTopology topology;
  {
    Batcher batcher(data, topology, shuffled_batches(400, 2), true, 0, BatcherOptions{2, 3});
    CHECK(batcher.next().has_value());
  }
  CHECK(data.reads.load() < 400);
}

TEST_CASE("a tensor data set goes through the batcher batch by batch", "[data]") {
  const quantlab::TensorDataset data(torch::arange(10, torch::kFloat).view({10, 1}), torch::arange(10), "ten");
  const NoisyTopology topology;
  Batcher batcher(data, topology, quantlab::data::split_batches(std::vector<std::int64_t>{9, 8, 7}, 2), false, 0,
                  BatcherOptions{1, 1});
  CHECK(torch::equal(batcher.next()->target, torch::tensor({9, 8}, torch::kLong)));
  CHECK(torch::equal(batcher.next()->target, torch::tensor({7}, torch::kLong)));
  CHECK_FALSE(batcher.next().has_value());
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
