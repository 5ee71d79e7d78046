#include "quantlib/algorithms/RecipeKeys.h"

namespace quantlib::recipe_keys {

using quantlab::Params;

ops::Signedness read_signedness(const Params& spec, Role role) {
  return spec.get<bool>("signed", role == Role::Weight) ? ops::Signedness::Signed : ops::Signedness::Unsigned;
}

int64_t read_bits(const Params& spec, ops::Signedness signedness, int64_t fallback, const std::string& key) {
  const int64_t bits = spec.get<int64_t>(key, fallback);
  const int64_t min_bits = signedness == ops::Signedness::Signed ? 2 : 1;
  if (bits < min_bits || bits > kMaxBits)
    spec.fail(key, "an integer in [" + std::to_string(min_bits) + ", " + std::to_string(kMaxBits) + "] for a " +
                          (signedness == ops::Signedness::Signed ? "signed" : "unsigned") + " quantizer");
  return bits;
}

int read_start_epoch(const Params& spec, int minimum) {
  const int64_t epoch = spec.get<int64_t>("start_epoch", minimum);
  if (epoch < minimum) spec.fail("start_epoch", "an epoch >= " + std::to_string(minimum));
  return static_cast<int>(epoch);
}

bool read_per_channel(const Params& spec, Role role) {
  const bool per_channel = spec.get<bool>("per_channel", false);
  if (per_channel && role != Role::Weight) spec.fail("per_channel", "false: activations are quantized per tensor");
  return per_channel;
}

int64_t channel_count(bool per_channel, const torch::Tensor& weight) {
  return per_channel && weight.defined() ? weight.size(0) : 0;
}

}  // namespace quantlib::recipe_keys
