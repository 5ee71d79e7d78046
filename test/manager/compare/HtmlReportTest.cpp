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
  CHECK(count(html, "<svg") == 3);  // size and BOPs fronts, learning curves
  // Per front chart: exp0002, exp0001, exp0000 are optimal, exp0003 is not.
  CHECK(count(html, "<circle class=\"front\"") == 6);
  CHECK(count(html, "<circle class=\"run\"") == 2);
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

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
