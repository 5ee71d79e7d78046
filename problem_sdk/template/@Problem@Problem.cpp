#include "@Problem@Problem.h"

#include <string>

#include <torch/torch.h>

#include "@Problem@Topology.h"
#include "ErrorMeter.h"
#include "Mlp.h"
#include "quantlab/Errors.h"
#include "quantlab/Plugin.h"

namespace @namespace@ {
namespace {

// Class centres are shared by both partitions; each partition draws its own
// samples around them. Centres this far apart (about 5.7 noise deviations on
// average) overlap so little that one epoch of a small MLP reaches an error of
// a few percent.
constexpr std::uint64_t kCentreSeed = 20240101;
constexpr std::uint64_t kTrainSeed = 1;
constexpr std::uint64_t kTestSeed = 2;
constexpr std::int64_t kTrainSamples = 4096;
constexpr std::int64_t kTestSamples = 1024;
constexpr double kNoiseStd = 1.0;

torch::Tensor class_centres() {
  auto generator = at::detail::createCPUGenerator(kCentreSeed);
  return torch::randn({kClasses, kFeatures}, generator, torch::kFloat32);
}

}  // namespace

// REPLACE: read your data set from data_dir (problems/@PROBLEM@/data in the
// QuantLab home) instead; throw quantlab::DataError naming the file when it is
// missing or damaged. See plugins/fashionmnist for a real data set.
std::shared_ptr<quantlab::Dataset> @Problem@Problem::dataset(quantlab::Partition partition,
                                                             const std::filesystem::path&) const {
  const bool train = partition == quantlab::Partition::train;
  const std::int64_t samples = train ? kTrainSamples : kTestSamples;
  auto generator = at::detail::createCPUGenerator(train ? kTrainSeed : kTestSeed);
  torch::Tensor targets = torch::randint(0, kClasses, {samples}, generator, torch::kLong);
  torch::Tensor inputs = class_centres().index_select(0, targets) +
                         kNoiseStd * torch::randn({samples, kFeatures}, generator, torch::kFloat32);
  return std::make_shared<quantlab::TensorDataset>(
      std::move(inputs), std::move(targets),
      std::to_string(samples) + " synthetic " + (train ? "training" : "test") + " samples (" +
          std::to_string(kClasses) + " classes, " + std::to_string(kFeatures) + " features)");
}

// REPLACE: your problem's metric (a quantlab::Meter keeping additive statistics).
std::unique_ptr<quantlab::Meter> @Problem@Problem::meter() const { return std::make_unique<ErrorMeter>(); }

// REPLACE or EXTEND: one entry per topology; each needs its default
// configuration configs/@PROBLEM@/<name>.yaml.
std::vector<std::shared_ptr<quantlab::Topology>> @Problem@Problem::topologies() const {
  return {std::make_shared<@Problem@Topology>(
      "MLP", [](const quantlab::Params& params) -> std::shared_ptr<quantlab::Network> {
        return std::make_shared<Mlp>(MlpOptions::from(params), kFeatures, kClasses);
      })};
}

}  // namespace @namespace@

// The plugin's one exported entry point: problem class, problem name (the
// folder under problems/ in the QuantLab home), plugin version.
QUANTLAB_PLUGIN(@namespace@::@Problem@Problem, "@PROBLEM@", "0.1.0")
