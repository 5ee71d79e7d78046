#include <catch2/catch.hpp>

#include <sstream>

#include "manager/compare/LeaderboardFormat.h"
#include "quantlab/Errors.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::compare;

namespace {

// Two experiments differing in the learning rate, the first a 2-fold one.
Leaderboard board() {
  const auto record = [](int id, const std::string& lr, std::vector<std::vector<double>> curves) {
    ExperimentRecord record;
    record.id = id;
    record.topology = "SimpleCNN";
    record.config = flatten_config(
        YAML::Load("training: {lr: " + lr + ", tag: '" + lr + "0', steps: [" + lr + "], nesterov: " +
                   (id == 3 ? "true" : "false") + ", gamma: " + (id == 3 ? "null" : "10") + "}\n"));
    record.n_epochs = 2;
    record.recipe = "rules";
    record.bits = "W4/8 A4/32";
    record.origin = id == 3 ? "mixed" : "select weights=300KiB";
    record.size_bytes = 417556;
    record.bops = 128532480;
    for (std::size_t f = 0; f < curves.size(); ++f) {
      FoldRecord fold;
      fold.fold = static_cast<int>(f);
      for (std::size_t e = 0; e < curves[f].size(); ++e) fold.curve.push_back({static_cast<int>(e + 1), curves[f][e]});
      fold.epochs_done = static_cast<int>(curves[f].size());
      fold.train_seconds = 3725;
      record.folds.push_back(fold);
    }
    return record;
  };
  return make_leaderboard({record(3, "0.1", {{0.5, 0.25}, {0.75, 0.5}}), record(4, "0.05", {{0.12, 0.125}})},
                          "top1_error", false);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("formats are table or csv or json and anything else is refused by name", "[compare]") {
  CHECK(parse_format("table") == Format::Table);
  CHECK(parse_format("csv") == Format::Csv);
  CHECK(parse_format("json") == Format::Json);
  CHECK_THROWS_WITH(parse_format("xml"), "--format xml: expected table, csv or json");
  CHECK_THROWS_AS(parse_format("xml"), quantlab::UserError);
}

TEST_CASE("the table aligns its columns and shows the folds' mean and deviation", "[compare]") {
  const auto table = lines(format_table(board()));
  REQUIRE(table.size() == 5);  // header, exp0004, exp0003 (2 folds), its two folds
  CHECK(table[0].rfind("id ", 0) == 0);
  CHECK_THAT(table[0], Catch::Contains("training.lr") && Catch::Contains("origin") &&
                           Catch::Contains("best top1_error") &&
                           Catch::Contains("train time") && Catch::Contains("status"));
  CHECK_THAT(table[1], Catch::StartsWith("exp0004 ") && Catch::Contains("select weights=300KiB") &&
                           Catch::Contains("0.05 ") && Catch::Contains("0.1200") &&
                           Catch::Contains("0.1250") && Catch::Contains("418 KB") && Catch::Contains("129M") &&
                           Catch::Contains("1:02:05") && Catch::EndsWith("done"));
  CHECK_THAT(table[2], Catch::StartsWith("exp0003 (2 folds)") && Catch::Contains("0.3750 \u00b1 0.1768") &&
                           Catch::Contains("2:04:10"));
  CHECK_THAT(table[3], Catch::StartsWith("exp0003/fold0"));
  // Every column starts at the same place on every line: "recipe" sits above "rules".
  const auto at = table[0].find("recipe");
  for (std::size_t i = 1; i < table.size(); ++i) CHECK(table[i].find("rules") == at);
  // Numbers are right-aligned: the best column ends at the same place.
  const auto end = table[0].find("best top1_error") + std::string("best top1_error").size();
  CHECK(table[1].substr(end - 6, 6) == "0.1200");
}

TEST_CASE("csv has a header and exact values quoted where needed", "[compare]") {
  const auto csv = lines(format_csv(board()));
  REQUIRE(csv.size() == 5);
  CHECK(csv[0] ==
        "id,experiment,fold,topology,training.lr,training.tag,training.steps,training.nesterov,training.gamma,"
        "recipe,bits,origin,metric,best,best_std,last,last_std,best_epoch,epochs_done,n_epochs,size_bytes,bops,"
        "train_seconds,status");
  CHECK(csv[1] ==
        "exp0004,4,,SimpleCNN,0.05,0.050,[0.05],false,10,rules,W4/8 A4/32,select weights=300KiB,"
        "top1_error,0.12,,0.125,,1,2,2,417556,"
        "128532480,3725,done");
  CHECK_THAT(csv[2], Catch::StartsWith("exp0003 (2 folds),3,,SimpleCNN,0.1,0.10,[0.1],true,null,rules,W4/8 A4/32,"
                                       "mixed,top1_error,0.375,0.17677"));
  CHECK_THAT(csv[3], Catch::StartsWith("exp0003/fold0,3,0,"));
}

TEST_CASE("json is an array of objects with typed values", "[compare]") {
  const std::string json = format_json(board());
  CHECK(json.front() == '[');
  CHECK(json.find("]\n") == json.size() - 2);
  CHECK_THAT(json, Catch::Contains("{\"id\": \"exp0004\", \"kind\": \"run\", \"experiment\": 4, \"fold\": null"));
  // Typed as YAML read them: a quoted number stays a string, a sequence is its flow text.
  CHECK_THAT(json,
             Catch::Contains("\"config\": {\"training.lr\": 0.05, \"training.tag\": \"0.050\", "
                             "\"training.steps\": \"[0.05]\", \"training.nesterov\": false, \"training.gamma\": 10}"));
  CHECK_THAT(json,
             Catch::Contains("\"config\": {\"training.lr\": 0.1, \"training.tag\": \"0.10\", "
                             "\"training.steps\": \"[0.1]\", \"training.nesterov\": true, \"training.gamma\": null}"));
  CHECK_THAT(json, Catch::Contains("\"id\": \"exp0003 (2 folds)\", \"kind\": \"folds\""));
  CHECK_THAT(json, Catch::Contains("\"id\": \"exp0003/fold1\", \"kind\": \"fold\", \"experiment\": 3, \"fold\": 1"));
  CHECK_THAT(json, Catch::Contains("\"best\": 0.12, \"best_std\": null, \"last\": 0.125"));
  CHECK_THAT(json, Catch::Contains("\"size_bytes\": 417556, \"bops\": 128532480, \"train_seconds\": 3725"));
  CHECK_THAT(json, Catch::Contains("\"metric\": \"top1_error\", \"higher_is_better\": false"));
  CHECK_THAT(json, Catch::Contains("\"bits\": \"W4/8 A4/32\", \"origin\": \"select weights=300KiB\", \"metric\""));
  // Exactly four objects, one per row.
  std::size_t objects = 0;
  for (std::size_t at = json.find("{\"id\""); at != std::string::npos; at = json.find("{\"id\"", at + 1)) ++objects;
  CHECK(objects == 4);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
