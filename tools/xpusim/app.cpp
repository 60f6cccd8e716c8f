#include "app.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "compare_command.h"
#include "compile_command.h"
#include "crosscheck_command.h"
#include "cost_command.h"
#include "isa_command.h"
#include "llm_command.h"
#include "run_command.h"
#include "scalesim_command.h"
#include "specs_command.h"
#include "support/text.h"
#include "validate_command.h"

namespace xpusim::cli {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "" when `text` is a decimal integer (an optional sign, digits), else why not; leading zeros are
// removed so that the conversion that follows cannot read the digits as octal.
std::string decimal_integer(std::string& text) {
  std::size_t at = text[0] == '-' || text[0] == '+' ? 1 : 0;
  if (at == text.size()) return quote_value(text) + " is not a number";
  for (std::size_t i = at; i < text.size(); ++i)
    if (!is_digit(text[i])) {
      const bool numeric_form = text.find_first_not_of("0123456789+-.eExXabcdefABCDEF") == std::string::npos &&
                                is_digit(text[at]);
      return quote_value(text) + (numeric_form ? " is not a whole decimal number" : " is not a number");
    }
  const std::size_t first_nonzero = text.find_first_not_of('0', at);
  text.erase(at, (first_nonzero == std::string::npos ? text.size() - 1 : first_nonzero) - at);
  if (text[0] == '+') text.erase(0, 1);
  return {};
}

// "" when `text` is a finite decimal number (digits with an optional point and exponent).
std::string decimal_real(const std::string& text) {
  std::size_t i = text[0] == '-' || text[0] == '+' ? 1 : 0;
  std::size_t digits = 0;
  while (i < text.size() && is_digit(text[i])) ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && is_digit(text[i])) ++i, ++digits;
  }
  if (digits > 0 && i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < text.size() && (text[j] == '-' || text[j] == '+')) ++j;
    const std::size_t exponent_start = j;
    while (j < text.size() && is_digit(text[j])) ++j;
    if (j > exponent_start) i = j;
  }
  if (digits == 0 || i != text.size()) return quote_value(text) + " is not a number";
  const double value = std::strtod(text.c_str(), nullptr);
  if (!std::isfinite(value)) return quote_value(text) + " is out of range";
  return {};
}

void add_decimal_checks(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    // The base type, before the descriptions of validators already attached ("INT:INT in [1 - 64]").
    const std::string full_type = option->get_type_name();
    const std::string type = full_type.substr(0, full_type.find(':'));
    if (type == "INT" || type == "UINT") {
      option->transform(CLI::Validator(
          [](std::string& text) { return text.empty() ? std::string("an empty value is not a number") : decimal_integer(text); },
          "", "decimal integer"));
    } else if (type == "FLOAT") {
      option->transform(CLI::Validator(
          [](std::string& text) { return text.empty() ? std::string("an empty value is not a number") : decimal_real(text); },
          "", "decimal number"));
    }
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) add_decimal_checks(*sub);
}

}  // namespace

void require_decimal_numbers(CLI::App& app) { add_decimal_checks(app); }

std::unique_ptr<CLI::App> build_app(const Context& context, int& exit_code) {
  auto app = std::make_unique<CLI::App>("xpusim: design, simulate and cost AI accelerators, from one chip to a datacenter.",
                                        "xpusim");
  app->set_version_flag("--version", std::string("xpusim ") + XPUSIM_VERSION);
  app->require_subcommand(1);
  app->footer(
      "Examples:\n"
      "  xpusim specs list --kind chip\n"
      "  xpusim specs show h100-sxm\n"
      "  xpusim specs check my-chip.yaml\n"
      "  xpusim specs show llama3-70b --json\n"
      "  xpusim llm serve --model llama3-8b --chip h100-sxm --batch 1 --prompt 2048 --gen 256\n"
      "  xpusim llm serve --model llama3-70b --system dgx-h100 --tp 8 --batch 64 --dtype fp8\n"
      "  xpusim cost --chip xpu-1 --volume 500000\n"
      "  xpusim compare --workload serve-llama3-70b-50ms --systems xpu-1-node,dgx-h100\n"
      "  xpusim scalesim --topology tests/data/scalesim/Resnet18.csv --rows 128 --cols 128 --dataflow os\n"
      "  xpusim asm examples/isa/matmul-gelu.s -o matmul-gelu.xbin\n"
      "  xpusim disasm matmul-gelu.xbin\n"
      "  xpusim run matmul-gelu.xbin --chip xpu-1 --trace matmul-gelu.json\n"
      "  xpusim compile --model llama3-8b --phase decode --chip xpu-1 -o decode.xbin\n"
      "\nSpecs named on the command line are looked up in the built-in library (specs/ beside the binary,\n"
      "or $XPUSIM_SPECS); a path is read as a file. Exit status: 0 success, 2 bad input (validate: 1 when\n"
      "a kind's error exceeds its bound).");
  add_specs_command(*app, context, exit_code);
  add_llm_command(*app, context, exit_code);
  add_validate_command(*app, context, exit_code);
  add_cost_command(*app, context, exit_code);
  add_compare_command(*app, context, exit_code);
  add_scalesim_command(*app, context, exit_code);
  add_isa_commands(*app, context, exit_code);
  add_run_command(*app, context, exit_code);
  add_compile_command(*app, context, exit_code);
  add_crosscheck_command(*app, context, exit_code);
  require_decimal_numbers(*app);
  return app;
}

int run_command_line(int argc, const char* const* argv) {
  const Context context{argc > 0 ? argv[0] : "xpusim"};
  int exit_code = kExitOk;
  std::unique_ptr<CLI::App> app = build_app(context, exit_code);
  try {
    app->parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app->exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app->exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "xpusim: error: %s (run 'xpusim --help' for usage)\n", e.what());
    return kExitBadInput;
  }
  return exit_code;
}

}  // namespace xpusim::cli
