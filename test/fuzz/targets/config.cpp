// An experiment config file and its --set assignments, read as qlhost reads
// them: the file (with `base:` chains, which may name the file itself), each
// assignment laid over it, the sections validated, then what consumes the
// free maps: the rules recipe on SimpleCNN, the optimizer and the
// learning-rate schedule.
//
// Input: the file's text, then one assignment per line after a line "#set".
#include <torch/torch.h>

#include "../FuzzTarget.h"
#include "SimpleCnn.h"
#include "manager/config/ExperimentConfig.h"
#include "manager/train/LrSchedule.h"
#include "manager/train/Optimizers.h"
#include "quantlib/recipes/RuleRecipe.h"

namespace {

// The Fashion-MNIST plugin's SimpleCNN (compiled in), narrow: the shipped
// configs' rules name its layers.
std::shared_ptr<fashionmnist::SimpleCnn> small_network() {
  fashionmnist::SimpleCnnOptions options;
  options.channels = {4, 8};
  options.hidden = 16;
  return std::make_shared<fashionmnist::SimpleCnn>(options);
}

}  // namespace

QUANTLAB_FUZZ_TARGET(config) {
  const std::vector<std::string> sections =
      quantlab::fuzz::split_sections({reinterpret_cast<const char*>(data), size}, "#set");
  quantlab::fuzz::user_errors_only([&] {
    const auto file = quantlab::fuzz::write_scratch_file("config.yaml", sections[0]);
    YAML::Node root = quantlab::load_config_file(file);
    if (sections.size() > 1) {
      std::string assignments = sections[1];
      std::size_t start = 0;
      while (start < assignments.size()) {
        std::size_t end = assignments.find('\n', start);
        if (end == std::string::npos) end = assignments.size();
        quantlab::apply_override(root, assignments.substr(start, end - start));
        start = end + 1;
      }
    }
    const quantlab::ExperimentConfig config = quantlab::ExperimentConfig::parse(root, file.string());

    const quantlab::Params quantize = config.section("network.quantize");
    if (quantize.get<std::string>("recipe", "") == "rules") {
      auto network = small_network();
      quantlib::recipes::apply_rules(*network, quantize.at("params"));
    }
    auto network = small_network();
    const auto optimizer = quantlab::make_optimizer(config.section("training.optimizer"), network->parameters());
    const auto schedule = quantlab::LrSchedule::make(config.section("training.lr_scheduler"),
                                                     quantlab::learning_rate(*optimizer), "loss", false);
    for (int epoch = 0; epoch < config.n_epochs && epoch < 8; ++epoch) (void)schedule.learning_rate(epoch);
  });
}
