// `xpusim llm serve`: how fast a model serves on a chip or system, explained op by op.
#pragma once

#include <CLI/CLI.hpp>

#include "output.h"

namespace xpusim::cli {

void add_llm_command(CLI::App& app, const Context& context, int& exit_code);

}  // namespace xpusim::cli
