#include <catch2/catch.hpp>

#include "manager/compare/HtmlReport.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab::compare;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Four runs whose sizes span 100x: three on the front (error: lower is better).
Leaderboard board() {
  std::vector<ExperimentRecord> records;
  const std::vector<std::pair<std::int64_t, double>> runs{{100000, 0.20}, {1000000, 0.10}, {10000000, 0.08},
                                                           {10000000, 0.09}};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    ExperimentRecord record;
    record.id = static_cast<int>(i);
    record.topology = "SimpleCNN";
    record.config = flatten_config(YAML::Load("lr: " + std::to_string(i) + "\nnote: <b>&</b>\n"));
    record.n_epochs = 2;
    record.recipe = "none";
    record.origin =
        std::vector<std::string>{"fp32", "uniform", "select weights=300KiB", "learned bits, weights<=408KiB"}[i];
    record.size_bytes = runs[i].first;
    record.bops = runs[i].first * 1000;
    FoldRecord fold;
    fold.curve = {{1, runs[i].second + 0.05}, {2, runs[i].second}};
    fold.epochs_done = 2;
    record.folds = {fold};
    records.push_back(record);
  }
  Leaderboard board = make_leaderboard(records, "top1_error", false);
  board.problem = "fashionmnist";
  board.notes = {"exp0009: left out: <no config.yaml>"};
  return board;
}

}  // namespace

TEST_CASE("the report is one self-contained page with the table and the charts", "[compare]") {
  const std::string html = html_report(board(), {" of topology SimpleCNN", "2026-11-27 00:00 UTC", 10});
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK_THAT(html, Catch::Contains("<style>") && Catch::Contains("</html>"));
  // Nothing to fetch and nothing to run.
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  // Text from the logs is escaped.
  CHECK(html.find("<b>&</b>") == std::string::npos);
  CHECK_THAT(html, Catch::Contains("&lt;no config.yaml&gt;"));

  CHECK(count(html, "<tr class=\"run\">") == 4);
  CHECK_THAT(html, Catch::Contains("<td>exp0002</td>"));
  CHECK(html.find("<td>exp0002</td>") < html.find("<td>exp0000</td>"));  // best first
  CHECK(count(html, "<svg class=\"chart\"") == 3);  // size and BOPs fronts, learning curves
  // Per front chart: exp0002, exp0001, exp0000 are optimal, exp0003 is not;
  // each is marked by its origin's shape.
  CHECK(count(html, "class=\"front origin-") == 6);
  CHECK(count(html, "<path class=\"front origin-fp32\"") == 2);   // a square
  CHECK(count(html, "<circle class=\"front origin-uniform\"") == 2);
  CHECK(count(html, "<path class=\"front origin-select\"") == 2);  // a triangle
  CHECK(count(html, "<path class=\"run origin-learned\"") == 2);
  CHECK(count(html, "<path class=\"front-line\"") == 2);
  CHECK_THAT(html, Catch::Contains("log model size axis") && Catch::Contains("log BOPs per sample axis"));
  CHECK(count(html, "<path class=\"curve\"") == 4);
  CHECK(count(html, "<circle class=\"curve-point\"") == 8);
}

TEST_CASE("the report draws the curves of the best runs only and says when nothing can be plotted", "[compare]") {
  const std::string two = html_report(board(), {"", "", 2});
  CHECK(count(two, "<path class=\"curve\"") == 2);
  Leaderboard empty = board();
  for (auto& row : empty.rows) {
    row.size_bytes.reset();
    row.bops.reset();
    row.curve.clear();
  }
  const std::string html = html_report(empty, {});
  CHECK(count(html, "<svg") == 0);
  CHECK_THAT(html, Catch::Contains("no experiment has both a best top1_error and a measured model size"));
  CHECK_THAT(html, Catch::Contains("No run has logged a validation epoch yet"));
}

TEST_CASE("the fronts mark each point by its origin, with a legend, and label it with its experiment and origin",
          "[compare]") {
  const std::string html = html_report(board(), {});
  // One legend per front chart: the four kinds drawn and the outline of the optimal points.
  CHECK(count(html, "<ul class=\"origins\">") == 2);
  CHECK(count(html, "searched mix (qlhost select)</li>") == 2);
  CHECK(count(html, "learned bit-widths</li>") == 2);
  CHECK(count(html, "fp32 (unquantized)</li>") == 2);
  CHECK(count(html, "uniform bit-widths</li>") == 2);
  CHECK(html.find("mixed bit-widths") == std::string::npos);  // no such point
  CHECK(count(html, "outlined: Pareto-optimal") == 2);
  // Few points: every one is labelled, the front's in the front's colour.
  CHECK(count(html, ">exp0002 (select weights=300KiB)</text>") == 2);
  CHECK(count(html, "class=\"run-label\"") == 2);
  CHECK_THAT(html, Catch::Contains(">exp0003 (learned bits, weights&lt;=408KiB)</text>"));
  CHECK_THAT(html, Catch::Contains("<title>exp0002 (select weights=300KiB): top1_error 0.08, model size"));
  CHECK(origin_kind("select weights=300KiB") == "select");
  CHECK(origin_kind("selection by hand") == "other");
  CHECK(origin_kind("learned") == "learned");
  CHECK(origin_kind("mixed") == "mixed");
  CHECK(origin_kind("") == "");
}

TEST_CASE("the report shows a sensitivity table per experiment that has one, as a heat map", "[compare]") {
  Leaderboard with = board();
  CHECK(html_report(with, {}).find("id=\"sensitivity\"") == std::string::npos);
  Sensitivity sensitivity;
  sensitivity.experiment = 2;
  sensitivity.checkpoint = "best";
  sensitivity.samples = 512;
  sensitivity.metric = "top1_error";
  sensitivity.baseline_loss = 0.25;
  sensitivity.baseline_metric = 6.7;
  sensitivity.bits = {2, 8};
  LayerSensitivity conv;
  conv.name = "conv2";
  conv.type = "Conv2d";
  conv.parameters = 18432;
  conv.hessian_trace = 1.23;
  conv.activation = "relu1";
  conv.weights = {{2, 0.5, 3.1, 9.8, 0.01}, {8, 0.001, 0.0, 45.0, std::nullopt}};
  conv.activations = {{2, 0.4, 2.0, 11.0, std::nullopt}};  // 8 bits not measured
  LayerSensitivity first;
  first.name = "conv1";
  first.type = "Conv2d";
  first.weights = {{2, -0.01, std::nullopt, std::nullopt, std::nullopt}};
  sensitivity.layers = {conv, first};
  with.sensitivities = {sensitivity};
  const std::string html = html_report(with, {});
  REQUIRE_THAT(html, Catch::Contains("<h2 id=\"sensitivity\">Sensitivity</h2>"));
  CHECK_THAT(html, Catch::Contains("<h3>exp0002 fold 0</h3>") && Catch::Contains("512 samples") &&
                       Catch::Contains("baseline loss 0.25, top1_error 6.7"));
  CHECK(count(html, "<table class=\"sensitivity\">") == 1);
  CHECK_THAT(html, Catch::Contains("<th>W2</th><th>W8</th>") && Catch::Contains("<th>A2</th><th>A8</th>"));
  // The largest loss increase is the reddest; a decrease stays white.
  CHECK_THAT(html, Catch::Contains("style=\"background:rgb(255,87,89)\" title=\"loss 0.5, top1_error 3.1, SQNR 9.8 dB, "
                                   "perturbation 0.01\">0.5<br><small>9.8 dB</small></td>"));
  CHECK_THAT(html, Catch::Contains("<td class=\"num\" title=\"loss -0.01, top1_error -, SQNR -\">-0.01<br><small>-</small>"));
  CHECK_THAT(html, Catch::Contains("<td>relu1</td>") && Catch::Contains("1.23"));
  CHECK(count(html, "<td class=\"none\">-</td>") == 1 + 1 + 2);  // conv2 A8; conv1 W8 and its two activation cells
  CHECK(html.find("<script") == std::string::npos);
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
