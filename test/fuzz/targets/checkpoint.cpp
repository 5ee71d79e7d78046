// A checkpoint file, loaded into a small network with its optimizer, schedule
// and controller as a resume and `--mode test` load one: the progress alone,
// the whole training state, and the network's weights alone.
#include <torch/torch.h>

#include "../FuzzTarget.h"
#include "manager/train/Checkpoint.h"

namespace {

struct Harness {
  torch::nn::Sequential network;
  torch::optim::Adam optimizer;
  quantlab::StagedLrSchedule schedule;
  quantlib::Controllers controllers;

  Harness()
      : network(torch::nn::Linear(3, 4), torch::nn::ReLU(), torch::nn::Linear(4, 2)),
        optimizer(network->parameters(), torch::optim::AdamOptions(1e-3)),
        schedule(quantlab::LrSchedule::make(quantlab::Params(YAML::Node(), "training.lr_scheduler", "fuzz"), 1e-3,
                                            "loss", false)) {}
  quantlab::TrainingState state() { return {*network, optimizer, schedule, controllers}; }
};

}  // namespace

// A checkpoint of the harness after one training step, for the corpus
// (quantlab_fuzz_tests writes it: see FuzzReplayTest.cpp).
void write_checkpoint_seed(const std::filesystem::path& path) {
  torch::manual_seed(1);
  Harness harness;
  harness.optimizer.zero_grad();
  harness.network->forward(torch::ones({2, 3})).sum().backward();
  harness.optimizer.step();
  quantlab::save_checkpoint(path, {0, 3, 0.25, 2}, harness.state());
}

QUANTLAB_FUZZ_TARGET(checkpoint) {
  const std::string contents{reinterpret_cast<const char*>(data), size};
  const auto file = quantlab::fuzz::write_scratch_file("best.ckpt", contents);
  quantlab::fuzz::user_errors_only([&] { (void)quantlab::read_progress(file); });
  quantlab::fuzz::user_errors_only([&] {
    Harness harness;
    (void)quantlab::load_checkpoint(file, contents, harness.state());
  });
  quantlab::fuzz::user_errors_only([&] {
    Harness harness;
    quantlab::load_network(file, *harness.network);
  });
}
