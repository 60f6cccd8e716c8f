// `xpusim compile`: an LLM's prefill, decode step or training step compiled into an XPU program.
#pragma once

#include <CLI/CLI.hpp>

#include "output.h"

namespace xpusim::cli {

void add_compile_command(CLI::App& app, const Context& context, int& exit_code);

}  // namespace xpusim::cli
