#include <catch2/catch.hpp>

#include "manager/compare/NetworkCost.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::compare;
using quantlib::graph::LayerSummary;
using quantlib::graph::NetworkSummary;

LayerSummary layer(std::optional<int64_t> weight_bits, std::optional<int64_t> input_bits) {
  LayerSummary summary;
  summary.weight_bits = weight_bits;
  summary.input_bits = input_bits;
  return summary;
}

TEST_CASE("bits read as the distinct weight and input bits of the layers with weights", "[compare]") {
  NetworkSummary summary;
  summary.layers = {layer(8, 32), layer(std::nullopt, 4), layer(4, 4), layer(4, 4), layer(8, 4)};
  CHECK(bits_text(summary) == "W4/8 A4/32");
  summary.layers = {layer(32, 32), layer(32, 32)};
  CHECK(bits_text(summary) == "W32 A32");
  summary.layers = {};
  CHECK(bits_text(summary) == "W- A-");
}

TEST_CASE("precision is fp32, uniform or mixed by the bits of the layers with weights", "[compare]") {
  NetworkSummary summary;
  summary.layers = {layer(32, 32), layer(std::nullopt, 32), layer(32, 32)};
  CHECK(precision_of(summary) == "fp32");
  summary.layers = {};
  CHECK(precision_of(summary) == "fp32");
  // The data entering the first layer is unquantized: it does not make a mix.
  summary.layers = {layer(4, 32), layer(std::nullopt, 8), layer(4, 4), layer(4, 4)};
  CHECK(precision_of(summary) == "uniform");
  summary.layers = {layer(8, 32), layer(4, 4), layer(4, 4)};
  CHECK(precision_of(summary) == "mixed");  // lsq-w4a4: conv1 keeps 8-bit weights
  summary.layers = {layer(4, 32), layer(4, 2), layer(4, 8)};
  CHECK(precision_of(summary) == "mixed");
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
