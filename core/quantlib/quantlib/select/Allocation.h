#pragma once
// The exact bit allocation of mixed-precision selection: per layer one choice
// among its options (weight bits, activation bits), minimising the sum of the
// choices' predicted loss increases under budgets on
//   weights      sum of the choices' weight-memory costs (plus a fixed part)
//   bops         sum of the choices' bit-operation costs (plus a fixed part)
//   activations  the largest of the choices' activation costs (plus a fixed
//                floor): a peak, so a per-layer limit that filters options
// (HAWQ-V3's integer program, Yao et al. 2021). Solved exactly by dynamic
// programming over the layers on the Pareto sets of partial allocations:
// a partial allocation is dropped only when another one is no worse in every
// budgeted sum and in the predicted loss, or when no completion of it fits.
// The number of kept partial allocations is bounded by the distinct
// budgeted sums, small for the few bit-widths a choice offers.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace quantlib::select {

struct Option {
  int64_t weight_bits = 0;
  std::optional<int64_t> activation_bits;  // unset for a layer without an activation decision
  double predicted = 0;   // predicted loss increase
  double weights = 0;     // its weight-memory cost (bits)
  double bops = 0;        // its bit-operations
  double activations = 0; // its activation cost (bits)
};

struct LayerOptions {
  std::string layer;
  std::vector<Option> options;
};

struct Budgets {
  std::optional<double> weights;      // bits
  std::optional<double> bops;
  std::optional<double> activations;  // bits
};

// What does not depend on the choices.
struct FixedCosts {
  double weights = 0;
  double bops = 0;
  double activations = 0;  // a floor for the peak
};

struct Allocation {
  std::vector<size_t> choice;  // per layer, the index into its options
  double predicted = 0;
  double weights = 0;      // fixed part included
  double bops = 0;         // fixed part included
  double activations = 0;  // the peak, floor included
};

// The allocation of least predicted loss within every budget given (ties: the
// smaller weights, then bops, then the earlier options of the earlier
// layers); nullopt when none fits. Every layer needs at least one option.
std::optional<Allocation> allocate(const std::vector<LayerOptions>& layers, const FixedCosts& fixed,
                                   const Budgets& budgets);

// The same costs for a given choice per layer.
Allocation evaluate(const std::vector<LayerOptions>& layers, const FixedCosts& fixed,
                    const std::vector<size_t>& choice);

// The least and the greatest cost each budget kind can take.
struct CostRange {
  double least = 0;
  double greatest = 0;
};
CostRange weights_range(const std::vector<LayerOptions>& layers, const FixedCosts& fixed);
CostRange bops_range(const std::vector<LayerOptions>& layers, const FixedCosts& fixed);
CostRange activations_range(const std::vector<LayerOptions>& layers, const FixedCosts& fixed);

}  // namespace quantlib::select
