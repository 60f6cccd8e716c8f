// `xpusim specs list | show | check | schema`: the spec library from the command line.
#pragma once

#include <CLI/CLI.hpp>

#include "output.h"

namespace xpusim::cli {

void add_specs_command(CLI::App& app, const Context& context, int& exit_code);

}  // namespace xpusim::cli
