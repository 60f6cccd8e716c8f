// `xpusim crosscheck`: the analytical model held against the cycle engine, op by op, on one chip
// (docs/perfsim.md, "The analytical model against perfsim").
#pragma once

#include <CLI/CLI.hpp>

#include "output.h"

namespace xpusim::cli {

void add_crosscheck_command(CLI::App& app, const Context& context, int& exit_code);

}  // namespace xpusim::cli
