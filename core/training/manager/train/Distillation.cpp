#include "manager/train/Distillation.h"

#include <torch/torch.h>

#include "manager/train/Device.h"
#include "manager/config/Yaml.h"
#include "manager/train/NetworkBuilder.h"
#include "manager/train/TrainedNetwork.h"
#include "quantlab/Errors.h"

namespace quantlab {
namespace {

constexpr const char* kTeacherKey = "training.distill.teacher";

std::string shape_text(const torch::Tensor& output) {
  std::string text;
  for (std::int64_t d = 1; d < output.dim(); ++d) text += (text.empty() ? "" : ", ") + std::to_string(output.size(d));
  return "[" + text + "]";
}

std::shared_ptr<Topology> topology_named(const Problem& problem, const std::string& name, const Params& where,
                                         const std::string& key) {
  std::string known;
  for (const auto& topology : problem.topologies()) {
    if (topology->name() == name) return topology;
    known += (known.empty() ? "" : ", ") + topology->name();
  }
  where.fail(key, "a topology of this problem (" + known + "), found \"" + name + "\"");
}

struct TeacherSource {
  std::shared_ptr<Topology> topology;
  ExperimentConfig config;
  std::filesystem::path checkpoint;
  std::string name;
};

// The teacher's weights are its checkpoint's: the config it was trained
// with is rebuilt without network.pretrained (which may name an experiment
// deleted since).
ExperimentConfig teacher_config(YAML::Node root, const std::string& source) {
  root = YAML::Clone(root);
  if (root["network"] && root["network"].IsMap()) root["network"].remove("pretrained");
  return ExperimentConfig::parse(root, source);
}

TeacherSource from_experiment(const Problem& problem, const ExperimentConfig& student, const Logbook& logbook,
                              int fold, const Params& teacher) {
  // The resolver names the keys; a copy of the section takes the fold the
  // student trains when none is given.
  YAML::Node node = YAML::Clone(teacher.node());
  const auto id = teacher.get<std::int64_t>("exp_id");
  if (!teacher.has("fold")) {
    const auto folds = logbook.folds_present(static_cast<int>(std::max<std::int64_t>(id, 0)));
    const bool same_folds = static_cast<int>(folds.size()) == student.n_folds;
    node["fold"] = same_folds ? fold : 0;
  }
  const Params resolved(node, kTeacherKey, teacher.source());
  TeacherSource source;
  source.checkpoint = logbook_resolver(logbook)(resolved);
  const std::filesystem::path file = logbook.config_file(static_cast<int>(id));
  source.config = teacher_config(load_yaml_file(file), file.string());
  source.topology = topology_named(problem, source.config.network_class, teacher, "exp_id");
  source.name = Logbook::experiment_name(static_cast<int>(id)) + " fold " +
                std::to_string(resolved.get<std::int64_t>("fold"));
  return source;
}

TeacherSource from_checkpoint(const Problem& problem, const Params& teacher) {
  teacher.only({"checkpoint", "topology", "params", "quantize"});
  TeacherSource source;
  source.checkpoint = teacher.get<std::string>("checkpoint");
  if (!std::filesystem::is_regular_file(source.checkpoint))
    teacher.fail("checkpoint", "a checkpoint file that exists (with topology), or best | last (with exp_id)");
  source.topology = topology_named(problem, teacher.get<std::string>("topology"), teacher, "topology");
  YAML::Node root = parse_yaml(source.topology->default_config(), source.topology->name() + "'s default config");
  for (const char* key : {"params", "quantize"})
    if (teacher.has(key)) root["network"][key] = YAML::Clone(teacher.node()[key]);
  source.config = teacher_config(root, teacher.source());
  source.name = source.checkpoint.string();
  return source;
}

}  // namespace

std::optional<Distillation> Distillation::make(const Problem& problem, const ExperimentConfig& config,
                                               const Logbook& logbook, int fold, Network& student,
                                               const torch::Tensor& probe) {
  const Params section = config.section("training.distill");
  if (section.keys().empty()) return std::nullopt;
  section.only({"teacher", "temperature", "alpha", "loss"});
  Distillation distillation;
  distillation.temperature_ = section.get<double>("temperature", 4.0);
  if (!(distillation.temperature_ > 0)) section.fail("temperature", "a positive number");
  distillation.alpha_ = section.get<double>("alpha", 0.5);
  if (!(distillation.alpha_ >= 0 && distillation.alpha_ <= 1)) section.fail("alpha", "a number in [0, 1]");
  const std::string loss = section.get<std::string>("loss", "kl");
  if (loss != "kl" && loss != "mse") section.fail("loss", "kl or mse");
  distillation.kl_ = loss == "kl";

  const Params teacher = section.at("teacher");
  if (teacher.keys().empty())
    section.fail("teacher", "{exp_id: N, fold: K} or {checkpoint: PATH, topology: T}");
  const TeacherSource source = teacher.has("exp_id") ? from_experiment(problem, config, logbook, fold, teacher)
                                                     : from_checkpoint(problem, teacher);
  torch::NoGradGuard no_grad;
  const auto meter = problem.meter();
  // Building the teacher initialises weights its checkpoint then replaces:
  // the student's random stream (dropout, augmentation) must not see it.
  auto generator = at::detail::getDefaultCPUGenerator();
  const at::Tensor random_state = generator.get_state();
  TrainedNetwork trained = load_trained_network(*source.topology, *meter, source.config, logbook, source.checkpoint);
  generator.set_state(random_state);
  distillation.teacher_ = trained.network;
  const torch::Device device = network_device(student);
  distillation.teacher_->to(device);
  for (auto& parameter : distillation.teacher_->parameters()) parameter.set_requires_grad(false);
  distillation.description_ = source.name + " (" + source.checkpoint.filename().string() + ", epoch " +
                              std::to_string(trained.progress.epochs_done) + ", " + source.topology->name() + ")";
  if (probe.defined()) {
    const bool was_training = student.is_training();
    student.eval();
    const torch::Tensor expected = student.forward(probe.to(device));
    student.train(was_training);
    const torch::Tensor taught = distillation.teach(probe.to(device));
    if (taught.sizes() != expected.sizes())
      section.fail("teacher", "a teacher whose output per sample has the student's shape " + shape_text(expected) +
                                  "; " + distillation.description_ + " outputs " + shape_text(taught));
  }
  return distillation;
}

torch::Tensor Distillation::teach(const torch::Tensor& input) const {
  torch::NoGradGuard no_grad;
  return teacher_->forward(input);
}

DistillLosses Distillation::loss(const torch::Tensor& student_output, const torch::Tensor& teacher_output,
                                 const torch::Tensor& label_loss) const {
  if (student_output.sizes() != teacher_output.sizes())
    throw ConfigError(std::string(kTeacherKey) + ": expected a teacher whose output per sample has the student's shape " +
                      shape_text(student_output) + "; " + description_ + " outputs " + shape_text(teacher_output));
  DistillLosses losses;
  losses.label = label_loss;
  if (kl_) {
    const double t = temperature_;
    const torch::Tensor log_student = torch::log_softmax(student_output / t, 1);
    const torch::Tensor log_teacher = torch::log_softmax(teacher_output / t, 1);
    losses.distill =
        (log_teacher.exp() * (log_teacher - log_student)).sum() / student_output.size(0) * (t * t);
  } else {
    losses.distill = torch::mse_loss(student_output, teacher_output);
  }
  losses.total = alpha_ * losses.distill + (1 - alpha_) * label_loss;
  return losses;
}

}  // namespace quantlab
