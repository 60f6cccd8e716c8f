// xpusim: the command-line driver. It parses options and calls the library; each subcommand lives in
// its own file. Exit codes: 0 success, 2 bad input or usage (one line per problem on stderr).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "compare_command.h"
#include "cost_command.h"
#include "llm_command.h"
#include "output.h"
#include "specs_command.h"
#include "validate_command.h"

int main(int argc, char** argv) {
  xpusim::cli::Context context{argc > 0 ? argv[0] : "xpusim"};
  CLI::App app{"xpusim: design, simulate and cost AI accelerators, from one chip to a datacenter.", "xpusim"};
  app.set_version_flag("--version", std::string("xpusim ") + XPUSIM_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  xpusim specs list --kind chip\n"
      "  xpusim specs show h100-sxm\n"
      "  xpusim specs check my-chip.yaml\n"
      "  xpusim specs show llama3-70b --json\n"
      "  xpusim llm serve --model llama3-8b --chip h100-sxm --batch 1 --prompt 2048 --gen 256\n"
      "  xpusim llm serve --model llama3-70b --system dgx-h100 --tp 8 --batch 64 --dtype fp8\n"
      "  xpusim cost --chip xpu-1 --volume 500000\n"
      "  xpusim compare --workload serve-llama3-70b-50ms --systems xpu-1-node,dgx-h100\n"
      "\nSpecs named on the command line are looked up in the built-in library (specs/ beside the binary,\n"
      "or $XPUSIM_SPECS); a path is read as a file. Exit status: 0 success, 2 bad input (validate: 1 when\n"
      "a kind's error exceeds its bound).");

  int exit_code = xpusim::cli::kExitOk;
  xpusim::cli::add_specs_command(app, context, exit_code);
  xpusim::cli::add_llm_command(app, context, exit_code);
  xpusim::cli::add_validate_command(app, context, exit_code);
  xpusim::cli::add_cost_command(app, context, exit_code);
  xpusim::cli::add_compare_command(app, context, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "xpusim: error: %s (run 'xpusim --help' for usage)\n", e.what());
    return xpusim::cli::kExitBadInput;
  }
  return exit_code;
}
