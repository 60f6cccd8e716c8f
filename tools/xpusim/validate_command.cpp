#include "validate_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "validation/validation.h"

namespace xpusim::cli {
namespace {

struct ValidateArgs {
  std::string cases;
  std::vector<std::string> specs;
  bool json = false;
  bool markdown = false;
};

int run_validate(const Context& context, const ValidateArgs& args) {
  // Cases name library specs; a user's spec of the same name (--specs) takes their place.
  SpecInputs inputs(context, args.specs, {});
  if (!inputs.library_ok() || !inputs.checked_ok()) return kExitBadInput;
  const std::string cases = args.cases.empty() ? default_validation_cases(context) : args.cases;
  if (cases.empty()) {
    std::fprintf(stderr,
                 "xpusim: error: cannot find the published measurements (data/validation/published-results.yaml) "
                 "beside the binary; set XPUSIM_DATA to the data/ folder or give --cases FILE\n");
    return kExitBadInput;
  }
  Expected<validation::ValidationReport> report = validation::run_validation(cases, inputs.resolver());
  if (!report.ok()) {
    std::fprintf(stderr, "xpusim: %s\n", report.error().to_string().c_str());
    return kExitBadInput;
  }
  if (args.json) {
    print_json(validation::to_json(*report));
  } else if (args.markdown) {
    const std::string text = validation::to_markdown(*report);
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    std::printf("%-24s %6s %9s %10s %8s %15s\n", "kind", "cases", "held out", "MdAPE", "bound", "not expressible");
    for (const validation::KindSummary& s : report->summary)
      std::printf("%-24s %6d %9d %9s %8s %15d\n", s.kind.c_str(), s.cases, s.held_out,
                  s.median_abs_error_pct ? fmt::format("{:.1f}%", *s.median_abs_error_pct).c_str() : "-",
                  s.bound_pct ? fmt::format("{:.0f}%", *s.bound_pct).c_str() : "-", s.not_expressible);
    std::printf("\nevery case, with its error and method: xpusim validate --markdown (docs/validation.md)\n");
  }
  // A bound exceeded is a model regression, reported as a failure.
  for (const validation::KindSummary& s : report->summary)
    if (s.median_abs_error_pct && s.bound_pct && *s.median_abs_error_pct > *s.bound_pct) return 1;
  return kExitOk;
}

}  // namespace

void add_validate_command(CLI::App& app, const Context& context, int& exit_code) {
  auto args = std::make_shared<ValidateArgs>();
  CLI::App* validate = app.add_subcommand("validate",
                                          "Compare the analytical model with published measurements (GEMM, attention, "
                                          "HBM, NCCL, serving, training)");
  validate->add_option("--cases", args->cases,
                       "A published-results YAML (default: the built-in data/validation/published-results.yaml)");
  add_specs_option(*validate, args->specs);
  auto* json = validate->add_flag("--json", args->json, "Print JSON");
  auto* markdown = validate->add_flag("--markdown", args->markdown, "Print the full report as Markdown");
  json->excludes(markdown);
  validate->callback([&, args] { exit_code = context.parse_only ? kExitOk : run_validate(context, *args); });
}

}  // namespace xpusim::cli
