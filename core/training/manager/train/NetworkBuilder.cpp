#include "manager/train/NetworkBuilder.h"

#include <algorithm>
#include <map>

#include "manager/train/Checkpoint.h"
#include "quantlib/algorithms/StageSwitchController.h"
#include "quantlib/recipes/RuleRecipe.h"

namespace quantlab {
namespace {

std::string name_list(const std::vector<quantlib::NamedQuantizer>& quantizers) {
  std::string text;
  for (const auto& quantizer : quantizers) text += (text.empty() ? "" : ", ") + quantizer.name;
  return text.empty() ? "none: the network has no quantizer" : text;
}

// Each stage's switch_on patterns resolved among the recipe's quantizers;
// none when no stage switches any on.
std::shared_ptr<quantlib::Controller> stage_switches(const ExperimentConfig& config, torch::nn::Module& network) {
  const auto quantizers = quantlib::named_quantizers(network);
  std::vector<quantlib::StageSwitchController::Switch> switches;
  std::map<const quantlib::nn::Quantizer*, std::string> switched_by;  // quantizer -> the stage that switches it on
  for (const auto& stage : config.stages)
    for (const auto& pattern : stage.switch_on) {
      const auto matching = quantlib::quantizers_matching(quantizers, pattern);
      if (matching.empty())
        stage.params.fail("switch_on", "names of the recipe's quantizers (globs), weights or activations (\"" +
                                           pattern + "\" matches none of " + name_list(quantizers) + ")");
      for (const auto& quantizer : matching) {
        const auto [it, fresh] = switched_by.emplace(quantizer.quantizer.get(), stage.params.path("switch_on"));
        if (fresh) {
          switches.push_back({quantizer.quantizer, stage.first_epoch});
        } else if (it->second != stage.params.path("switch_on")) {
          stage.params.fail("switch_on", "quantizers no earlier stage switches on (\"" + pattern + "\" names " +
                                             quantizer.name + ", which " + it->second + " switches on)");
        }
      }
    }
  if (switches.empty()) return nullptr;
  return std::make_shared<quantlib::StageSwitchController>(std::move(switches));
}

}  // namespace

ExperimentConfig without_recipe(const ExperimentConfig& config) {
  YAML::Node root = YAML::Clone(config.root);
  for (const char* key : {"network.quantize", "network.pretrained", "training.quantize", "training.stages"})
    apply_override(root, std::string(key) + "=null");
  return ExperimentConfig::parse(root, config.source);
}

CheckpointResolver logbook_resolver(const Logbook& logbook) {
  return [&logbook](const Params& pretrained) {
    pretrained.only({"exp_id", "fold", "checkpoint"});
    const int64_t id = pretrained.get<int64_t>("exp_id");
    if (id < 0) pretrained.fail("exp_id", "the id of an experiment of this problem");
    const auto ids = logbook.list_experiments();
    if (std::find(ids.begin(), ids.end(), id) == ids.end())
      pretrained.fail("exp_id", "the id of an existing experiment in " + logbook.logs_folder().string());
    const int64_t fold = pretrained.get<int64_t>("fold", 0);
    const auto folds = logbook.folds_present(static_cast<int>(id));
    if (std::find(folds.begin(), folds.end(), fold) == folds.end())
      pretrained.fail("fold", "a fold of " + Logbook::experiment_name(static_cast<int>(id)) + " that was trained");
    const std::string which = pretrained.get<std::string>("checkpoint", "best");
    std::filesystem::path file;
    if (which == "best") {
      file = logbook.best_checkpoint(static_cast<int>(id), static_cast<int>(fold));
    } else if (which == "last") {
      const auto last = logbook.latest_epoch_checkpoint(static_cast<int>(id), static_cast<int>(fold));
      if (last) file = last->file;
    } else {
      pretrained.fail("checkpoint", "best or last");
    }
    if (file.empty() || !std::filesystem::exists(file))
      pretrained.fail("checkpoint", "a checkpoint that exists (found none for " +
                                        Logbook::experiment_name(static_cast<int>(id)) + " fold " +
                                        std::to_string(fold) + ")");
    return file;
  };
}

BuiltNetwork build_network(const Topology& topology, const ExperimentConfig& config,
                           const CheckpointResolver& resolve_pretrained) {
  const Params section = config.section("network");
  if (config.network_class != topology.name())
    section.fail("class", "\"" + topology.name() + "\", the topology being run");
  BuiltNetwork built;
  built.network = topology.network(section.at("params"));

  // Pretrained weights belong to the full-precision network, so they are
  // loaded before the recipe edits it.
  const Params pretrained = section.at("pretrained");
  if (!pretrained.keys().empty()) {
    if (!resolve_pretrained)
      section.fail("pretrained", "no pretrained weights here (this command cannot look up experiments)");
    load_network(resolve_pretrained(pretrained), *built.network);
  }

  const Params quantize = section.at("quantize");
  if (!quantize.keys().empty()) {
    quantize.only({"recipe", "params"});
    const std::string recipe = quantize.get<std::string>("recipe");
    if (recipe == kRulesRecipe) {
      const Params training_quantize = config.section("training.quantize");
      if (!training_quantize.keys().empty())
        config.section("training").fail("quantize", "nothing for the rules recipe: each rule carries its schedule");
      built.controllers = quantlib::recipes::apply_rules(*built.network, quantize.at("params"));
    } else {
      built.controllers = topology.apply_recipe(recipe, *built.network, quantize.at("params"),
                                                config.section("training.quantize"));
    }
  }
  if (auto switches = stage_switches(config, *built.network)) built.controllers.push_back(std::move(switches));
  for (const auto& controller : built.controllers) controller->set_training_epochs(config.n_epochs);
  return built;
}

}  // namespace quantlab
