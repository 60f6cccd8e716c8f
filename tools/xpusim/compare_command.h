// `xpusim compare`: the build-or-buy table of systems on a workload.
#pragma once

#include <CLI/CLI.hpp>

#include "output.h"

namespace xpusim::cli {

void add_compare_command(CLI::App& app, const Context& context, int& exit_code);

}  // namespace xpusim::cli
