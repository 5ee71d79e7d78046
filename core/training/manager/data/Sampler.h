#pragma once
// Which samples a rank sees, and in which order: a pure function of the seed,
// the epoch and the rank, so a resumed run replays the same data order.
#include <cstdint>
#include <vector>

#include "quantlab/Random.h"

namespace quantlab::data {

// A seeded permutation of `indices` (Fisher-Yates over a 64-bit Mersenne
// twister: the same on every platform and library version).
std::vector<std::int64_t> shuffled(std::vector<std::int64_t> indices, std::uint64_t seed);

// This rank's share of one training epoch: the indices shuffled with
// (seed, epoch), padded by wrapping around so every rank gets the same count,
// then dealt round-robin.
std::vector<std::int64_t> training_shard(const std::vector<std::int64_t>& indices, std::uint64_t seed, int epoch,
                                         int rank, int world_size);

// This rank's share of an evaluation pass: in order, dealt round-robin, no
// padding (so every sample counts once in the all-reduced meter).
std::vector<std::int64_t> evaluation_shard(const std::vector<std::int64_t>& indices, int rank, int world_size);

// Consecutive batches of `batch_size` indices (the last one may be smaller).
std::vector<std::vector<std::int64_t>> split_batches(const std::vector<std::int64_t>& indices,
                                                     std::int64_t batch_size);

// k-fold split of [0, n): permuted with the seed, dealt round-robin into
// n_folds parts; fold k validates on part k and trains on the rest.
struct FoldSplit {
  std::vector<std::int64_t> train;
  std::vector<std::int64_t> valid;
};
FoldSplit fold_split(std::int64_t n, int n_folds, int fold, std::uint64_t seed);

}  // namespace quantlab::data
