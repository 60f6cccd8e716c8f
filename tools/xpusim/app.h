// The command line as a library: the whole CLI::App, so that main() stays a line and a fuzz target
// can drive the same argument parsing without running any command.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

#include "output.h"

namespace xpusim::cli {

// Every subcommand and option. A command's callback stores its exit code in `exit_code`; `context`
// and `exit_code` must outlive the app.
std::unique_ptr<CLI::App> build_app(const Context& context, int& exit_code);

// Numbers on the command line are decimal: "010" is ten (not octal eight), "0x10", "1e3" for a count,
// "nan" and "inf" are refused, and text is "not a number" rather than "not in range". Applied to
// every numeric option of `app` and its subcommands, before their range checks.
void require_decimal_numbers(CLI::App& app);

// Parses `argv` and runs the chosen command; returns the process exit code (2 for a usage error,
// with one line on stderr).
int run_command_line(int argc, const char* const* argv);

}  // namespace xpusim::cli
