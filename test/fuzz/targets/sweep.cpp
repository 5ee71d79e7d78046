// A sweep file and the command line's --set axes and fixed values, expanded
// into points as `qlhost sweep` does, each point's overrides rendered.
//
// Input: the sweep file's text, then one --set value per line after "#set".
#include "../FuzzTarget.h"
#include "manager/sweep/SweepSpec.h"

QUANTLAB_FUZZ_TARGET(sweep) {
  const std::vector<std::string> sections =
      quantlab::fuzz::split_sections({reinterpret_cast<const char*>(data), size}, "#set");
  std::vector<std::string> cli_sets;
  if (sections.size() > 1) {
    std::size_t start = 0;
    const std::string& lines = sections[1];
    while (start < lines.size()) {
      std::size_t end = lines.find('\n', start);
      if (end == std::string::npos) end = lines.size();
      cli_sets.push_back(lines.substr(start, end - start));
      start = end + 1;
    }
  }
  quantlab::fuzz::user_errors_only([&] {
    const auto file = quantlab::fuzz::write_scratch_file("sweep.yaml", sections[0]);
    const auto spec = quantlab::sweep::SweepSpec::load(file, cli_sets);
    for (const auto& point : spec.points) {
      (void)point.overrides();
      (void)point.label();
    }
  });
}
