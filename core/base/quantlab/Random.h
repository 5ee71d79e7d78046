#pragma once
// Seed arithmetic that gives the same streams on every platform and library
// version: data order, augmentation and per-fold seeds derive from one seed.
#include <cstdint>

namespace quantlab {

// One step of the splitmix64 generator: the next output for state x (the
// state then advances by 0x9E3779B97F4A7C15).
std::uint64_t splitmix64(std::uint64_t x);

// Mixes values into one seed (splitmix64 steps), for per-epoch streams.
std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0);

}  // namespace quantlab
