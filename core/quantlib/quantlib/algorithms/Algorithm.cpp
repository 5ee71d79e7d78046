#include "quantlib/algorithms/Algorithm.h"

#include <deque>
#include <mutex>
#include <stdexcept>

#include "quantlib/algorithms/EpochSwitchController.h"

namespace quantlib {

// The built-in algorithms, each defined in its folder. A new algorithm is its
// folder and one line here.
Algorithm pact_algorithm();
Algorithm lsq_algorithm();
Algorithm tqt_algorithm();
Algorithm ste_algorithm();
Algorithm uniform_algorithm();
Algorithm binary_algorithm();
Algorithm ternary_algorithm();
Algorithm inq_algorithm();
Algorithm ana_algorithm();
Algorithm rsign_algorithm();

namespace {

void check_and_add(std::deque<Algorithm>& algorithms, Algorithm algorithm) {
  if (algorithm.name.empty() || algorithm.roles.empty() || !algorithm.read)
    throw std::invalid_argument("register_algorithm: an algorithm needs a name, roles and a reader");
  for (const auto& existing : algorithms)
    if (existing.name == algorithm.name)
      throw std::invalid_argument("register_algorithm: '" + algorithm.name + "' is registered already");
  algorithms.push_back(std::move(algorithm));
}

struct Registry {
  Registry() {
    for (auto* builtin : {pact_algorithm, lsq_algorithm, tqt_algorithm, ste_algorithm, uniform_algorithm,
                          binary_algorithm, ternary_algorithm, inq_algorithm, ana_algorithm, rsign_algorithm})
      check_and_add(algorithms, builtin());
  }
  std::mutex mutex;
  std::deque<Algorithm> algorithms;  // in registration order; a deque keeps found entries in place
};

Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

void register_algorithm(Algorithm algorithm) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  check_and_add(r.algorithms, std::move(algorithm));
}

const Algorithm* find_algorithm(const std::string& name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  for (const auto& algorithm : r.algorithms)
    if (algorithm.name == name) return &algorithm;
  return nullptr;
}

std::vector<std::string> algorithm_names() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& algorithm : r.algorithms) names.push_back(algorithm.name);
  return names;
}

std::function<std::shared_ptr<Controller>(const std::string&, const Quantizers&)> switch_on_at(int start_epoch) {
  return [start_epoch](const std::string& name, const Quantizers& quantizers) {
    return std::make_shared<EpochSwitchController>(name, quantizers, start_epoch);
  };
}

}  // namespace quantlib
