#include "quantlib/select/Allocation.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include <c10/util/Exception.h>

namespace quantlib::select {

namespace {

struct Partial {
  double predicted = 0;
  double weights = 0;
  double bops = 0;
  std::vector<size_t> choice;
};

// Sorted so that the better of two equal-cost partials comes first.
bool partial_before(const Partial& a, const Partial& b) {
  return std::tie(a.weights, a.bops, a.predicted, a.choice) < std::tie(b.weights, b.bops, b.predicted, b.choice);
}

bool dominates(const Partial& a, const Partial& b, const Budgets& budgets) {
  return a.predicted <= b.predicted && (!budgets.weights || a.weights <= b.weights) &&
         (!budgets.bops || a.bops <= b.bops);
}

// Keeps the partials no other one dominates (the first of equals).
std::vector<Partial> pareto(std::vector<Partial> partials, const Budgets& budgets) {
  std::sort(partials.begin(), partials.end(), partial_before);
  std::vector<Partial> kept;
  if (!budgets.bops || !budgets.weights) {
    // One cost (or none) to keep low: sorted by it, a partial survives when
    // it predicts less than every cheaper one.
    const bool by_weights = budgets.weights.has_value();
    if (!by_weights && budgets.bops)
      std::stable_sort(partials.begin(), partials.end(), [](const Partial& a, const Partial& b) {
        return std::tie(a.bops, a.predicted) < std::tie(b.bops, b.predicted);
      });
    double best = std::numeric_limits<double>::infinity();
    for (auto& partial : partials)
      if (partial.predicted < best) {
        best = partial.predicted;
        kept.push_back(std::move(partial));
      }
    return kept;
  }
  for (auto& partial : partials) {
    bool dominated = false;
    for (const auto& other : kept)
      if (dominates(other, partial, budgets)) {
        dominated = true;
        break;
      }
    if (!dominated) kept.push_back(std::move(partial));
  }
  return kept;
}

bool fits_peak(const Option& option, const FixedCosts& fixed, const Budgets& budgets) {
  return !budgets.activations || std::max(option.activations, fixed.activations) <= *budgets.activations;
}

}  // namespace

std::optional<Allocation> allocate(const std::vector<LayerOptions>& layers, const FixedCosts& fixed,
                                   const Budgets& budgets) {
  for (const auto& layer : layers)
    TORCH_CHECK(!layer.options.empty(), "allocate: layer '", layer.layer, "' has no option");
  // The least each budgeted sum can still grow by, from layer i on.
  std::vector<double> least_weights(layers.size() + 1, 0.0), least_bops(layers.size() + 1, 0.0);
  for (size_t i = layers.size(); i-- > 0;) {
    double weights = std::numeric_limits<double>::infinity(), bops = weights;
    for (const auto& option : layers[i].options)
      if (fits_peak(option, fixed, budgets)) {
        weights = std::min(weights, option.weights);
        bops = std::min(bops, option.bops);
      }
    least_weights[i] = least_weights[i + 1] + weights;
    least_bops[i] = least_bops[i + 1] + bops;
  }
  std::vector<Partial> partials{Partial{0, fixed.weights, fixed.bops, {}}};
  for (size_t i = 0; i < layers.size(); ++i) {
    std::vector<Partial> next;
    for (const auto& partial : partials)
      for (size_t k = 0; k < layers[i].options.size(); ++k) {
        const Option& option = layers[i].options[k];
        if (!fits_peak(option, fixed, budgets)) continue;
        Partial grown{partial.predicted + option.predicted, partial.weights + option.weights,
                      partial.bops + option.bops, partial.choice};
        grown.choice.push_back(k);
        if (budgets.weights && grown.weights + least_weights[i + 1] > *budgets.weights) continue;
        if (budgets.bops && grown.bops + least_bops[i + 1] > *budgets.bops) continue;
        next.push_back(std::move(grown));
      }
    partials = pareto(std::move(next), budgets);
    if (partials.empty()) return std::nullopt;
  }
  const auto best = std::min_element(partials.begin(), partials.end(), [](const Partial& a, const Partial& b) {
    return std::tie(a.predicted, a.weights, a.bops, a.choice) < std::tie(b.predicted, b.weights, b.bops, b.choice);
  });
  return evaluate(layers, fixed, best->choice);
}

Allocation evaluate(const std::vector<LayerOptions>& layers, const FixedCosts& fixed,
                    const std::vector<size_t>& choice) {
  TORCH_CHECK(choice.size() == layers.size(), "evaluate: one choice per layer expected");
  Allocation allocation;
  allocation.choice = choice;
  allocation.weights = fixed.weights;
  allocation.bops = fixed.bops;
  allocation.activations = fixed.activations;
  for (size_t i = 0; i < layers.size(); ++i) {
    TORCH_CHECK(choice[i] < layers[i].options.size(), "evaluate: choice out of range for '", layers[i].layer, "'");
    const Option& option = layers[i].options[choice[i]];
    allocation.predicted += option.predicted;
    allocation.weights += option.weights;
    allocation.bops += option.bops;
    allocation.activations = std::max(allocation.activations, option.activations);
  }
  return allocation;
}

namespace {

template <class Cost>
CostRange sum_range(const std::vector<LayerOptions>& layers, double fixed, Cost cost) {
  CostRange range{fixed, fixed};
  for (const auto& layer : layers) {
    double least = std::numeric_limits<double>::infinity(), greatest = -least;
    for (const auto& option : layer.options) {
      least = std::min(least, cost(option));
      greatest = std::max(greatest, cost(option));
    }
    range.least += least;
    range.greatest += greatest;
  }
  return range;
}

}  // namespace

CostRange weights_range(const std::vector<LayerOptions>& layers, const FixedCosts& fixed) {
  return sum_range(layers, fixed.weights, [](const Option& option) { return option.weights; });
}

CostRange bops_range(const std::vector<LayerOptions>& layers, const FixedCosts& fixed) {
  return sum_range(layers, fixed.bops, [](const Option& option) { return option.bops; });
}

CostRange activations_range(const std::vector<LayerOptions>& layers, const FixedCosts& fixed) {
  CostRange range{fixed.activations, fixed.activations};
  for (const auto& layer : layers) {
    double least = std::numeric_limits<double>::infinity(), greatest = 0;
    for (const auto& option : layer.options) {
      least = std::min(least, option.activations);
      greatest = std::max(greatest, option.activations);
    }
    range.least = std::max(range.least, least);
    range.greatest = std::max(range.greatest, greatest);
  }
  return range;
}

}  // namespace quantlib::select
