// `qlhost compare` and `qlhost report`: the leaderboard of a problem's
// experiments, as text on stdout or as one self-contained HTML page. Both
// select experiments the same way (--topology, --sweep, --exp-id) and read
// the logs only; notes about what was left out go to stderr, so that csv and
// json stay clean for other tools.
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <boost/program_options.hpp>

#include "host/Commands.h"
#include "manager/compare/HtmlReport.h"
#include "manager/compare/LeaderboardCollector.h"
#include "manager/compare/LeaderboardFormat.h"
#include "quantlab/AtomicFile.h"
#include "manager/plugin/PluginLoader.h"
#include "manager/storage/StorageMap.h"
#include "quantlab/Errors.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace quantlab {

namespace {

// The options both commands take, and the leaderboard they select.
struct SelectionOptions {
  std::string plugin_path, home, topology, sweep;
  std::vector<int> exp_ids;

  void add_to(po::options_description& description) {
    description.add_options()
        ("help,h", "this help")
        ("plugin", po::value(&plugin_path)->required(), "problem plugin, e.g. build/problems/libfashionmnist.so")
        ("topology", po::value(&topology), "only experiments of this topology (network.class)")
        ("sweep", po::value(&sweep), "only the experiments of this sweep (its name under <logs>/sweeps)")
        ("exp-id", po::value(&exp_ids)->multitoken()->composing(), "only these experiments (repeatable)")
        ("home", po::value(&home), "QuantLab home (default $QUANTLAB_HOME, else the current directory)");
  }

  compare::Selection selection() const {
    compare::Selection selection;
    if (!topology.empty()) selection.topology = topology;
    if (!sweep.empty()) selection.sweep = sweep;
    selection.exp_ids = exp_ids;
    return selection;
  }

  compare::Leaderboard collect(const std::string& command) const {
    const LoadedPlugin plugin = load_plugin(plugin_path);
    const StorageMap storage(resolve_home(home));
    compare::Leaderboard board = compare::collect_leaderboard(plugin, storage, selection());
    for (const auto& note : board.notes) std::cerr << "qlhost " << command << ": note: " << note << "\n";
    return board;
  }
};

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &parts);
  return text;
}

}  // namespace

int compare_command(const Arguments& arguments) {
  SelectionOptions options;
  std::string format_text = "table";
  po::options_description description("usage: qlhost compare --plugin PATH [options]");
  options.add_to(description);
  description.add_options()("format", po::value(&format_text), "table (default), csv or json");
  po::variables_map values;
  if (!parse_command_line(arguments, description, values)) return 0;
  const compare::Format format = compare::parse_format(format_text);
  std::cout << compare::format_leaderboard(options.collect("compare"), format);
  return 0;
}

// The page is written to a temporary file beside --out and renamed over it,
// so --out is never seen half-written.
int report_command(const Arguments& arguments) {
  SelectionOptions options;
  std::string out;
  po::options_description description("usage: qlhost report --plugin PATH --out FILE.html [options]");
  options.add_to(description);
  description.add_options()("out", po::value(&out)->required(), "the HTML file to write (its folder must exist)");
  po::variables_map values;
  if (!parse_command_line(arguments, description, values)) return 0;

  // Refused before any work: a report that cannot be written is not worth collecting.
  const fs::path target = fs::absolute(out);
  if (!fs::is_directory(target.parent_path()))
    throw UserError("--out " + out + ": expected a file in an existing folder (" + target.parent_path().string() +
                    " does not exist)");
  if (fs::is_directory(target)) throw UserError("--out " + out + ": expected a file name, got a folder");

  const compare::Leaderboard board = options.collect("report");
  compare::ReportOptions report;
  report.selection = options.selection().describe();
  report.generated = utc_now();
  write_file_atomically(target, compare::html_report(board, report));
  std::cout << "report: " << board.rows.size() << " row(s) written to " << target.string() << "\n";
  return 0;
}

}  // namespace quantlab
