// `xpusim scalesim`: a lone systolic array timed by SCALE-Sim v2's conventions (docs/scalesim.md).
#pragma once

#include <CLI/CLI.hpp>

#include "output.h"

namespace xpusim::cli {

void add_scalesim_command(CLI::App& app, const Context& context, int& exit_code);

}  // namespace xpusim::cli
