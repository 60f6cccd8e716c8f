// `xpusim validate`: the analytical model against published measurements (docs/validation.md).
#pragma once

#include <CLI/CLI.hpp>

#include "output.h"

namespace xpusim::cli {

void add_validate_command(CLI::App& app, const Context& context, int& exit_code);

}  // namespace xpusim::cli
