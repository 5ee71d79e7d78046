#include "manager/data/Sampler.h"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace quantlab::data {

std::vector<std::int64_t> shuffled(std::vector<std::int64_t> indices, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  for (std::size_t i = indices.size(); i > 1; --i) {
    const std::uint64_t j = engine() % i;
    std::swap(indices[i - 1], indices[j]);
  }
  return indices;
}

std::vector<std::int64_t> training_shard(const std::vector<std::int64_t>& indices, std::uint64_t seed, int epoch,
                                         int rank, int world_size) {
  const auto order = shuffled(indices, mix_seed(seed, 0x5A4D, static_cast<std::uint64_t>(epoch)));
  if (order.empty()) return {};
  const std::size_t per_rank = (order.size() + world_size - 1) / world_size;
  std::vector<std::int64_t> shard;
  shard.reserve(per_rank);
  for (std::size_t i = 0; i < per_rank; ++i) shard.push_back(order[(i * world_size + rank) % order.size()]);
  return shard;
}

std::vector<std::int64_t> evaluation_shard(const std::vector<std::int64_t>& indices, int rank, int world_size) {
  std::vector<std::int64_t> shard;
  for (std::size_t i = rank; i < indices.size(); i += world_size) shard.push_back(indices[i]);
  return shard;
}

FoldSplit fold_split(std::int64_t n, int n_folds, int fold, std::uint64_t seed) {
  std::vector<std::int64_t> all(n);
  for (std::int64_t i = 0; i < n; ++i) all[i] = i;
  FoldSplit split;
  if (n_folds <= 1) {
    split.train = std::move(all);
    return split;
  }
  const auto order = shuffled(std::move(all), mix_seed(seed, 0xF01D));
  for (std::size_t i = 0; i < order.size(); ++i)
    (static_cast<int>(i % n_folds) == fold ? split.valid : split.train).push_back(order[i]);
  return split;
}

std::vector<std::vector<std::int64_t>> split_batches(const std::vector<std::int64_t>& indices,
                                                     std::int64_t batch_size) {
  if (batch_size <= 0) throw std::invalid_argument("split_batches: batch_size must be positive");
  std::vector<std::vector<std::int64_t>> batches;
  for (std::size_t begin = 0; begin < indices.size(); begin += static_cast<std::size_t>(batch_size)) {
    const std::size_t end = std::min(indices.size(), begin + static_cast<std::size_t>(batch_size));
    batches.emplace_back(indices.begin() + static_cast<std::ptrdiff_t>(begin),
                         indices.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return batches;
}

}  // namespace quantlab::data
