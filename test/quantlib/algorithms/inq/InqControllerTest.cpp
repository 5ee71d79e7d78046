#include "quantlib/algorithms/inq/InqController.h"

#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include <catch2/catch.hpp>
#include <torch/torch.h>

#include "quantlib/algorithms/inq/InqQuantizer.h"
#include "quantlib/algorithms/pact/PactQuantizer.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using quantlib::InqController;
using quantlib::nn::InqLevelSet;
using quantlib::nn::InqQuantizer;
using quantlib::nn::InqStrategy;

namespace {

// Two weights, each through its INQ quantizer; a two-layer linear regression.
struct TinyNet : torch::nn::Module {
  TinyNet() {
    torch::manual_seed(101);
    first = register_parameter("first", torch::randn({5, 6}));
    second = register_parameter("second", torch::randn({3, 5}));
    first_quantizer = register_module("first_quantizer", std::make_shared<InqQuantizer>(InqLevelSet::power_of_two(4), 5));
    second_quantizer = register_module(
        "second_quantizer", std::make_shared<InqQuantizer>(InqLevelSet::uniform(3, quantlib::ops::LevelScaleInit::L2Optimal)));
    first_quantizer->attach(first);
    second_quantizer->attach(second);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    return x.matmul(first_quantizer->forward(first).t()).tanh().matmul(second_quantizer->forward(second).t());
  }

  std::vector<std::shared_ptr<quantlib::nn::Quantizer>> quantizers() const { return {first_quantizer, second_quantizer}; }

  torch::Tensor first;
  torch::Tensor second;
  std::shared_ptr<InqQuantizer> first_quantizer;
  std::shared_ptr<InqQuantizer> second_quantizer;
};

// A few SGD steps on data drawn from the epoch number, so a resumed run sees the same.
void train_epoch(TinyNet& net, torch::optim::Optimizer& optimizer, int epoch) {
  torch::manual_seed(1000 + epoch);
  for (int batch = 0; batch < 3; ++batch) {
    const torch::Tensor x = torch::randn({8, 6});
    const torch::Tensor target = torch::randn({8, 3});
    optimizer.zero_grad();
    (net.forward(x) - target).square().mean().backward();
    optimizer.step();
  }
}

struct Run {
  std::unique_ptr<TinyNet> net = std::make_unique<TinyNet>();
  std::unique_ptr<torch::optim::SGD> optimizer = std::make_unique<torch::optim::SGD>(
      net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  std::unique_ptr<InqController> controller;

  explicit Run(const std::map<int, double>& schedule)
      : controller(std::make_unique<InqController>("inq", net->quantizers(), schedule, InqStrategy::Random,
                                                   /*clear_optimizer_state=*/true, /*seed=*/42)) {}

  void epochs(int from, int to) {
    for (int epoch = from; epoch <= to; ++epoch) {
      controller->step_pre_training(epoch, *optimizer);
      train_epoch(*net, *optimizer, epoch);
    }
  }

  std::string checkpoint() const {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive network;
    torch::serialize::OutputArchive optimizer_state;
    torch::serialize::OutputArchive controller_state;
    net->save(network);
    optimizer->save(optimizer_state);
    controller->save(controller_state);
    archive.write("network", network);
    archive.write("optimizer", optimizer_state);
    archive.write("controller", controller_state);
    std::stringstream stream;
    archive.save_to(stream);
    return stream.str();
  }

  void restore(const std::string& bytes) {
    std::stringstream stream(bytes);
    torch::serialize::InputArchive archive;
    archive.load_from(stream);
    torch::serialize::InputArchive network;
    torch::serialize::InputArchive optimizer_state;
    torch::serialize::InputArchive controller_state;
    archive.read("network", network);
    archive.read("optimizer", optimizer_state);
    archive.read("controller", controller_state);
    net->load(network);
    optimizer->load(optimizer_state);
    controller->load(controller_state);
  }
};

bool same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && torch::equal(a.nan_to_num(-1e30), b.nan_to_num(-1e30)) &&
         torch::equal(a.isnan(), b.isnan());
}

void require_same_state(const TinyNet& a, const TinyNet& b) {
  REQUIRE(torch::equal(a.first, b.first));
  REQUIRE(torch::equal(a.second, b.second));
  REQUIRE(same_bits(a.first_quantizer->frozen(), b.first_quantizer->frozen()));
  REQUIRE(same_bits(a.second_quantizer->frozen(), b.second_quantizer->frozen()));
  REQUIRE(torch::equal(a.first_quantizer->levels(), b.first_quantizer->levels()));
  REQUIRE(torch::equal(a.second_quantizer->levels(), b.second_quantizer->levels()));
}

}  // namespace

TEST_CASE("InqController applies the schedule entry of the largest scheduled epoch <= epoch", "[inq]") {
  TinyNet net;
  torch::optim::SGD optimizer(net.parameters(), torch::optim::SGDOptions(0.1));
  InqController controller("inq", net.quantizers(), {{1, 0.25}, {3, 0.5}, {6, 1.0}});
  // Every weight is frozen from epoch 6: the best checkpoint is picked from there on.
  CHECK(controller.final_epoch() == 6);
  CHECK(InqController("inq", net.quantizers(), {{1, 0.5}}).final_epoch() == std::numeric_limits<int>::max());
  controller.step_pre_training(0, optimizer);
  CHECK(controller.fraction() == 0.0);
  CHECK(net.first_quantizer->frozen_fraction() == 0.0);
  controller.step_pre_training(1, optimizer);
  CHECK(controller.fraction() == 0.25);
  CHECK(net.first_quantizer->frozen_fraction() == Approx(0.25).margin(1.0 / 30));
  CHECK(net.second_quantizer->frozen_fraction() == Approx(0.25).margin(1.0 / 15));
  const torch::Tensor after_epoch_one = net.first_quantizer->frozen().isnan();
  controller.step_pre_training(2, optimizer);  // same entry: nothing more
  CHECK(torch::equal(net.first_quantizer->frozen().isnan(), after_epoch_one));
  controller.step_pre_training(4, optimizer);  // epoch 3's entry, never stepped at 3
  CHECK(controller.fraction() == 0.5);
  CHECK(net.first_quantizer->frozen_fraction() == 0.5);
  CHECK(controller.scheduled_fraction(5) == 0.5);
  controller.step_pre_training(9, optimizer);
  CHECK(net.first_quantizer->frozen_fraction() == 1.0);
  CHECK(net.second_quantizer->frozen_fraction() == 1.0);
}

TEST_CASE("InqController clears the optimizer's state only when it froze something and was asked to", "[inq]") {
  for (const bool clear : {true, false}) {
    INFO((clear ? "clearing" : "keeping"));
    TinyNet net;
    torch::optim::SGD optimizer(net.parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
    InqController controller("inq", net.quantizers(), {{1, 0.5}}, InqStrategy::Magnitude, clear);
    train_epoch(net, optimizer, 0);
    REQUIRE_FALSE(optimizer.state().empty());
    controller.step_pre_training(0, optimizer);  // nothing scheduled yet
    CHECK_FALSE(optimizer.state().empty());
    controller.step_pre_training(1, optimizer);
    CHECK(optimizer.state().empty() == clear);
    train_epoch(net, optimizer, 1);
    controller.step_pre_training(2, optimizer);  // nothing more to freeze
    CHECK_FALSE(optimizer.state().empty());
  }
}

TEST_CASE("InqController resumed from a checkpoint ends exactly as the uninterrupted run", "[inq]") {
  const std::map<int, double> schedule{{1, 0.2}, {2, 0.4}, {4, 0.7}, {5, 0.9}};
  Run uninterrupted(schedule);
  uninterrupted.epochs(0, 6);
  // Resume after a freezing epoch, after a quiet one, and before any freezing.
  for (const int saved_after : {0, 2, 3, 4}) {
    INFO("checkpoint after epoch " << saved_after);
    Run first_part(schedule);
    first_part.epochs(0, saved_after);
    const std::string checkpoint = first_part.checkpoint();
    Run resumed(schedule);
    resumed.restore(checkpoint);
    resumed.epochs(saved_after + 1, 6);
    require_same_state(*resumed.net, *uninterrupted.net);
    CHECK(resumed.controller->fraction() == uninterrupted.controller->fraction());
  }
  // The random draws matter: another seed freezes other weights.
  Run other_seed(schedule);
  other_seed.controller = std::make_unique<InqController>("inq", other_seed.net->quantizers(), schedule,
                                                          InqStrategy::Random, true, 43);
  other_seed.epochs(0, 6);
  CHECK_FALSE(torch::equal(other_seed.net->first_quantizer->frozen().isnan(),
                           uninterrupted.net->first_quantizer->frozen().isnan()));
}

TEST_CASE("InqController refuses a bad schedule or a quantizer that is not INQ", "[inq]") {
  TinyNet net;
  CHECK_THROWS_WITH(InqController("inq", net.quantizers(), {{1, 0.5}, {2, 0.3}}), Catch::Contains("must not decrease"));
  CHECK_THROWS_WITH(InqController("inq", net.quantizers(), {{1, 1.5}}), Catch::Contains("[0, 1]"));
  CHECK_THROWS_WITH(InqController("inq", net.quantizers(), {{-1, 0.5}}), Catch::Contains(">= 0"));
  const std::vector<std::shared_ptr<quantlib::nn::Quantizer>> mixed{
      std::make_shared<quantlib::nn::PactQuantizer>(4, quantlib::ops::Signedness::Unsigned, 1.0)};
  CHECK_THROWS_WITH(InqController("inq", mixed, {{1, 0.5}}), Catch::Contains("InqQuantizer"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
