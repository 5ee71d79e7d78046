#pragma once
// qlhost's sub-commands. Each takes the arguments after its name and returns
// the exit status; user errors are thrown as quantlab::UserError.
#include <cstdint>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <yaml-cpp/yaml.h>

namespace quantlab {

class Communicator;
class Topology;

using Arguments = std::vector<std::string>;

int run_experiment(const Arguments& arguments, Communicator& communicator);  // train or test
int storage_command(const Arguments& arguments);                           // storage init
int problem_command(const Arguments& arguments);                           // problem init NAME
int plugin_command(const Arguments& arguments);                            // plugin info PATH
int summary_command(const Arguments& arguments);                           // summary --plugin P --topology T
int sweep_command(const Arguments& arguments);    // sweep --plugin P --topology T --sweep FILE [--jobs J]
int compare_command(const Arguments& arguments);  // compare --plugin P [--sweep NAME] [--format F]
int report_command(const Arguments& arguments);   // report --plugin P [--sweep NAME] --out FILE
int export_command(const Arguments& arguments);   // export --plugin P --topology T --exp-id N --out FILE
int bench_command(const Arguments& arguments);    // bench --plugin P --topology T --exp-id N [--batch B]
int sensitivity_command(const Arguments& arguments, Communicator& communicator);  // sensitivity ... --exp-id N
int select_command(const Arguments& arguments);   // select ... --exp-id N --budget KIND=VALUE

// "2,3,4,8" -> {2, 3, 4, 8}, sorted, each in [2, 16]; ConfigError naming `option` otherwise.
std::vector<int64_t> parse_bit_widths(const std::string& text, const std::string& option);

// Intra-op threads per rank by default: this machine's cores shared by its ranks.
int default_threads(const Communicator& communicator);

// Reads a sub-command's options into `values`, required ones checked; false
// when --help was asked for, after printing the options.
bool parse_command_line(const Arguments& arguments, const boost::program_options::options_description& description,
                        boost::program_options::variables_map& values);

// --home, else $QUANTLAB_HOME, else the current directory.
std::string resolve_home(const std::string& option);

// The config a command works on: --config FILE (with its base), else the
// topology's default, with every --set applied; `source` names it in errors.
struct ConfigText {
  YAML::Node root;
  std::string source;
};
ConfigText read_config(const std::string& problem, const Topology& topology, const std::string& config_file,
                       const std::vector<std::string>& overrides);

}  // namespace quantlab
