// qlhost: the QuantLab experiment manager's executable.
#include <cstdio>
#include <exception>
#include <iostream>

#include <boost/program_options/errors.hpp>

#include "host/Commands.h"
#include "manager/dist/Communicator.h"
#include "quantlab/Errors.h"

namespace {

constexpr const char* kUsage = R"(usage:
  qlhost --plugin PATH --topology NAME [options]   train (or test) an experiment
  qlhost storage init [--home DIR]                 make <hard>/QuantLab/problems for data and logs
  qlhost problem init NAME [--home DIR]            make a problem's data and logs folders and links
  qlhost plugin info PATH                          what a plugin offers
  qlhost summary --plugin PATH --topology NAME     layers, MACs, bits and size before/after the recipe
  qlhost sweep --plugin PATH --topology NAME --sweep FILE [--jobs J]   run (or resume) a sweep of experiments
  qlhost compare --plugin PATH [--topology T] [--sweep NAME] [--format table|csv|json]   a leaderboard
  qlhost report --plugin PATH [--sweep NAME] --out FILE.html   leaderboard, Pareto fronts, learning curves
  qlhost export --plugin PATH --topology NAME --exp-id N --out FILE.onnx   the integerized network as ONNX
  qlhost bench --plugin PATH --topology NAME --exp-id N [--batch B]   fp32, fake-quantized and integer speed
  qlhost sensitivity --plugin PATH --topology NAME --exp-id N [--bits 2,3,4,8]   per-layer sensitivity to bits
  qlhost select --plugin PATH --topology NAME --exp-id N --budget weights=300KiB   mixed-precision configs
Run `qlhost --help` for the experiment options, `qlhost COMMAND --help` for a command's.
)";

int dispatch(const quantlab::Arguments& arguments, quantlab::Communicator& communicator) {
  if (!arguments.empty() && arguments[0] == "storage")
    return quantlab::storage_command({arguments.begin() + 1, arguments.end()});
  if (!arguments.empty() && arguments[0] == "problem")
    return quantlab::problem_command({arguments.begin() + 1, arguments.end()});
  if (!arguments.empty() && arguments[0] == "plugin")
    return quantlab::plugin_command({arguments.begin() + 1, arguments.end()});
  if (!arguments.empty() && arguments[0] == "summary")
    return quantlab::summary_command({arguments.begin() + 1, arguments.end()});
  if (!arguments.empty() && arguments[0] == "sweep")
    return quantlab::sweep_command({arguments.begin() + 1, arguments.end()});
  if (!arguments.empty() && arguments[0] == "compare")
    return quantlab::compare_command({arguments.begin() + 1, arguments.end()});
  if (!arguments.empty() && arguments[0] == "report")
    return quantlab::report_command({arguments.begin() + 1, arguments.end()});
  if (!arguments.empty() && arguments[0] == "export")
    return quantlab::export_command({arguments.begin() + 1, arguments.end()});
  if (!arguments.empty() && arguments[0] == "bench")
    return quantlab::bench_command({arguments.begin() + 1, arguments.end()});
  if (!arguments.empty() && arguments[0] == "sensitivity")
    return quantlab::sensitivity_command({arguments.begin() + 1, arguments.end()}, communicator);
  if (!arguments.empty() && arguments[0] == "select")
    return quantlab::select_command({arguments.begin() + 1, arguments.end()});
  if (arguments.empty()) {
    std::cout << kUsage;
    return 0;
  }
  if (arguments[0].rfind("-", 0) != 0)
    throw quantlab::ConfigError("qlhost " + arguments[0] +
                                ": unknown command (expected storage, problem, plugin, summary, sweep, compare, "
                                "report, export, bench, sensitivity, select, or options such as --plugin)");
  return quantlab::run_experiment(arguments, communicator);
}

}  // namespace

int main(int argc, char** argv) {
  auto communicator = quantlab::make_communicator(&argc, &argv);
  const quantlab::Arguments arguments(argv + 1, argv + argc);
  int status = 1;
  try {
    status = dispatch(arguments, *communicator);
  } catch (const quantlab::UserError& error) {
    std::fprintf(stderr, "qlhost: error: %s\n", error.what());
    status = 2;
  } catch (const boost::program_options::error& error) {
    std::fprintf(stderr, "qlhost: error: %s (see qlhost --help)\n", error.what());
    status = 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "qlhost: internal error: %s\n", error.what());
    status = 1;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  // One failing rank must not leave the others waiting in a collective.
  if (status != 0 && communicator->size() > 1) communicator->abort(status);
  return status;
}
