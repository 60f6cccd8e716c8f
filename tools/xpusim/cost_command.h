// `xpusim cost`: what one chip costs to make, from its spec and its process spec.
#pragma once

#include <CLI/CLI.hpp>

#include "output.h"

namespace xpusim::cli {

void add_cost_command(CLI::App& app, const Context& context, int& exit_code);

}  // namespace xpusim::cli
