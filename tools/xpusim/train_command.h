// `xpusim llm train`: the step time of a parallel training plan on a cluster, and its breakdown.
#pragma once

#include <CLI/CLI.hpp>

#include "output.h"

namespace xpusim::cli {

void add_train_command(CLI::App& llm, const Context& context, int& exit_code);

}  // namespace xpusim::cli
