#include "compare_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "compare/compare.h"
#include "report/report.h"
#include "support/input_file.h"
#include "support/text.h"

namespace xpusim::cli {
namespace {

using Json = nlohmann::ordered_json;

struct CompareArgs {
  std::string workload = "serve-llama3-70b-50ms";
  std::vector<std::string> systems = {"xpu-1-node", "dgx-h100", "gb200-nvl72"};
  std::string datacenter = "us-hyperscale-2025";
  double volume = 100'000;
  int respins = 0;
  std::optional<std::int64_t> year;  // the custom chips arrive then, against the newest systems of that year
  bool systems_given = false;
  bool json = false;
  std::string report;  // HTML report to write, if any
  std::vector<std::string> specs;
};

Json row_json(const compare::SystemRow& r) {
  Json j{{"system", r.system}, {"chip", r.chip}, {"chips", r.chips}, {"custom", r.custom}};
  if (r.available_year) j["available_year"] = *r.available_year;
  if (!r.problem.empty()) j["problem"] = r.problem;
  if (r.tokens_per_s <= 0) return j;
  if (r.run_hours > 0) {
    j["config"] = r.config;
    j["systems_used"] = r.systems_used;
    j["chips_used"] = r.chips_used;
    if (!r.placement.empty()) j["placement"] = r.placement;
    j["run"] = {{"hours", r.run_hours},
                {"mwh", r.run_mwh},
                {"max_mw", r.max_power_w * static_cast<double>(r.systems_used) / 1e6},
                {"usd", r.capex_usd ? Json(r.run_usd) : Json(nullptr)}};
    if (r.run_rent_on_demand_usd) j["run"]["rent_on_demand_usd"] = *r.run_rent_on_demand_usd;
    if (r.run_rent_committed_usd) j["run"]["rent_committed_usd"] = *r.run_rent_committed_usd;
  } else {
    j["config"] = {{"tp", r.best.tp},
                   {"batch_per_replica", r.best.batch},
                   {"ttft_s", r.best.ttft_s},
                   {"tpot_s", r.best.tpot_s}};
  }
  j["tokens_per_s"] = r.tokens_per_s;
  j["power_w"] = r.power_w;
  j["max_power_w"] = r.max_power_w;
  j["power_basis"] = r.power_basis;
  if (r.chip_power) {
    const econ::PowerEstimate& p = *r.chip_power;
    j["power_breakdown_w"] = {{"compute", p.compute_w}, {"sram", p.sram_w}, {"hbm", p.hbm_w},
                              {"links", p.links_w},     {"static", p.static_w}};
    j["tdp_slowdown"] = p.slowdown;
  }
  Json op_time = Json::object();
  for (const auto& [part, seconds] : r.op_time_s) op_time[part] = seconds;
  j["op_time_s"] = std::move(op_time);
  j["tokens_per_joule"] = r.tokens_per_joule;
  j["in_datacenter"] = {{"systems", r.systems_in_datacenter},
                        {"chips", r.systems_in_datacenter * r.chips},
                        {"racks", r.racks_in_datacenter},
                        {"rack_power_w", r.rack_power_w},
                        {"tokens_per_s", r.tokens_per_s_in_datacenter}};
  if (r.network_capex_usd > 0) j["network_capex_usd"] = r.network_capex_usd;
  if (r.scale_up_capex_usd > 0) j["scale_up_capex_usd"] = r.scale_up_capex_usd;
  if (r.capex_usd) {
    j["capex_usd"] = *r.capex_usd;
    j["capex_basis"] = r.capex_basis;
    j["tco_usd_per_hour"] = {{"hardware", r.tco.hardware_usd_per_hour},
                             {"energy", r.tco.energy_usd_per_hour},
                             {"facility", r.tco.facility_usd_per_hour},
                             {"operations", r.tco.operations_usd_per_hour},
                             {"total", r.tco.total_usd_per_hour()}};
    j["tco_usd_per_chip_hour"] = r.tco.total_usd_per_hour() / static_cast<double>(r.chips);
    j["usd_per_million_tokens"] = *r.usd_per_mtoken;
  }
  if (const std::optional<compare::RentCost>& rent = r.rent) {
    Json rj{{"provider", rent->provider}, {"as_of", rent->as_of}};
    const auto put = [&rj](const char* key, const auto& value) {
      if (value) rj[key] = *value;
    };
    put("on_demand_usd_per_chip_hour", rent->on_demand_usd_per_chip_hour);
    put("committed_usd_per_chip_hour", rent->committed_usd_per_chip_hour);
    put("committed_years", rent->committed_years);
    put("usd_per_million_tokens_on_demand", rent->on_demand_usd_per_mtoken);
    put("usd_per_million_tokens_committed", rent->committed_usd_per_mtoken);
    if (rent->on_demand_usd_per_chip_hour && r.capex_usd)
      rj["own_cheaper_above_utilization"] =
          rent->own_cheaper_above_utilization ? Json(*rent->own_cheaper_above_utilization) : Json(nullptr);
    j["rent"] = std::move(rj);
  }
  if (r.chip_cost)
    j["chip_cost_usd"] = {{"manufacturing", r.chip_cost->manufacturing_usd},
                          {"partner_margin", r.chip_cost->partner_margin_usd},
                          {"program", r.chip_cost->program_usd},
                          {"nre", r.chip_cost->nre_usd},
                          {"nre_per_unit", r.chip_cost->nre_per_unit_usd},
                          {"total_per_unit", r.chip_cost->total_per_unit_usd}};
  if (!r.usd_per_mtoken_by_volume.empty()) {
    Json curve = Json::array();
    for (const auto& [volume, usd] : r.usd_per_mtoken_by_volume)
      curve.push_back({{"volume", volume}, {"usd_per_million_tokens", usd}});
    j["usd_per_million_tokens_by_volume"] = std::move(curve);
  }
  if (!r.break_even.empty()) {
    Json be = Json::array();
    for (const compare::BreakEven& b : r.break_even)
      be.push_back({{"against", b.against},
                    {"basis", b.basis},
                    {"usd_per_million_tokens", b.usd_per_mtoken},
                    {"volume", b.volume ? Json(*b.volume) : Json(nullptr)}});
    j["break_even"] = std::move(be);
  }
  return j;
}

// The document --json prints and --report draws.
Json comparison_json(const spec::WorkloadSpec& workload, const spec::DatacenterSpec& datacenter, double volume,
                     const compare::Comparison& table) {
  const spec::ServeTarget& t = workload.serve;
  const spec::TrainTarget& tr = workload.train;
  Json out{{"workload", workload.name}};
  if (workload.has_serve)
    out["serve"] = {{"model", t.model}, {"prompt", t.prompt}, {"gen", t.gen}, {"tpot_ms_max", t.tpot_ms_max},
                    {"dtype", t.dtype}};
  else
    out["train"] = {{"model", tr.model}, {"tokens", tr.tokens},       {"seq", tr.seq},       {"global_batch", tr.global_batch},
                    {"chips", tr.chips}, {"dtype", tr.dtype},         {"fabric", tr.fabric}};
  out["datacenter"] = datacenter.name;
  out["volume"] = volume;
  if (table.year) out["year"] = *table.year;
  out["op_time_basis"] = workload.has_serve ? "seconds per decode step" : "seconds per training step";
  Json rows = Json::array();
  for (const compare::SystemRow& r : table.rows) rows.push_back(row_json(r));
  out["systems"] = std::move(rows);
  return out;
}

// Writes the HTML report of `comparison` to `path` ("-": standard output), whole or not at all; false,
// after saying why on stderr, when it cannot.
bool write_report(const std::string& path, const Json& comparison) {
  const std::string html = report::render_html(comparison);
  if (path == "-") return std::fwrite(html.data(), 1, html.size(), stdout) == html.size() && std::fflush(stdout) == 0;
  std::string error;
  if (write_file_atomically(path, html, error)) return true;
  std::fprintf(stderr, "xpusim: error: cannot write the report to %s: %s\n", quote_value(path).c_str(), error.c_str());
  return false;
}

std::string usd_per_mtoken_text(const std::optional<double>& usd) { return usd ? format_usd(*usd) : "-"; }

// Owning against renting, for each system with published cloud prices.
void print_rent(const compare::Comparison& table) {
  const bool any = std::any_of(table.rows.begin(), table.rows.end(), [](const compare::SystemRow& r) { return r.rent.has_value(); });
  if (!any) return;
  std::printf("\nowning against renting, $ per million tokens (a rent price covers power, facility and operations):\n");
  std::printf("  %-18s %9s %11s %11s  %s\n", "system", "own", "on demand", "committed", "cloud price per chip-hour");
  for (const compare::SystemRow& r : table.rows) {
    if (!r.rent) continue;
    const compare::RentCost& rent = *r.rent;
    std::string prices;
    if (rent.on_demand_usd_per_chip_hour) prices += format_usd(*rent.on_demand_usd_per_chip_hour) + " on demand";
    if (rent.committed_usd_per_chip_hour)
      prices += (prices.empty() ? "" : ", ") + format_usd(*rent.committed_usd_per_chip_hour) + " for " +
                std::to_string(rent.committed_years.value_or(1)) + " year" + (rent.committed_years.value_or(1) == 1 ? "" : "s");
    std::printf("  %-18s %9s %11s %11s  %s (%s, %s)\n", r.system.c_str(), usd_per_mtoken_text(r.usd_per_mtoken).c_str(),
                usd_per_mtoken_text(rent.on_demand_usd_per_mtoken).c_str(),
                usd_per_mtoken_text(rent.committed_usd_per_mtoken).c_str(), prices.c_str(), rent.provider.c_str(),
                rent.as_of.c_str());
    if (r.usd_per_mtoken && rent.on_demand_usd_per_chip_hour)
      std::printf("  %-18s %s\n", "",
                  rent.own_cheaper_above_utilization
                      ? fmt::format("owning beats renting on demand when busy more than {:.0f}% of the hours",
                                    100 * *rent.own_cheaper_above_utilization)
                            .c_str()
                      : "renting on demand beats owning even when always busy");
  }
}

int run_compare(const Context& context, const CompareArgs& args) {
  if (args.json && args.report == "-") {
    std::fprintf(stderr, "xpusim: error: --json and --report - both write to standard output: give the report a file\n");
    return kExitBadInput;
  }
  std::vector<std::string> targets = args.systems;
  targets.push_back(args.workload);
  targets.push_back(args.datacenter);
  SpecInputs inputs(context, args.specs, targets);
  if (!inputs.library_ok()) return kExitBadInput;
  const spec::Document* workload_doc = inputs.resolve(spec::Kind::workload, args.workload);
  const spec::Document* datacenter_doc = inputs.resolve(spec::Kind::datacenter, args.datacenter);
  std::vector<const spec::SystemSpec*> systems;
  for (const std::string& name : args.systems)
    if (const spec::Document* d = inputs.resolve(spec::Kind::system, name))
      systems.push_back(&std::get<spec::SystemSpec>(d->spec));
  if (!inputs.checked_ok() || !workload_doc || !datacenter_doc) return kExitBadInput;
  // --year without --systems: the custom systems asked for (by default xpu-1-node) against the newest
  // systems of the year; with --systems, those systems, each row saying if it ships too late.
  std::string year_basis;
  if (args.year && !args.systems_given) {
    std::erase_if(systems, [&](const spec::SystemSpec* system) {
      const spec::Document* chip = inputs.resolver().find(spec::Kind::chip, system->chip);
      return !chip || std::get<spec::ChipSpec>(chip->spec).family != "xpu";
    });
    for (const spec::SystemSpec* rival : compare::newest_systems_of_year(inputs.resolver(), *args.year, year_basis))
      systems.push_back(rival);
  }
  const auto& workload = std::get<spec::WorkloadSpec>(workload_doc->spec);
  const auto& datacenter = std::get<spec::DatacenterSpec>(datacenter_doc->spec);
  Expected<compare::Comparison> table = compare::compare_workload(
      workload, systems, datacenter, inputs.resolver(), compare::CompareOptions{args.volume, args.respins, args.year});
  if (!table.ok()) {
    std::fprintf(stderr, "xpusim: %s\n", table.error().to_string().c_str());
    return kExitBadInput;
  }
  // One document for --json, the report and the text's opening answer.
  Json out = comparison_json(workload, datacenter, args.volume, *table);
  if (!year_basis.empty()) out["year_basis"] = year_basis;
  if (args.json || !args.report.empty()) {
    if (!args.report.empty() && !write_report(args.report, out)) return kExitBadInput;
    if (args.report == "-") return kExitOk;  // the page is the output
    if (args.json) {
      print_json(out);
      return kExitOk;
    }
  }
  const spec::ServeTarget& t = workload.serve;
  const spec::TrainTarget& tr = workload.train;
  if (workload.has_serve)
    std::printf("%s: serve %s (%s), %lld-token prompts, %lld-token answers, at most %s ms per token\n",
                workload.name.c_str(), t.model.c_str(), t.dtype.c_str(), static_cast<long long>(t.prompt),
                static_cast<long long>(t.gen), format_number(t.tpot_ms_max).c_str());
  else
    std::printf("%s: train %s (%s) on %s tokens, %s chips joined by %s, global batch %lld x %lld tokens\n",
                workload.name.c_str(), tr.model.c_str(), tr.dtype.c_str(), (tr.tokens >= 1e9 ? format_significant(tr.tokens / 1e9, 4) + "B" : format_grouped(tr.tokens)).c_str(),
                format_grouped(static_cast<double>(tr.chips)).c_str(), tr.fabric.c_str(),
                static_cast<long long>(tr.global_batch), static_cast<long long>(tr.seq));
  std::printf("costed in %s; custom chips at a volume of %s%s\n", datacenter.name.c_str(),
              format_grouped(args.volume).c_str(),
              args.year ? (", arriving in " + std::to_string(*args.year)).c_str() : "");
  if (!year_basis.empty()) std::printf("set against %s\n", year_basis.c_str());
  std::printf("\n%s\n", report::answer_sentence(out).c_str());
  std::printf("\n%-18s %5s %-24s %7s %7s %10s %8s %8s %9s %8s %9s\n", "system", "chips", "config", "TTFT", "ms/tok",
              "tokens/s", "tok/J", "power", "capex", "TCO/h", "$/Mtoken");
  for (const compare::SystemRow& r : table->rows) {
    if (r.tokens_per_s <= 0) {
      std::printf("%-18s %5lld  %s\n", r.system.c_str(), static_cast<long long>(r.chips), r.problem.c_str());
      continue;
    }
    const std::string ttft = !workload.has_serve       ? "-"
                             : r.best.ttft_s < 1 ? fmt::format("{:.0f}ms", r.best.ttft_s * 1e3)
                                                 : fmt::format("{:.1f}s", r.best.ttft_s);
    std::printf("%-18s %5lld %-24s %7s %7s %10.0f %8.2f %6.1fkW %9s %8s %9s%s\n", r.system.c_str(),
                static_cast<long long>(r.chips), r.config.c_str(), ttft.c_str(),
                workload.has_serve ? fmt::format("{:.1f}", r.best.tpot_s * 1e3).c_str() : "-", r.tokens_per_s,
                r.tokens_per_joule, r.power_w / 1e3,
                r.capex_usd ? format_usd(*r.capex_usd).c_str() : "-",
                r.capex_usd ? format_usd(r.tco.total_usd_per_hour()).c_str() : "-",
                r.usd_per_mtoken ? format_usd(*r.usd_per_mtoken).c_str() : "-",
                !r.problem.empty() ? ("  " + r.problem).c_str()
                : !r.capex_usd && r.rent ? "  not sold: rented, below"
                                         : "");
  }
  if (workload.has_train) {
    std::printf("\nthe whole run (per-system figures above are each system's share):\n");
    for (const compare::SystemRow& r : table->rows)
      if (r.run_hours > 0)
        std::printf("  %-18s %5s systems, %-24s %6.1f days, %5.1f MW, %8.0f MWh, %s%s\n", r.system.c_str(),
                    format_grouped(static_cast<double>(r.systems_used)).c_str(), r.config.c_str(), r.run_hours / 24,
                    r.max_power_w * static_cast<double>(r.systems_used) / 1e6, r.run_mwh,
                    r.capex_usd ? format_usd(r.run_usd).c_str() : "no price",
                    r.run_rent_on_demand_usd || r.run_rent_committed_usd
                        ? fmt::format("; rented {}{}{}",
                                      r.run_rent_committed_usd ? format_usd(*r.run_rent_committed_usd) + " committed" : "",
                                      r.run_rent_committed_usd && r.run_rent_on_demand_usd ? ", " : "",
                                      r.run_rent_on_demand_usd ? format_usd(*r.run_rent_on_demand_usd) + " on demand" : "")
                              .c_str()
                        : "");
    for (const compare::SystemRow& r : table->rows)
      if (r.run_hours > 0 && !r.placement.empty())
        std::printf("  %-18s uses %s chips of %s: %s\n", r.system.c_str(),
                    format_grouped(static_cast<double>(r.chips_used)).c_str(),
                    format_grouped(static_cast<double>(r.systems_used * r.chips)).c_str(), r.placement.c_str());
  }
  const bool any = std::any_of(table->rows.begin(), table->rows.end(),
                               [](const compare::SystemRow& r) { return r.tokens_per_s > 0; });
  if (any)
    std::printf("\nin the %s MW of %s:\n", format_number(datacenter.critical_power_mw).c_str(),
                datacenter.name.c_str());
  for (const compare::SystemRow& r : table->rows)
    if (r.tokens_per_s > 0)
      std::printf("  %-18s %7s systems, %9s chips, %6s racks of %5.1f kW, %7.1f M tokens/s\n", r.system.c_str(),
                  format_grouped(static_cast<double>(r.systems_in_datacenter)).c_str(),
                  format_grouped(static_cast<double>(r.systems_in_datacenter * r.chips)).c_str(),
                  r.racks_in_datacenter > 0 ? format_grouped(static_cast<double>(r.racks_in_datacenter)).c_str() : "-",
                  r.rack_power_w / 1e3, r.tokens_per_s_in_datacenter / 1e6);
  for (const compare::SystemRow& r : table->rows)
    if (r.chip_power && r.chip_power->slowdown > 1)
      std::printf("\n%s: the chips would draw %.0f W, over their TDP; capped, they run at %.0f%% clock\n",
                  r.system.c_str(), r.chip_power->uncapped_w, 100 / r.chip_power->slowdown);
  print_rent(*table);
  for (const compare::SystemRow& r : table->rows) {
    if (r.break_even.empty()) continue;
    const econ::UnitCost& c = *r.chip_cost;
    std::printf("\n%s (custom): %s per chip to make, %s design partner margin, %s of NRE per chip at this volume\n",
                r.system.c_str(), format_usd(c.manufacturing_usd).c_str(), format_usd(c.partner_margin_usd).c_str(),
                format_usd(c.nre_per_unit_usd).c_str());
    std::printf("  NRE %s: masks %s%s, design %s, program %s\n", format_usd(c.nre_usd).c_str(),
                format_usd(c.mask_set_usd).c_str(),
                c.respins > 0 ? fmt::format(" + {} re-spin{} {}", c.respins, c.respins == 1 ? "" : "s",
                                            format_usd(c.respin_usd)).c_str()
                              : "",
                format_usd(c.design_usd).c_str(),
                c.program_usd > 0 ? format_usd(c.program_usd).c_str() : "none given (the chip spec has no program:)");
    for (const compare::BreakEven& b : r.break_even)
      std::printf("  breaks even with %-18s %-15s at %8s/Mtoken: %s\n", (b.against + ",").c_str(), b.basis.c_str(),
                  format_usd(b.usd_per_mtoken).c_str(),
                  b.volume ? fmt::format("from {} chips", format_grouped(std::ceil(*b.volume))).c_str()
                           : "never (dearer per token even with the NRE paid off)");
  }
  std::printf(
      "\nWhat the numbers rest on: throughput from the analytical serving model (best tp and batch within the\n"
      "target) or training model (the fastest plan that fits, as llm train --search), slowed where a chip\n"
      "would exceed its TDP; power is the average while working, from the process energy model (MACs,\n"
      "SRAM, HBM and link bits, static) plus the rest of the system at its nameplate share, else the\n"
      "nameplate; the datacenter is provisioned for nameplate power; capex is price_usd (some are\n"
      "estimates, as their sources say; custom: the cost model, other_bom_usd and scale-up switches) plus\n"
      "scale-out switch ports and optics; TCO per hour = capex over the hardware life + energy x PUE +\n"
      "facility capex per MW + operations; renting is the published cloud price per chip-hour (rent in the\n"
      "system spec, with its date), which covers power and facility.\n");
  if (!args.report.empty()) std::printf("report: %s\n", args.report.c_str());
  return kExitOk;
}

}  // namespace

void add_compare_command(CLI::App& app, const Context& context, int& exit_code) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* compare =
      app.add_subcommand("compare", "Build or buy: systems side by side on a workload, per token, per watt, per dollar");
  compare->add_option("--workload", args->workload, "Workload spec: a name or a YAML file")->capture_default_str();
  CLI::Option* systems = compare->add_option("--systems", args->systems, "Systems to compare: names or YAML files")
                             ->delimiter(',')
                             ->capture_default_str();
  compare->add_option("--datacenter", args->datacenter, "Datacenter spec the systems are costed in")
      ->capture_default_str();
  compare->add_option("--volume", args->volume, "Chips a custom design is built in (spreads its NRE)")
      ->check(CLI::Range(1.0, 1e12))
      ->capture_default_str();
  add_specs_option(*compare, args->specs);
  compare->add_option("--respins", args->respins,
                      "Mask sets a custom chip makes again after failed tape-outs (added to its NRE)")
      ->check(CLI::Range(0, 10))
      ->capture_default_str();
  compare->add_option("--year", args->year,
                      "Year the custom chip arrives: set against each vendor's newest systems shipping by then "
                      "(with --systems, those systems, and a row for any that ships later)")
      ->check(CLI::Range(spec::kFirstYear, spec::kLastYear));
  compare->add_flag("--json", args->json, "Print JSON");
  compare->add_option("--report", args->report,
                      "Also write the comparison as a self-contained HTML page with charts (opens offline)")
      ->option_text("OUT.html")
      ->check(CLI::Validator(
          [](const std::string& path) { return path.empty() ? std::string("give a file name, or - for standard output") : std::string(); },
          "", "report path"));
  compare->callback([&, args, systems] {
    args->systems_given = systems->count() > 0;
    exit_code = context.parse_only ? kExitOk : run_compare(context, *args);
  });
}

}  // namespace xpusim::cli
