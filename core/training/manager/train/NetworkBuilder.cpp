#include "manager/train/NetworkBuilder.h"

#include <algorithm>

#include "manager/train/Checkpoint.h"
#include "quantlib/recipes/RuleRecipe.h"

namespace quantlab {

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
  return built;
}

}  // namespace quantlab
