// `xpusim run`: an .xbin program timed by the cycle-level simulator (docs/perfsim.md) on a chip.
#pragma once

#include <CLI/CLI.hpp>

#include "output.h"

namespace xpusim::cli {

void add_run_command(CLI::App& app, const Context& context, int& exit_code);

}  // namespace xpusim::cli
