#pragma once
// Wall-clock time as the logbook, sweep index and TensorBoard record it.
#include <cstdint>

namespace quantlab {

// Seconds since the Unix epoch, with the fraction (TensorBoard's wall_time).
double unix_time();
// Whole seconds since the Unix epoch (heartbeats, file names, the logbook).
std::int64_t unix_now();

}  // namespace quantlab
