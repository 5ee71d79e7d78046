#pragma once
// A fuzz target: a function of one input's bytes that may throw the errors a
// user's bad input should produce (quantlab::UserError and what derives from
// it) and nothing else. Anything else is a finding: a crash, a sanitizer
// report, another exception type (qlhost would print "internal error"), a
// hang or an allocation past libFuzzer's limit.
//
// Built two ways from the same file (see test/fuzz/CMakeLists.txt):
// - in the normal build, into quantlab_fuzz_tests, whose Catch2 tests replay
//   every input kept under test/fuzz/corpus/<target> and crashes/<target>;
// - with -DQUANTLAB_FUZZ=ON (clang, scripts/fuzz), alone into fuzz_<target>,
//   where QUANTLAB_FUZZ_ENTRY makes it libFuzzer's entry point.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quantlab/Errors.h"

namespace quantlab::fuzz {

using TargetFunction = void (*)(const std::uint8_t* data, std::size_t size);

// The targets linked into this binary, by name.
std::map<std::string, TargetFunction>& targets();

struct Registration {
  Registration(const char* name, TargetFunction function) { targets()[name] = function; }
};

// Runs `body`; a UserError is the expected answer to a bad input, so it is
// swallowed. Every other exception passes through, as a finding.
template <typename Body>
void user_errors_only(Body&& body) {
  try {
    body();
  } catch (const quantlab::UserError&) {
  }
}

// A private folder for this process (under $TMPDIR), made on first use and
// removed at exit: targets whose code under test reads files write the input
// there.
const std::filesystem::path& scratch_folder();
// Writes `data` to scratch_folder()/name, replacing what was there.
std::filesystem::path write_scratch_file(const std::string& name, std::string_view data);

// The input split at each line that is exactly `separator` (the first part,
// then one per separator). Lets one input carry a file and command-line
// values, e.g. a config and its --set assignments.
std::vector<std::string> split_sections(std::string_view input, std::string_view separator);

}  // namespace quantlab::fuzz

#ifdef QUANTLAB_FUZZ_ENTRY
#define QUANTLAB_FUZZ_TARGET(name)                                                               \
  static void quantlab_fuzz_##name(const std::uint8_t* data, std::size_t size);                  \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {            \
    quantlab_fuzz_##name(data, size);                                                            \
    return 0;                                                                                    \
  }                                                                                              \
  static void quantlab_fuzz_##name(const std::uint8_t* data, std::size_t size)
#else
#define QUANTLAB_FUZZ_TARGET(name)                                                               \
  static void quantlab_fuzz_##name(const std::uint8_t* data, std::size_t size);                  \
  static const ::quantlab::fuzz::Registration quantlab_fuzz_registration_##name(#name,           \
                                                                              quantlab_fuzz_##name); \
  static void quantlab_fuzz_##name(const std::uint8_t* data, std::size_t size)
#endif
