#pragma once
// What one pass over a fold's data measured (training or evaluation), summed
// over the ranks, and the clock that times it.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace quantlab {

using PassClock = std::chrono::steady_clock;

inline double seconds_since(PassClock::time_point start) {
  return std::chrono::duration<double>(PassClock::now() - start).count();
}

struct PassResult {
  double loss = 0;
  std::map<std::string, double> metrics;
  // Training with distillation: the loss's terms per sample ("distill",
  // "label"), before they are weighted.
  std::map<std::string, double> loss_terms;
  std::int64_t samples = 0;
  double seconds = 0;
  // Training under mpirun: time in training steps, and how much of it rank 0
  // waited for gradient reductions to complete.
  double step_seconds = 0;
  double communication_wait_seconds = 0;
};

}  // namespace quantlab
