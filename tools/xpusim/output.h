// What every subcommand shares: the exit codes, printing diagnostics, and finding the built-in library.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "econ/power.h"
#include "spec/library.h"
#include "support/diagnostic.h"

namespace xpusim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 2;

// Shared state of one run of the tool.
struct Context {
  std::string executable;  // path of this binary, to find the built-in library
};

// Each diagnostic on its own line on stderr.
void print_diagnostics(const Diagnostics& diagnostics);
nlohmann::ordered_json diagnostics_json(const Diagnostics& diagnostics);

// `json` on stdout, indented, with a newline. Any invalid UTF-8 that reached it (a name the user typed,
// echoed back) is replaced rather than thrown on, so the output is always valid JSON.
void print_json(const nlohmann::ordered_json& json);

// Whether a spec argument names a file (read it) rather than a library spec (look it up).
bool looks_like_path(const std::string& target);

// A library spec by kind and name, or nullptr with "no chip named 'x' (did you mean 'y'?)" in `out`.
const spec::Document* find_in_library(const spec::Library& library, spec::Kind kind, const std::string& name,
                                      Diagnostics& out);

// A spec by library name or file path (read into `files`), or nullptr with the problems in `out`.
const spec::Document* resolve_spec(const spec::Library& library, spec::Library& files, spec::Kind kind,
                                   const std::string& target, Diagnostics& out);

// "power per chip   412 W average (...)", and its JSON object.
void print_chip_power(const econ::PowerEstimate& power, const spec::ChipSpec& chip);
nlohmann::ordered_json chip_power_json(const econ::PowerEstimate& power, const spec::ChipSpec& chip);

// Shows flow simulations that take a while on stderr when it is a terminal (an estimate before, then
// the phases done and the time left, rewritten in place); does nothing otherwise.
void show_flow_progress_on_terminal();

// The built-in library, with any problems loading it appended to `out`.
struct BuiltinLibrary {
  spec::Library library;
  bool found = false;
};
BuiltinLibrary load_builtin_library(const Context& context, Diagnostics& out);

// The published measurements that `xpusim validate` reads by default: validation/published-results.yaml
// in $XPUSIM_DATA, else in `data` beside the binary (the build tree links the repository's data/ there),
// else in ../share/xpusim/data (an installed tree). Empty when none exists.
std::string default_validation_cases(const Context& context);

// The specs one command reads: the built-in library, and the files named on its command line, checked
// against it. Construct it in place: documents point into it.
class SpecInputs {
 public:
  explicit SpecInputs(const Context& context) : builtin_(load_builtin_library(context, diagnostics_)) {}
  SpecInputs(const SpecInputs&) = delete;
  SpecInputs& operator=(const SpecInputs&) = delete;

  // False, after printing why, when the library could not be loaded.
  bool library_ok();
  // A spec by name or file; nullptr with the reason recorded.
  const spec::Document* resolve(spec::Kind kind, const std::string& target);
  // Runs the rules of every file read; false, after printing every problem so far, when any failed.
  bool checked_ok();
  // Library and files together.
  const spec::SpecResolver& resolver() const { return resolver_; }

 private:
  Diagnostics diagnostics_;
  BuiltinLibrary builtin_;
  spec::Library files_;
  spec::LayeredResolver resolver_{files_, &builtin_.library};
};

}  // namespace xpusim::cli
