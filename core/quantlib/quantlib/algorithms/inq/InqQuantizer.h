#pragma once
// INQ weight quantizer (see quantlib/ops/Inq.h): Zhou et al. 2017, "Incremental
// Network Quantization". It keeps the buffer "frozen" (the weight's shape; NaN =
// still free) and quantizes w to frozen where set, w elsewhere; frozen weights
// get no gradient. An InqController freezes a growing fraction of the weights,
// each to its nearest level, on a schedule.
//
// The level magnitudes (buffer "levels", one row per channel or one row) are set
// from the weight when the first freeze happens, and kept (buffer
// "levels_initialised"); the buffers travel in checkpoints with the network.
//
// Freezing needs the weight itself, not only what forward sees: attach() it
// when putting the quantizer into a layer (e.g. attach(conv->weight)); a
// quantizer not attached attaches the first tensor it quantizes. Before the first
// attach the buffer "frozen" is empty; attaching makes it all NaN of the weight's
// shape, unless it already holds that shape (e.g. loaded from a checkpoint).
// Enabled from construction; with nothing frozen it is the identity.
#include <cstdint>

#include <ATen/core/Generator.h>

#include "quantlib/nn/BufferFlag.h"
#include "quantlib/nn/Quantizer.h"
#include "quantlib/ops/WeightRange.h"

namespace quantlib::nn {

// Which free weights freeze first: the largest |w| (the paper's pruning-inspired
// choice), or uniformly at random from a generator.
enum class InqStrategy { Magnitude, Random };

struct InqLevelSet {
  enum class Family { PowerOfTwo, Uniform };

  // The paper's levels 0 and +-2^n, n_bits in [2, 8] (one bit for zero).
  static InqLevelSet power_of_two(int64_t n_bits);
  // n_levels (odd, >= 3) uniform levels on [-s, s], s set by scale_init.
  static InqLevelSet uniform(int64_t n_levels, ops::LevelScaleInit scale_init = ops::LevelScaleInit::MaxMagnitude);

  // Levels 0 < L_1 < ... < L_{K-1}: K magnitudes, 2K - 1 levels.
  int64_t magnitude_count() const;

  Family family = Family::PowerOfTwo;
  int64_t n_bits = 0;    // PowerOfTwo
  int64_t n_levels = 0;  // Uniform
  ops::LevelScaleInit scale_init = ops::LevelScaleInit::MaxMagnitude;  // Uniform
};

class InqQuantizer : public Quantizer {
 public:
  // per_channel_count: 0 for one level set for the tensor; C > 0 for one per
  // slice along dim 0 (a layer's output channels).
  explicit InqQuantizer(InqLevelSet levels, int64_t per_channel_count = 0);

  void attach(const torch::Tensor& weight);
  bool attached() const { return weight_.defined(); }

  // Freezes free weights (strategy order) until round(fraction * numel) are
  // frozen, each to its nearest level; weights already frozen stay as they are.
  // Sets the levels first if not yet set. Returns how many it froze (0 when that
  // many are frozen already). The generator is used by Random only.
  int64_t freeze_fraction(double fraction, InqStrategy strategy, at::Generator& generator);
  // Sets the level magnitudes from the attached weight.
  void initialise_levels();
  bool levels_initialised() const;

  double frozen_fraction() const;
  int64_t bits() const override;
  IntegerGrid integer_grid() const override;
  std::vector<std::pair<std::string, torch::Tensor>> statistics() const override;

  const InqLevelSet& level_set() const { return level_set_; }
  // The buffer "frozen": the weight's shape once attached, NaN where free.
  const torch::Tensor& frozen() const { return frozen_; }
  // The buffer "levels": {rows, K} sorted magnitudes, rows = per_channel_count or 1.
  const torch::Tensor& levels() const { return levels_; }

 protected:
  torch::Tensor quantize(const torch::Tensor& x) override;

 private:
  InqLevelSet level_set_;
  int64_t per_channel_count_;
  torch::Tensor weight_;  // the attached parameter itself, so loads into it are seen
  torch::Tensor frozen_;
  torch::Tensor levels_;
  torch::Tensor levels_initialised_;
  BufferFlag levels_initialised_read_;
};

}  // namespace quantlib::nn
