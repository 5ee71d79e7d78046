#pragma once
// qlhost's sub-commands. Each takes the arguments after its name and returns
// the exit status; user errors are thrown as quantlab::UserError.
#include <string>
#include <vector>

namespace quantlab {

class Communicator;

using Arguments = std::vector<std::string>;

int run_experiment(const Arguments& arguments, Communicator& communicator);  // train or test
int storage_command(const Arguments& arguments);                           // storage init
int problem_command(const Arguments& arguments);                           // problem init NAME
int plugin_command(const Arguments& arguments);                            // plugin info PATH

// --home, else $QUANTLAB_HOME, else the current directory.
std::string resolve_home(const std::string& option);

}  // namespace quantlab
