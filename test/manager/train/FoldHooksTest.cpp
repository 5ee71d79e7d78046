// The stage hook clears the optimizer's state as a stage with
// reset_optimizer starts, and only then.
#include <catch2/catch.hpp>

#include <spdlog/logger.h>
#include <torch/torch.h>

#include "manager/train/FoldHooks.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;

namespace {

class OneLayer : public Network {
 public:
  OneLayer() : Network("OneLayer") { add("fc", torch::nn::Linear(2, 1)); }
  torch::Tensor forward(torch::Tensor input) override { return call("fc", input); }
};

ExperimentConfig staged_config() {
  return ExperimentConfig::parse(parse_yaml(R"(
experiment: {n_epochs: 6}
network: {class: OneLayer}
training:
  loss_function: {class: CrossEntropyLoss}
  optimizer: {class: SGD, params: {lr: 0.1, momentum: 0.9}}
  stages:
    - {epochs: [0, 2]}
    - {epochs: [2, 4], reset_optimizer: true}
    - {epochs: [4, 6]}
)",
                                            "h.yaml"),
                                 "h.yaml");
}

FoldSession one_layer_session(const ExperimentConfig& config) {
  FoldSession session;
  session.network = std::make_shared<OneLayer>();
  session.optimizer = std::make_unique<torch::optim::SGD>(session.network->parameters(),
                                                          torch::optim::SGDOptions(0.1).momentum(0.9));
  session.schedule = StagedLrSchedule::make(config, 0.1, "top1_error", false);
  return session;
}

// One step, so that SGD keeps a momentum buffer per parameter.
void step(FoldSession& session) {
  session.optimizer->zero_grad();
  session.network->forward(torch::ones({1, 2})).sum().backward();
  session.optimizer->step();
}

}  // namespace

TEST_CASE("a stage with reset_optimizer clears the optimizer's state as it starts, also on resume there",
          "[train][stages]") {
  const ExperimentConfig config = staged_config();
  spdlog::logger log("test");  // no sinks
  for (const int resume_at : {0, 2, 3}) {
    CAPTURE(resume_at);
    FoldSession session = one_layer_session(config);
    auto hook = stage_hook(session, 0, config, log);
    for (int epoch = resume_at; epoch < config.n_epochs; ++epoch) {
      CAPTURE(epoch);
      step(session);
      REQUIRE_FALSE(session.optimizer->state().empty());
      hook->before_training(epoch);
      // Cleared at stage 1's first epoch only: not at a resume inside it, nor at other stages.
      CHECK(session.optimizer->state().empty() == (epoch == 2));
    }
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
