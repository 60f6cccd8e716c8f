// What every subcommand shares: the exit codes, printing diagnostics, and finding the built-in library.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "econ/power.h"
#include <CLI/CLI.hpp>
#include <vector>

#include "spec/spec_set.h"
#include "support/diagnostic.h"

namespace xpusim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 2;

// Shared state of one run of the tool.
struct Context {
  std::string executable;   // path of this binary, to find the built-in library
  bool parse_only = false;  // check the arguments and run no command (the CLI's fuzz target and tests)
};

// Each diagnostic on its own line on stderr.
void print_diagnostics(const Diagnostics& diagnostics);
nlohmann::ordered_json diagnostics_json(const Diagnostics& diagnostics);

// `json` on stdout, indented, with a newline. Any invalid UTF-8 that reached it (a name the user typed,
// echoed back) is replaced rather than thrown on, so the output is always valid JSON.
void print_json(const nlohmann::ordered_json& json);

// ": it holds chip 'x' and system 'y'" for a message saying what a file lacks; empty for none.
std::string holdings(const std::vector<const spec::Document*>& docs);

// Whether a spec argument names a file (read it) rather than a library spec (look it up).
bool looks_like_path(const std::string& target);

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

// `--specs FILE|DIR` (repeatable), the same on every command that reads specs.
void add_specs_option(CLI::App& command, std::vector<std::string>& specs);

// The specs one command reads (spec::SpecSet): the built-in library under the user's files, which are
// each --specs FILE|DIR, then the `targets` (the command's spec arguments) that name files. Construct it
// in place: documents point into it.
class SpecInputs {
 public:
  SpecInputs(const Context& context, const std::vector<std::string>& specs,
             const std::vector<std::string>& targets);
  SpecInputs(const SpecInputs&) = delete;
  SpecInputs& operator=(const SpecInputs&) = delete;

  // False, after printing why, when the library could not be loaded.
  bool library_ok();
  // A spec by name (the user's files, then the library) or file; nullptr with the reason recorded.
  const spec::Document* resolve(spec::Kind kind, const std::string& target);
  // Runs the rules of every user spec; prints every problem so far (warnings too), and returns false
  // when any is an error.
  bool checked_ok();
  // Every spec, the user's over the library's.
  const spec::SpecSet& resolver() const { return specs_; }

 private:
  Diagnostics diagnostics_;
  bool library_failed_ = false;
  bool checked_ = false;
  spec::SpecSet specs_;
};

}  // namespace xpusim::cli
