// The algorithm registry, and every built-in quantizer's integer grid against
// what the quantizer computes.
#include <catch2/catch.hpp>

#include <ATen/CPUGeneratorImpl.h>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "quantlab/Errors.h"
#include "quantlib/algorithms/Algorithm.h"
#include "quantlib/algorithms/EpochSwitchController.h"
#include "quantlib/algorithms/inq/InqQuantizer.h"
#include "quantlib/algorithms/ste/SteQuantizer.h"
#include "quantlib/recipes/QuantizerSpec.h"
#include "support/ErrorMessage.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlib;
using torch::Tensor;

namespace {

quantlab::Params spec_of(const std::string& yaml) {
  return quantlab::Params(YAML::Load(yaml), "network.quantize.weight", "recipe.yaml");
}

std::string error_of(const std::string& yaml, Role role) {
  return quantlab::test::error_message_of<quantlab::ConfigError>(
      [&] { recipes::QuantizerSpec::parse(spec_of(yaml), role); });
}

// Rounds x to an integer level by halving it: a quantizer only this test knows.
class Halving : public nn::Quantizer {
 public:
  explicit Halving(int64_t bits) : Quantizer("Halving", true), bits_(bits) {}
  int64_t bits() const override { return bits_; }

 protected:
  Tensor quantize(const Tensor& x) override { return x.div(2).round().mul(2); }

 private:
  int64_t bits_;
};

Algorithm halving(const std::string& name) {
  return {name,
          {Role::Activation},
          {"bits", "start_epoch"},
          [](const quantlab::Params& spec, Role) {
            const int64_t bits = spec.get<int64_t>("bits", 4);
            if (bits < 1) spec.fail("bits", "a positive number of bits");
            QuantizerFactory factory;
            factory.make = [bits](const Tensor&) { return std::make_shared<Halving>(bits); };
            factory.make_controller = switch_on_at(static_cast<int>(spec.get<int64_t>("start_epoch", 0)));
            return factory;
          }};
}

// The level R(x / step) of the grid, clamped.
double level_of(const nn::IntegerGrid& grid, double x_in_steps) {
  const double rounded = grid.rounding == ops::Rounding::Floor ? std::floor(x_in_steps) : std::nearbyint(x_in_steps);
  return std::clamp(rounded, static_cast<double>(grid.lo), static_cast<double>(grid.hi));
}

// A uniform grid must be what the quantizer computes, on points away from
// rounding boundaries below, inside and above its range, per channel.
void require_uniform_grid(nn::Quantizer& quantizer, const nn::IntegerGrid& grid, int64_t channels) {
  REQUIRE(grid.form == nn::IntegerGrid::Form::Uniform);
  REQUIRE(grid.step.numel() == std::max<int64_t>(channels, 1));
  std::vector<double> in_steps;
  for (int64_t k = grid.lo - 2; k <= grid.hi + 2; ++k)
    for (const double f : {-0.3, 0.3, 0.7}) in_steps.push_back(static_cast<double>(k) + f);
  const Tensor units = torch::tensor(in_steps, torch::kDouble);
  const Tensor steps = grid.step.reshape({-1, 1});
  const Tensor x = units.reshape({1, -1}).mul(steps).expand({std::max<int64_t>(channels, 1), -1});
  const Tensor got = quantizer.quantized(x.to(torch::kFloat).contiguous()).to(torch::kDouble).div(steps);
  for (int64_t c = 0; c < got.size(0); ++c)
    for (size_t i = 0; i < in_steps.size(); ++i) {
      INFO(quantizer.name() << " channel " << c << " at " << in_steps[i] << " steps");
      CHECK(got[c][static_cast<int64_t>(i)].item<double>() == Approx(level_of(grid, in_steps[i])).margin(1e-4));
    }
}

void require_threshold_grid(nn::Quantizer& quantizer, const nn::IntegerGrid& grid) {
  REQUIRE(grid.form == nn::IntegerGrid::Form::Thresholds);
  std::vector<double> xs{-2.0, -0.7, -0.5, -0.3, 0.0, 0.3, 0.5, 0.7, 2.0};
  for (const auto& t : grid.thresholds) xs.push_back(t.value);
  const Tensor x = torch::tensor(xs, torch::kFloat);
  const Tensor got = quantizer.quantized(x).to(torch::kDouble).div(grid.step.item<double>());
  for (size_t i = 0; i < xs.size(); ++i) {
    int64_t reached = 0;
    for (const auto& t : grid.thresholds) reached += (t.strict ? xs[i] > t.value : xs[i] >= t.value) ? 1 : 0;
    INFO(quantizer.name() << " at " << xs[i]);
    CHECK(got[static_cast<int64_t>(i)].item<double>() == static_cast<double>(grid.lo + grid.gain * reached));
  }
}

void require_multiples(nn::Quantizer& quantizer, const nn::IntegerGrid& grid, const Tensor& weight) {
  REQUIRE(grid.form == nn::IntegerGrid::Form::Multiples);
  const Tensor rows = quantizer.quantized(weight).to(torch::kDouble).reshape({weight.size(0), -1});
  const Tensor magnitudes = rows.abs();
  const Tensor smallest =
      std::get<0>(torch::where(magnitudes.gt(0), magnitudes, torch::full_like(magnitudes, 1e30)).min(1, true));
  const Tensor ratios = rows.div(smallest);
  CHECK(ratios.sub(ratios.round()).abs().max().item<double>() < 1e-4);
  CHECK(rows.ne(0).any().item<bool>());
}

}  // namespace

TEST_CASE("the registry lists the built-in algorithms first, in their documented order", "[algorithms]") {
  const std::vector<std::string> builtin{"pact", "lsq", "tqt", "ste", "uniform", "binary", "ternary", "inq", "ana"};
  const auto names = algorithm_names();
  REQUIRE(names.size() >= builtin.size());
  CHECK(std::vector<std::string>(names.begin(), names.begin() + static_cast<long>(builtin.size())) == builtin);
  for (const auto& name : builtin) CHECK(find_algorithm(name) != nullptr);
  CHECK(find_algorithm("pactt") == nullptr);
  CHECK_THAT(error_of("{algorithm: pactt}", Role::Activation),
             Catch::Contains("algorithm") && Catch::Contains("one of pact, lsq, tqt"));
}

TEST_CASE("an algorithm registered once is a recipe's algorithm, its keys and roles checked", "[algorithms]") {
  register_algorithm(halving("halving_test"));
  const auto names = algorithm_names();
  CHECK(std::find(names.begin(), names.end(), "halving_test") != names.end());

  const auto spec = recipes::QuantizerSpec::parse(spec_of("{algorithm: halving_test, bits: 3, start_epoch: 2}"),
                                                  Role::Activation);
  const auto quantizer = spec.make();
  CHECK(quantizer->bits() == 3);
  CHECK(torch::equal(quantizer->forward(torch::tensor({2.9f, -1.2f})), torch::tensor({2.0f, -2.0f})));
  const auto controller = std::dynamic_pointer_cast<EpochSwitchController>(spec.make_controller("act", {quantizer}));
  REQUIRE(controller != nullptr);
  CHECK(controller->start_epoch() == 2);
  CHECK(spec.describe() == "halving_test activation 3-bit");

  CHECK_THAT(error_of("{algorithm: halving_test, alpha: 2}", Role::Activation), Catch::Contains("alpha"));
  CHECK_THAT(error_of("{algorithm: halving_test, bits: 0}", Role::Activation),
             Catch::Contains("bits") && Catch::Contains("a positive number of bits"));
  CHECK_THAT(error_of("{algorithm: halving_test}", Role::Weight),
             Catch::Contains("a weight algorithm; halving_test quantizes activations"));
  CHECK_THAT(error_of("{algorithm: nonesuch}", Role::Activation), Catch::Contains("halving_test"));

  CHECK_THROWS_AS(register_algorithm(halving("halving_test")), std::invalid_argument);
  Algorithm incomplete = halving("incomplete_test");
  incomplete.read = nullptr;
  CHECK_THROWS_AS(register_algorithm(incomplete), std::invalid_argument);
  CHECK(find_algorithm("incomplete_test") == nullptr);
}

TEST_CASE("every built-in activation quantizer's integer grid is what it computes", "[algorithms]") {
  const std::string yaml = GENERATE(as<std::string>{}, "{algorithm: pact, bits: 4, alpha: 2.0}",
                                    "{algorithm: pact, bits: 3, alpha: 1.5, rounding: floor}",
                                    "{algorithm: pact, bits: 4, alpha: 2.0, signed: true}",
                                    "{algorithm: lsq, bits: 4}", "{algorithm: lsq, bits: 3, signed: true}",
                                    "{algorithm: tqt, bits: 4}", "{algorithm: tqt, bits: 5, signed: true}",
                                    "{algorithm: ste, n_levels: 15, start_epoch: 1}",
                                    "{algorithm: binary}", "{algorithm: ternary}");
  INFO(yaml);
  torch::manual_seed(7);
  const auto spec = recipes::QuantizerSpec::parse(spec_of(yaml), Role::Activation);
  const auto quantizer = spec.make();
  const Tensor data = torch::randn({64}) * 2;
  if (auto ste = std::dynamic_pointer_cast<nn::SteQuantizer>(quantizer)) {
    CHECK(ste->integer_grid().form == nn::IntegerGrid::Form::None);  // no range recorded yet
    ste->set_monitoring(true);
    ste->forward(data);
    ste->set_monitoring(false);
  } else {
    quantizer->quantized(data);  // LSQ and TQT set their range from the first batch
  }
  const nn::IntegerGrid grid = quantizer->integer_grid();
  if (grid.form == nn::IntegerGrid::Form::Thresholds)
    require_threshold_grid(*quantizer, grid);
  else
    require_uniform_grid(*quantizer, grid, 0);
}

TEST_CASE("every built-in weight quantizer's integer grid is what it computes", "[algorithms]") {
  const std::string yaml = GENERATE(as<std::string>{}, "{algorithm: uniform, bits: 4}",
                                    "{algorithm: uniform, bits: 3, per_channel: true}",
                                    "{algorithm: lsq, bits: 4, per_channel: true}", "{algorithm: tqt, bits: 4}",
                                    "{algorithm: pact, bits: 4, alpha: 0.5}", "{algorithm: binary, per_channel: true}",
                                    "{algorithm: ternary}", "{algorithm: inq, levels: power_of_two, bits: 4, schedule: {0: 1.0}}",
                                    "{algorithm: ana, levels: ternary, forward: mode}");
  INFO(yaml);
  torch::manual_seed(7);
  const Tensor weight = torch::randn({3, 2, 3, 3}) * 0.4;
  const auto spec = recipes::QuantizerSpec::parse(spec_of(yaml), Role::Weight);
  const auto quantizer = spec.make(weight);
  if (auto inq = std::dynamic_pointer_cast<nn::InqQuantizer>(quantizer)) {
    auto generator = at::make_generator<at::CPUGeneratorImpl>(1);
    inq->freeze_fraction(1.0, nn::InqStrategy::Magnitude, generator);
  }
  quantizer->quantized(weight);  // sets a range from the weight where the quantizer learns one
  const nn::IntegerGrid grid = quantizer->integer_grid();
  if (grid.form == nn::IntegerGrid::Form::Multiples)
    require_multiples(*quantizer, grid, weight);
  else
    require_uniform_grid(*quantizer, grid, grid.step.numel() > 1 ? weight.size(0) : 0);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
