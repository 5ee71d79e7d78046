#include <catch2/catch.hpp>

#include "manager/compare/NetworkCost.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::compare;
using quantlib::graph::LayerSummary;
using quantlib::graph::NetworkSummary;

TEST_CASE("bits read as the distinct weight and input bits of the layers with weights", "[compare]") {
  const auto layer = [](std::optional<int64_t> weight_bits, std::optional<int64_t> input_bits) {
    LayerSummary summary;
    summary.weight_bits = weight_bits;
    summary.input_bits = input_bits;
    return summary;
  };
  NetworkSummary summary;
  summary.layers = {layer(8, 32), layer(std::nullopt, 4), layer(4, 4), layer(4, 4), layer(8, 4)};
  CHECK(bits_text(summary) == "W4/8 A4/32");
  summary.layers = {layer(32, 32), layer(32, 32)};
  CHECK(bits_text(summary) == "W32 A32");
  summary.layers = {};
  CHECK(bits_text(summary) == "W- A-");
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
