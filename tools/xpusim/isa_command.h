// `xpusim asm` and `xpusim disasm`: the XPU's assembly text to an .xbin program and back (docs/isa.md).
#pragma once

#include <CLI/CLI.hpp>

#include "output.h"

namespace xpusim::cli {

void add_isa_commands(CLI::App& app, const Context& context, int& exit_code);

}  // namespace xpusim::cli
