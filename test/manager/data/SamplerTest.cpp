#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "manager/data/Sampler.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::data;

namespace {
std::vector<std::int64_t> range(std::int64_t n) {
  std::vector<std::int64_t> all(n);
  for (std::int64_t i = 0; i < n; ++i) all[i] = i;
  return all;
}
}  // namespace

TEST_CASE("training shards are equal-sized, cover every sample and depend on seed and epoch", "[sampler]") {
  const auto all = range(103);
  for (int world : {1, 2, 3, 4}) {
    std::multiset<std::int64_t> seen;
    std::size_t size = 0;
    for (int rank = 0; rank < world; ++rank) {
      const auto shard = training_shard(all, 5, 2, rank, world);
      if (rank == 0) size = shard.size();
      CHECK(shard.size() == size);
      seen.insert(shard.begin(), shard.end());
    }
    CHECK(size == (all.size() + world - 1) / world);
    CHECK(std::set<std::int64_t>(seen.begin(), seen.end()).size() == all.size());
    CHECK(seen.size() - all.size() < static_cast<std::size_t>(world));  // padding only
  }
  CHECK(training_shard(all, 5, 2, 0, 1) == training_shard(all, 5, 2, 0, 1));
  CHECK(training_shard(all, 5, 2, 0, 1) != training_shard(all, 5, 3, 0, 1));
  CHECK(training_shard(all, 5, 2, 0, 1) != training_shard(all, 6, 2, 0, 1));
  CHECK(training_shard(all, 5, 2, 0, 1) != all);
}

TEST_CASE("evaluation shards partition the samples without padding", "[sampler]") {
  const auto all = range(10);
  std::vector<std::int64_t> joined;
  for (int rank = 0; rank < 3; ++rank) {
    const auto shard = evaluation_shard(all, rank, 3);
    joined.insert(joined.end(), shard.begin(), shard.end());
  }
  std::sort(joined.begin(), joined.end());
  CHECK(joined == all);
}

TEST_CASE("k-fold splits partition the data, each fold validating on its own part", "[sampler]") {
  const int folds = 4;
  std::set<std::int64_t> valid_union;
  for (int fold = 0; fold < folds; ++fold) {
    const auto split = fold_split(50, folds, fold, 9);
    CHECK(split.train.size() + split.valid.size() == 50);
    std::set<std::int64_t> train(split.train.begin(), split.train.end());
    for (auto v : split.valid) {
      CHECK(train.count(v) == 0);
      CHECK(valid_union.insert(v).second);
    }
  }
  CHECK(valid_union.size() == 50);
  CHECK(fold_split(50, folds, 1, 9).valid == fold_split(50, folds, 1, 9).valid);
  CHECK(fold_split(50, folds, 1, 9).valid != fold_split(50, folds, 1, 10).valid);
  const auto single = fold_split(7, 1, 0, 9);
  CHECK(single.train == range(7));
  CHECK(single.valid.empty());
}

TEST_CASE("split_batches cuts indices into consecutive batches with a short last one", "[data]") {
  const auto batches = quantlab::data::split_batches({5, 4, 3, 2, 1}, 2);
  REQUIRE(batches.size() == 3);
  CHECK(batches[0] == std::vector<std::int64_t>{5, 4});
  CHECK(batches[2] == std::vector<std::int64_t>{1});
  CHECK(quantlab::data::split_batches({}, 3).empty());
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
