#include "crosscheck_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cycle/grid.h"

namespace xpusim::cli {
namespace {

using Json = nlohmann::ordered_json;

struct CrosscheckArgs {
  std::string chip = "xpu-1", model = "llama3-8b";
  std::vector<std::string> specs;
  bool json = false, fit = false;
  cycle::GridOptions grid;
};

Json fit_json(const cycle::Fit& f) {
  return {{"matmul", f.matmul},           {"attention", f.attention},
          {"vector", f.vector},           {"hbm", f.hbm},
          {"kernel_overhead_us", f.overhead_us},
          {"median_abs_error_pct", f.after.median_abs_error_pct},
          {"max_abs_error_pct", f.after.max_abs_error_pct},
          {"within_10_pct", f.after.within_10_pct}};
}

int run_crosscheck(const Context& context, const CrosscheckArgs& args) {
  SpecInputs inputs(context, args.specs, {args.model, args.chip});
  if (!inputs.library_ok()) return kExitBadInput;
  const spec::Document* model_doc = inputs.resolve(spec::Kind::model, args.model);
  const spec::Document* chip_doc = inputs.resolve(spec::Kind::chip, args.chip);
  if (!inputs.checked_ok() || !model_doc || !chip_doc) return kExitBadInput;
  const auto& model = std::get<spec::ModelSpec>(model_doc->spec);
  const auto& chip = std::get<spec::ChipSpec>(chip_doc->spec);
  Expected<std::vector<cycle::GridRow>> rows = cycle::run_grid(model, chip, args.grid);
  if (!rows.ok()) {
    std::fprintf(stderr, "xpusim: %s\n", rows.error().to_string().c_str());
    return kExitBadInput;
  }
  const cycle::GridSummary summary = cycle::summarize(*rows);
  if (args.json) {
    Json out;
    out["chip"] = chip.name;
    out["model"] = model.name;
    Json list = Json::array();
    for (const cycle::GridRow& r : *rows)
      list.push_back({{"workload", r.workload},
                      {"op", r.op},
                      {"kind", r.kind},
                      {"shape", r.shape},
                      {"analytical_s", r.analytical_s},
                      {"cycle_s", r.cycle_s},
                      {"cycles", r.cycles},
                      {"error_pct", r.error_pct},
                      {"analytical_bound", r.analytical_bound},
                      {"cycle_bound", r.cycle_bound}});
    out["rows"] = std::move(list);
    out["summary"] = {{"rows", summary.rows},
                      {"median_abs_error_pct", summary.median_abs_error_pct},
                      {"max_abs_error_pct", summary.max_abs_error_pct},
                      {"within_10_pct", summary.within_10_pct}};
    if (args.fit) out["fit"] = fit_json(cycle::fit_efficiency(*rows));
    print_json(out);
    return kExitOk;
  }
  std::printf("%s on %s: each distinct op timed by the analytical model and by the cycle engine\n\n",
              model.name.c_str(), chip.name.c_str());
  std::printf("%-22s %-28s %-10s %12s %12s %11s %8s  %s\n", "workload", "op", "kind", "analytical us", "cycle us",
              "cycles", "error", "bound (analytical / cycle)");
  for (const cycle::GridRow& r : *rows)
    std::printf("%-22s %-28s %-10s %12.2f %12.2f %11llu %7.1f%%  %s / %s\n", r.workload.c_str(), r.op.c_str(),
                r.kind.c_str(), r.analytical_s * 1e6, r.cycle_s * 1e6, static_cast<unsigned long long>(r.cycles),
                r.error_pct, r.analytical_bound.c_str(), r.cycle_bound.c_str());
  std::printf("\n%d ops: median |error| %.1f%%, max %.1f%%, %d within 10%%\n", summary.rows,
              summary.median_abs_error_pct, summary.max_abs_error_pct, summary.within_10_pct);
  if (args.fit) {
    const cycle::Fit f = cycle::fit_efficiency(*rows);
    std::printf(
        "\nfitted to the cycle engine (%s's efficiency block):\n  matmul %.2f, attention %.2f, vector %.2f, hbm %.2f, "
        "kernel_overhead_us %.2f\n  with them: median |error| %.1f%%, max %.1f%%, %d of %d within 10%%\n",
        chip.name.c_str(), f.matmul, f.attention, f.vector, f.hbm, f.overhead_us, f.after.median_abs_error_pct,
        f.after.max_abs_error_pct, f.after.within_10_pct, f.after.rows);
  }
  return kExitOk;
}

}  // namespace

void add_crosscheck_command(CLI::App& app, const Context& context, int& exit_code) {
  auto args = std::make_shared<CrosscheckArgs>();
  CLI::App* command = app.add_subcommand(
      "crosscheck", "Hold the analytical model against the cycle-level simulator, op by op, on a custom chip");
  command->add_option("--chip", args->chip, "Chip: a library name (xpu-1) or a YAML file")->capture_default_str();
  command->add_option("--model", args->model, "Model whose prefill, decode and training ops make the grid")
      ->capture_default_str();
  command->add_option("--decode-batches", args->grid.decode_batches, "Batches of the decode steps in the grid")
      ->delimiter(',')
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 16))
      ->capture_default_str();
  command->add_option("--context", args->grid.context, "Context of the decode steps")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20))
      ->capture_default_str();
  command->add_option("--prefill-batches", args->grid.prefill_batches, "Batches of the prefills (none: 0)")
      ->delimiter(',')
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 16))
      ->capture_default_str();
  command->add_option("--prompt", args->grid.prompt, "Prompt tokens of the prefills")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20))
      ->capture_default_str();
  command->add_option("--train-seq", args->grid.train_seq, "Sequence of the training step (0: no training step)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 20))
      ->capture_default_str();
  add_specs_option(*command, args->specs);
  command->add_flag("--fit", args->fit,
                    "Also fit the analytical model's efficiencies and fixed time per op to the cycle engine");
  command->add_flag("--json", args->json, "Print JSON");
  command->footer("Example:\n  xpusim crosscheck --chip xpu-1 --model llama3-8b");
  command->callback([&, args] { exit_code = context.parse_only ? kExitOk : run_crosscheck(context, *args); });
}

}  // namespace xpusim::cli
