// qlhost compare and qlhost report end to end: tiny Fashion-MNIST experiments
// that differ in the learning rate (and one quantized k-fold one), compared
// in every format, filtered by topology, id and sweep, and reported as an
// HTML page that headless Chromium renders.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "manager/sweep/SweepIndex.h"
#include "support/Files.h"
#include "support/Process.h"

namespace QUANTLAB_TEST_FILE {
namespace {

using namespace quantlab;
namespace fs = std::filesystem;

namespace {

fs::path logs(const fs::path& home) { return home / "problems" / "fashionmnist" / "logs"; }

// One epoch on a few hundred samples, with this learning rate and seed.
std::vector<std::string> train(const fs::path& home, const std::string& lr, int seed,
                               const std::vector<std::string>& extra = {}) {
  auto options = test::quick_run({.train_samples = 300, .valid_samples = 200, .seed = seed});
  options.insert(options.end(), {"--set", "training.optimizer.params.lr=" + lr});
  options.insert(options.end(), extra.begin(), extra.end());
  return test::qlhost_command("fashionmnist", "SimpleCNN", home, options);
}

void train_ok(const std::vector<std::string>& arguments) {
  const auto result = test::run_process(arguments);
  INFO(result.output);
  REQUIRE(result.status == 0);
}

std::vector<std::string> command(const std::string& name, const fs::path& home, std::vector<std::string> extra) {
  std::vector<std::string> arguments{test::qlhost_path(), name, "--plugin", test::plugin_path("fashionmnist"),
                                     "--home", home.string()};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  return arguments;
}

// stdout alone: notes go to stderr, and csv/json must parse without them.
test::ProcessResult run_stdout(const std::vector<std::string>& arguments, const fs::path& folder) {
  const fs::path output = folder / "stdout.txt";
  std::vector<std::string> shell{"sh", "-c", "exec \"$0\" \"$@\" 2>/dev/null"};
  shell.insert(shell.end(), arguments.begin(), arguments.end());
  test::ProcessResult result;
  result.status = test::wait_process(test::spawn_process(shell, output));
  result.output = test::read_text(output);
  return result;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

// Simple CSV: the leaderboard's fields here hold no commas or quotes.
std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, ',');) out.push_back(field);
  if (!line.empty() && line.back() == ',') out.push_back("");
  return out;
}

std::size_t column(const std::vector<std::string>& header, const std::string& name) {
  const auto at = std::find(header.begin(), header.end(), name);
  REQUIRE(at != header.end());
  return static_cast<std::size_t>(at - header.begin());
}

// The first line of a failed command's output that carries the error.
std::string error_line(const std::string& output) {
  for (const auto& line : lines(output))
    if (line.rfind("qlhost: error: ", 0) == 0) return line;
  return "";
}

std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream folders(path ? path : "");
  for (std::string folder; std::getline(folders, folder, ':');) {
    const fs::path candidate = fs::path(folder) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

}  // namespace

TEST_CASE("compare ranks experiments and shows only the keys that differ in every format",
          "[qlhost][e2e][compare]") {
  test::TempDir home;
  train_ok(train(home.path(), "0.05", 7));
  train_ok(train(home.path(), "0.2", 8));
  train_ok(train(home.path(), "0.01", 9));

  {  // table
    const auto result = run_stdout(command("compare", home.path(), {}), home.path());
    INFO(result.output);
    REQUIRE(result.status == 0);
    const auto table = lines(result.output);
    REQUIRE(table.size() == 4);
    CHECK_THAT(table[0], Catch::StartsWith("id ") && Catch::Contains("training.optimizer.params.lr") &&
                             Catch::Contains("best top1_error") && Catch::Contains("BOPs"));
    // Seeds differ too, but the learning rate is what was varied; nothing else differs.
    CHECK(table[0].find("experiment.seed") == std::string::npos);
    CHECK(table[0].find("data.") == std::string::npos);
    for (std::size_t i = 1; i < table.size(); ++i) {
      CHECK_THAT(table[i], Catch::StartsWith("exp000") && Catch::Contains("SimpleCNN") && Catch::Contains("none") &&
                               Catch::Contains("W32 A32") && Catch::Contains(" fp32 ") && Catch::Contains("1/1") &&
                               Catch::EndsWith("done"));
    }
  }

  {  // csv: sorted by best error, with the summary's size and BOPs
    const auto result = run_stdout(command("compare", home.path(), {"--format", "csv"}), home.path());
    INFO(result.output);
    REQUIRE(result.status == 0);
    const auto csv = lines(result.output);
    REQUIRE(csv.size() == 4);
    const auto header = fields(csv[0]);
    const auto lr = column(header, "training.optimizer.params.lr");
    const auto best = column(header, "best");
    std::vector<double> bests;
    std::set<std::string> rates;
    for (std::size_t i = 1; i < csv.size(); ++i) {
      const auto row = fields(csv[i]);
      REQUIRE(row.size() == header.size());
      bests.push_back(std::stod(row[best]));
      rates.insert(row[lr]);
      CHECK(row[column(header, "metric")] == "top1_error");
      CHECK(row[column(header, "origin")] == "fp32");
      CHECK(row[column(header, "best_epoch")] == "1");
      CHECK(row[column(header, "status")] == "done");
      // SimpleCNN at 32 bits, as qlhost summary counts it (QlhostSummaryTest): 4,643,840 MACs x 32 x 32.
      CHECK(row[column(header, "bops")] == "4755292160");
      CHECK(std::stoll(row[column(header, "size_bytes")]) > 3000000);
      CHECK(std::stod(row[column(header, "train_seconds")]) > 0);
    }
    CHECK(std::is_sorted(bests.begin(), bests.end()));  // top-1 error: lower is better, best first
    CHECK(rates == std::set<std::string>{"0.01", "0.05", "0.2"});
    CHECK(std::find(header.begin(), header.end(), "experiment.seed") == header.end());
  }

  {  // json: an array of objects with the differing key under config
    const auto result = run_stdout(command("compare", home.path(), {"--format", "json"}), home.path());
    INFO(result.output);
    REQUIRE(result.status == 0);
    CHECK(result.output.rfind("[\n", 0) == 0);
    CHECK_THAT(result.output, Catch::EndsWith("]\n"));
    CHECK_THAT(result.output, Catch::Contains("\"config\": {\"training.optimizer.params.lr\": 0.05}") &&
                                  Catch::Contains("\"config\": {\"training.optimizer.params.lr\": 0.2}") &&
                                  Catch::Contains("\"config\": {\"training.optimizer.params.lr\": 0.01}"));
    CHECK(lines(result.output).size() == 5);  // [, three objects, ]
  }

  {  // filters: ids, topology, sweep; the sweep's status shows
    const auto one = run_stdout(command("compare", home.path(), {"--exp-id", "1", "--format", "csv"}), home.path());
    REQUIRE(one.status == 0);
    REQUIRE(lines(one.output).size() == 2);
    CHECK_THAT(lines(one.output)[1], Catch::StartsWith("exp0001,1,"));

    const auto mlp = test::run_process(command("compare", home.path(), {"--topology", "MLP"}));
    CHECK(mlp.status == 2);
    CHECK_THAT(error_line(mlp.output), Catch::Contains("no experiments of problem fashionmnist of topology MLP"));

    // A sweep that ran experiments 0 and 2: one killed while running, one failed.
    sweep::SweepIndex index;
    index.name = "lr";
    index.file = "lr.yaml";
    index.fingerprint = "test";
    index.topology = "SimpleCNN";
    sweep::PointRecord killed;
    killed.exp_id = 0;
    killed.status = sweep::PointStatus::Running;
    killed.heartbeat = 1;  // long stale
    sweep::PointRecord failed;
    failed.point = 1;
    failed.exp_id = 2;
    failed.status = sweep::PointStatus::Failed;
    index.points = {killed, failed};
    fs::create_directories(sweep::SweepIndex::path(logs(home.path()), "lr").parent_path());
    index.write(sweep::SweepIndex::path(logs(home.path()), "lr"));

    const auto swept = run_stdout(command("compare", home.path(), {"--sweep", "lr", "--format", "csv"}), home.path());
    INFO(swept.output);
    REQUIRE(swept.status == 0);
    const auto csv = lines(swept.output);
    REQUIRE(csv.size() == 3);
    const auto header = fields(csv[0]);
    std::map<std::string, std::string> status;
    for (std::size_t i = 1; i < csv.size(); ++i)
      status[fields(csv[i])[0]] = fields(csv[i])[column(header, "status")];
    CHECK(status == std::map<std::string, std::string>{{"exp0000", "dead"}, {"exp0002", "failed"}});

    const auto unknown = test::run_process(command("compare", home.path(), {"--sweep", "nope"}));
    CHECK(unknown.status == 2);
    CHECK_THAT(error_line(unknown.output), Catch::Contains("--sweep nope: no such sweep") &&
                                               Catch::Contains("(existing: lr)"));
  }
}

TEST_CASE("compare refuses a bad format and an empty logbook with one line", "[qlhost][e2e][compare]") {
  test::TempDir home;
  const auto format = test::run_process(command("compare", home.path(), {"--format", "xml"}));
  CHECK(format.status == 2);
  CHECK(error_line(format.output) == "qlhost: error: --format xml: expected table, csv or json");

  const auto empty = test::run_process(command("compare", home.path(), {}));
  CHECK(empty.status == 2);
  CHECK_THAT(error_line(empty.output), Catch::Contains("no experiments of problem fashionmnist in "));
  // Comparing writes nothing: not even the problem's folders.
  CHECK_FALSE(fs::exists(home / "problems"));

  fs::create_directories(logs(home.path()));
  const auto sweep = test::run_process(command("compare", home.path(), {"--sweep", "lr"}));
  CHECK(sweep.status == 2);
  CHECK_THAT(error_line(sweep.output), Catch::Contains("--sweep lr: no such sweep") &&
                                           Catch::Contains("(there are none)"));
}

TEST_CASE("report writes one self-contained page that Chromium renders with the table and the plots",
          "[qlhost][e2e][compare]") {
  test::TempDir home;
  train_ok(train(home.path(), "0.05", 7));
  train_ok(train(home.path(), "0.2", 8));
  // A quantized 2-fold experiment: a smaller model and a mean ± std row.
  train_ok(train(home.path(), "0.05", 9,
                 {"--config", std::string(QUANTLAB_SOURCE_DIR) + "/configs/fashionmnist/SimpleCNN.pact-w4a4.yaml",
                  "--set", "network.pretrained=null", "--set", "experiment.n_folds=2", "--set",
                  "experiment.origin=select weights=300KiB"}));
  // A sensitivity file for exp0001 (as qlhost sensitivity writes it) and a damaged one for exp0000.
  test::write_bytes(logs(home.path()) / "exp0001" / "sensitivity.json",
                    R"({"experiment": 1, "fold": 0, "checkpoint": "best", "samples": 64, "metric": "top1_error",
                        "higher_is_better": false, "baseline": {"loss": 0.9, "metric": 30.5}, "bits": [2, 8],
                        "layers": [{"name": "conv2", "type": "Conv2d", "parameters": 18432, "macs": 3612672,
                                    "hessian_trace": 1.5, "activation": "relu1",
                                    "weights": [{"bits": 2, "loss_delta": 0.6, "metric_delta": 9.5, "sqnr_db": 8.1,
                                                 "perturbation": 0.2},
                                                {"bits": 8, "loss_delta": 0.001, "metric_delta": 0.0,
                                                 "sqnr_db": 44.0, "perturbation": 0.0001}],
                                    "activations": [{"bits": 2, "loss_delta": 0.3, "metric_delta": 4.0,
                                                     "sqnr_db": 10.2},
                                                    {"bits": 8, "loss_delta": null, "metric_delta": null,
                                                     "sqnr_db": null}]}]})");
  test::write_bytes(logs(home.path()) / "exp0000" / "sensitivity.json", R"({"experiment": 0, "layers": 3})");

  {  // an --out whose folder does not exist is refused, and nothing is written
    const fs::path out = home / "missing" / "report.html";
    const auto result = test::run_process(command("report", home.path(), {"--out", out.string()}));
    CHECK(result.status == 2);
    CHECK_THAT(error_line(result.output), Catch::Contains("--out " + out.string()) &&
                                              Catch::Contains("does not exist"));
    CHECK_FALSE(fs::exists(home / "missing"));
  }

  {  // the page, as written and as Chromium renders it
    // Kept in the build tree for people to look at; replaced on every run.
    const fs::path output_folder = fs::path(QUANTLAB_BUILD_DIR) / "test-output" / "compare";
    fs::create_directories(output_folder);
    const fs::path report = output_folder / "report.html";
    const fs::path screenshot = output_folder / "report.png";
    fs::remove(screenshot);

    const auto result = test::run_process(command("report", home.path(), {"--out", report.string()}));
    INFO(result.output);
    REQUIRE(result.status == 0);
    // The damaged sensitivity file is one note; the rest renders.
    CHECK_THAT(result.output, Catch::Contains("exp0000/sensitivity.json: fold: expected a value (the key is missing) "
                                              "(its sensitivity is not shown)"));
    const std::string html = test::read_text(report);
    CHECK_THAT(html, Catch::Contains("exp0000/sensitivity.json: fold: expected a value"));
    CHECK_THAT(html, Catch::Contains("<h2 id=\"sensitivity\">Sensitivity</h2>") &&
                         Catch::Contains("<h3>exp0001 fold 0</h3>") && Catch::Contains("<td>relu1</td>"));
    CHECK(html.find("<h3>exp0000") == std::string::npos);
    // Each point marked by its origin: the fp32 runs as squares, the selected mix as a triangle.
    CHECK_THAT(html, Catch::Contains("origin-fp32") && Catch::Contains("origin-select") &&
                         Catch::Contains("exp0002 (2 folds) (select weights=300KiB)") &&
                         Catch::Contains("searched mix (qlhost select)</li>"));
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("http") == std::string::npos);
    CHECK_THAT(html, Catch::Contains("<table class=\"leaderboard\">") && Catch::Contains("exp0002 (2 folds)") &&
                         Catch::Contains("exp0002/fold1") && Catch::Contains("W4/8 A4/32"));
    CHECK(std::count(html.begin(), html.end(), '\n') > 20);
    // No temporary is left beside the page.
    for (const auto& entry : fs::directory_iterator(output_folder))
      CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);

    const std::string chromium = find_on_path("chromium");
    if (chromium.empty())
      FAIL("chromium is not installed: run scripts/install-deps (it installs Debian's chromium for this test)");
    const test::TempDir profile;
    const std::vector<std::string> browser{"timeout", "120", chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                           "--user-data-dir=" + profile.path().string()};
    auto dump = browser;
    dump.insert(dump.end(), {"--dump-dom", "file://" + report.string()});
    const auto dom = test::run_process(dump);
    INFO(dom.output);
    REQUIRE(dom.status == 0);
    CHECK_THAT(dom.output, Catch::Contains("<table class=\"leaderboard\">") && Catch::Contains("<td>exp0000</td>") &&
                               Catch::Contains("<td>exp0001</td>") && Catch::Contains("exp0002 (2 folds)"));
    CHECK_THAT(dom.output, Catch::Contains("<svg") && Catch::Contains("class=\"front origin-") &&
                               Catch::Contains("<table class=\"sensitivity\">") &&
                               Catch::Contains("<path class=\"front-line\"") &&
                               Catch::Contains("<path class=\"curve\""));

    auto shot = browser;
    shot.insert(shot.end(), {"--screenshot=" + screenshot.string(), "--window-size=1280,2000",
                             "file://" + report.string()});
    const auto shot_result = test::run_process(shot);
    INFO(shot_result.output);
    REQUIRE(shot_result.status == 0);
    REQUIRE(fs::exists(screenshot));
    // A blank 1280x2000 page compresses to a few kilobytes; tables and plots do not.
    CHECK(fs::file_size(screenshot) > 30000);
  }
}

}  // namespace
}  // namespace QUANTLAB_TEST_FILE
