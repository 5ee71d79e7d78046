#include <catch2/catch.hpp>

#include "manager/compare/SensitivityFile.h"
#include "quantlab/Errors.h"
#include "support/Files.h"
#include "support/TempDir.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::compare;

const char* const kExample = R"({"experiment": 3, "fold": 0, "checkpoint": "best", "samples": 512,
 "metric": "top1_error", "higher_is_better": false,
 "baseline": {"loss": 0.25, "metric": 6.7},
 "bits": [2, 3, 4, 8],
 "layers": [
   {"name": "conv2", "type": "Conv2d", "parameters": 18432, "macs": 3612672,
    "hessian_trace": 1.23, "activation": "relu1",
    "weights":     [{"bits": 2, "loss_delta": 0.5, "metric_delta": 3.1, "sqnr_db": 9.8, "perturbation": 0.01},
                    {"bits": 8, "loss_delta": null, "metric_delta": null, "sqnr_db": 1e-05, "perturbation": null}],
    "activations": [{"bits": 2, "loss_delta": 0.4, "metric_delta": 2.0, "sqnr_db": 11.0}]},
   {"name": "conv1", "type": "Conv2d", "parameters": 288, "macs": null, "hessian_trace": null,
    "activation": null, "weights": [], "activations": [], "added_later": {"any": [1]}}
 ]})";

// What a damaged file is told: one line naming the file, the key and what was expected.
std::string refusal(const std::string& text) {
  try {
    parse_sensitivity(text, "logs/exp0003/sensitivity.json");
  } catch (const quantlab::DataError& error) {
    const std::string message = error.what();
    CHECK(message.find('\n') == std::string::npos);
    CHECK_THAT(message, Catch::StartsWith("logs/exp0003/sensitivity.json"));
    return message;
  }
  FAIL("accepted: " << text);
  return "";
}

TEST_CASE("a sensitivity file reads into its struct, null numbers unset, unknown keys ignored", "[compare]") {
  const Sensitivity s = parse_sensitivity(kExample, "sensitivity.json");
  CHECK(s.experiment == 3);
  CHECK(s.fold == 0);
  CHECK(s.checkpoint == "best");
  CHECK(s.samples == 512);
  CHECK(s.metric == "top1_error");
  CHECK_FALSE(s.higher_is_better);
  CHECK(s.baseline_loss == 0.25);
  CHECK(s.baseline_metric == 6.7);
  CHECK(s.bits == std::vector<int>{2, 3, 4, 8});
  REQUIRE(s.layers.size() == 2);
  const LayerSensitivity& conv2 = s.layers[0];
  CHECK(conv2.name == "conv2");
  CHECK(conv2.type == "Conv2d");
  CHECK(conv2.parameters == 18432);
  CHECK(conv2.macs == 3612672);
  CHECK(conv2.hessian_trace == 1.23);
  CHECK(conv2.activation == "relu1");
  REQUIRE(conv2.weights.size() == 2);
  CHECK(conv2.weights[0].bits == 2);
  CHECK(conv2.weights[0].loss_delta == 0.5);
  CHECK(conv2.weights[0].metric_delta == 3.1);
  CHECK(conv2.weights[0].sqnr_db == 9.8);
  CHECK(conv2.weights[0].perturbation == 0.01);
  CHECK_FALSE(conv2.weights[1].loss_delta);
  CHECK(conv2.weights[1].sqnr_db == 1e-5);
  REQUIRE(conv2.activations.size() == 1);
  CHECK(conv2.activations[0].loss_delta == 0.4);
  CHECK_FALSE(conv2.activations[0].perturbation);
  const LayerSensitivity& conv1 = s.layers[1];
  CHECK_FALSE(conv1.activation);
  CHECK_FALSE(conv1.macs);
  CHECK_FALSE(conv1.hessian_trace);
  CHECK(conv1.weights.empty());
  CHECK(conv1.activations.empty());
}

TEST_CASE("sensitivity_json writes what parse_sensitivity reads", "[compare]") {
  const Sensitivity s = parse_sensitivity(kExample, "sensitivity.json");
  const std::string json = sensitivity_json(s);
  CHECK(json.back() == '\n');
  CHECK_THAT(json, Catch::Contains("\"activation\": null") && Catch::Contains("\"macs\": null"));
  const Sensitivity again = parse_sensitivity(json, "written");
  CHECK(sensitivity_json(again) == json);
  CHECK(again.layers[0].weights[0].perturbation == 0.01);
  CHECK(again.layers[0].activations[0].sqnr_db == 11.0);
  CHECK(again.baseline_metric == 6.7);

  quantlab::test::TempDir dir;
  quantlab::test::write_bytes(dir / kSensitivityFileName, json);
  CHECK(read_sensitivity_file(dir / kSensitivityFileName).layers.size() == 2);
  CHECK_THROWS_AS(read_sensitivity_file(dir / "missing.json"), quantlab::DataError);
}

TEST_CASE("a damaged sensitivity file is one line naming the file, the key and what was expected", "[compare]") {
  CHECK_THAT(refusal("{\"experiment\": 3, "), Catch::Contains("expected the JSON that qlhost sensitivity writes"));
  CHECK_THAT(refusal("[1, 2]"), Catch::Contains("the top level: expected an object"));
  std::string text = kExample;
  const auto replaced = [&](const std::string& what, const std::string& with) {
    std::string copy = text;
    copy.replace(copy.find(what), what.size(), with);
    return copy;
  };
  CHECK_THAT(refusal(replaced("\"fold\": 0, ", "")), Catch::Contains("fold: expected a value (the key is missing)"));
  CHECK_THAT(refusal(replaced("\"bits\": [2, 3, 4, 8]", "\"bits\": 4")), Catch::Contains("bits: expected a list"));
  CHECK_THAT(refusal(replaced("[2, 3, 4, 8]", "[2, \"x\"]")), Catch::Contains("bits[1]: expected an integer"));
  CHECK_THAT(refusal(replaced("\"hessian_trace\": 1.23", "\"hessian_trace\": \"big\"")),
             Catch::Contains("layers[0].hessian_trace: expected a number or null"));
  CHECK_THAT(refusal(replaced("{\"bits\": 2, \"loss_delta\": 0.4", "{\"loss_delta\": 0.4")),
             Catch::Contains("layers[0].activations[0].bits: expected a value"));
  CHECK_THAT(refusal(replaced("\"higher_is_better\": false", "\"higher_is_better\": 0.5")),
             Catch::Contains("higher_is_better: expected true or false"));
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
