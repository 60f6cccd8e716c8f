#include "cost_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "econ/area.h"
#include "econ/cost.h"
#include "econ/power.h"
#include "support/text.h"

namespace xpusim::cli {
namespace {

using Json = nlohmann::ordered_json;

struct CostArgs {
  std::string chip, process;
  std::vector<std::string> specs;
  double volume = 100'000;
  std::optional<double> die_area_mm2;
  int respins = 0;
  bool json = false;
};

std::string usd(double value) {
  if (value >= 1e9) return fmt::format("${:.2f} B", value / 1e9);
  if (value >= 1e6) return fmt::format("${:.1f} M", value / 1e6);
  return "$" + format_grouped(value);
}

// Every matrix unit busy at its bf16 peak (else fp16, fp8 or int8, the first the chip has), HBM
// streaming at peak and every link sending at full rate, for one second: the most a workload can ask.
econ::Activity peak_activity(const spec::ChipSpec& chip) {
  econ::Activity a;
  a.seconds = 1;
  for (ir::DType dtype : {ir::DType::bf16, ir::DType::fp16, ir::DType::fp8_e4m3, ir::DType::int8}) {
    const double tflops = chip.derived_peak_tflops(ir::dtype_compute_key(dtype));
    if (tflops <= 0) continue;
    a.matrix_flops[static_cast<std::size_t>(dtype)] = tflops * 1e12;
    break;
  }
  a.hbm_bytes = chip.hbm.bandwidth_tb_s * 1e12;
  a.link_bytes = chip.has_links ? static_cast<double>(chip.links.count) * chip.links.bandwidth_gb_s_per_direction * 1e9 : 0;
  return a;
}

std::string peak_dtype(const econ::Activity& a) {
  for (ir::DType dtype : ir::kAllDTypes)
    if (a.matrix_flops[static_cast<std::size_t>(dtype)] > 0) return std::string(ir::dtype_compute_key(dtype));
  return "none";
}

int run_cost(const Context& context, const CostArgs& args) {
  SpecInputs inputs(context, args.specs, {args.chip, args.process});
  if (!inputs.library_ok()) return kExitBadInput;
  const spec::Document* chip_doc = inputs.resolve(spec::Kind::chip, args.chip);
  if (!chip_doc) {
    inputs.checked_ok();
    return kExitBadInput;
  }
  const auto& chip = std::get<spec::ChipSpec>(chip_doc->spec);
  const std::string process_name = args.process.empty() ? chip.process_node : args.process;
  if (process_name == "unknown") {
    std::fprintf(stderr, "xpusim: error: chip %s's process is not published (process_node: unknown); give --process\n",
                 chip.name.c_str());
    return kExitBadInput;
  }
  const spec::Document* process_doc = inputs.resolve(spec::Kind::process, process_name);
  const spec::Document* io_process_doc =
      chip.has_io_die ? inputs.resolve(spec::Kind::process, chip.io_die.process_node) : nullptr;
  if (!inputs.checked_ok() || !process_doc || (chip.has_io_die && !io_process_doc)) return kExitBadInput;
  const auto& process = std::get<spec::ProcessSpec>(process_doc->spec);
  const spec::ProcessSpec* io_process = io_process_doc ? &std::get<spec::ProcessSpec>(io_process_doc->spec) : nullptr;
  const Expected<econ::UnitCost> cost = econ::unit_cost(chip, process, args.volume, args.die_area_mm2, io_process, args.respins);
  if (!cost.ok()) {
    std::fprintf(stderr, "xpusim: %s\n", cost.error().to_string().c_str());
    return kExitBadInput;
  }
  const econ::UnitCost& c = *cost;
  std::optional<econ::AreaEstimate> area;
  if (process.has_area) {
    Expected<econ::AreaEstimate> a = econ::estimate_area(chip, process, io_process);
    if (a.ok()) area = std::move(*a);
  }
  const econ::Activity peak = peak_activity(chip);
  std::optional<econ::PowerEstimate> power;
  if (process.has_energy) {
    Expected<econ::PowerEstimate> p = econ::average_power(chip, process, peak);
    if (p.ok()) power = *p;
  }
  if (args.json) {
    Json out;
    out["chip"] = chip.name;
    out["process"] = process.name;
    out["die"] = {{"area_mm2", c.die_area_mm2},
                  {"area_basis", c.die_area_basis},
                  {"count", c.dies},
                  {"gross_per_wafer", c.gross_dies_per_wafer},
                  {"yield", c.yield},
                  {"good_per_wafer", c.good_dies_per_wafer},
                  {"good_die_usd", c.good_die_usd}};
    if (c.io_dies > 0)
      out["io_die"] = {{"process", io_process->name},
                       {"area_mm2", c.io_die_area_mm2},
                       {"area_basis", c.io_die_area_basis},
                       {"count", c.io_dies},
                       {"yield", c.io_yield},
                       {"good_die_usd", c.io_good_die_usd}};
    out["unit_usd"] = {{"dies", c.dies_usd},
                       {"io_dies", c.io_dies_usd},
                       {"hbm", c.hbm_usd},
                       {"package", c.package_usd},
                       {"test_assembly", c.test_assembly_usd},
                       {"manufacturing", c.manufacturing_usd},
                       {"partner_margin", c.partner_margin_usd}};
    out["partner_margin"] = c.partner_margin;
    out["nre_usd"] = {{"mask_set", c.mask_set_usd}, {"respins", c.respin_usd}, {"design", c.design_usd},
                      {"program", c.program_usd}, {"total", c.nre_usd}};
    if (chip.has_program)
      out["program"] = {{"software_engineers", chip.program.software_engineers},
                        {"bringup_engineers", chip.program.bringup_engineers},
                        {"usd_per_engineer_year", chip.program.usd_per_engineer_year},
                        {"years", chip.program.years}};
    out["respins"] = c.respins;
    out["volume"] = c.volume;
    out["nre_per_unit_usd"] = c.nre_per_unit_usd;
    out["total_per_unit_usd"] = c.total_per_unit_usd;
    out["tdp_w"] = chip.tdp_w;
    if (area) {
      Json blocks = Json::object();
      Json io_blocks = Json::object();
      for (const econ::AreaBlock& b : area->blocks) (b.io_die ? io_blocks : blocks)[b.name] = b.mm2;
      out["area_model"] = {{"blocks_mm2", std::move(blocks)},
                           {"total_mm2", area->total_mm2},
                           {"per_die_mm2", area->per_die_mm2},
                           {"reticle_mm2", area->reticle_mm2},
                           {"fits_reticle", area->per_die_mm2 <= area->reticle_mm2},
                           {"published_mm2", chip.die_area_mm2 ? Json(*chip.die_area_mm2) : Json(nullptr)}};
      if (area->io_dies > 0)
        out["area_model"]["io_die"] = {{"blocks_mm2", std::move(io_blocks)},
                                       {"total_mm2", area->io_total_mm2},
                                       {"per_die_mm2", area->io_per_die_mm2},
                                       {"reticle_mm2", area->io_reticle_mm2},
                                       {"fits_reticle", area->io_per_die_mm2 <= area->io_reticle_mm2}};
    }
    if (power)
      out["peak_power_w"] = {{"dtype", peak_dtype(peak)},
                             {"compute", power->compute_w},
                             {"sram", power->sram_w},
                             {"hbm", power->hbm_w},
                             {"links", power->links_w},
                             {"static", power->static_w},
                             {"uncapped", power->uncapped_w},
                             {"slowdown_at_tdp", power->slowdown}};
    print_json(out);
    return kExitOk;
  }
  std::printf("%s on %s: %lld die%s of %s mm2 (%s)\n\n", chip.name.c_str(), process.name.c_str(),
              static_cast<long long>(c.dies), c.dies == 1 ? "" : "s", format_significant(c.die_area_mm2, 4).c_str(),
              c.die_area_basis == "published" ? "from the chip spec"
              : c.die_area_basis == "given"   ? "given"
                                              : "from the area model");
  std::printf("gross dies per wafer  %.1f  (%s mm wafer, %s mm edge, %s mm scribe)\n", c.gross_dies_per_wafer,
              format_number(process.wafer_diameter_mm).c_str(), format_number(process.edge_exclusion_mm).c_str(),
              format_number(process.scribe_mm).c_str());
  std::printf("yield                 %.1f%%  (negative binomial, D0 %s /cm2, alpha %s)\n", 100 * c.yield,
              format_number(process.defect_density_per_cm2).c_str(), format_number(process.yield_clustering).c_str());
  std::printf("good dies per wafer   %.1f\ncost per good die     %s  (wafer %s)\n\n", c.good_dies_per_wafer,
              usd(c.good_die_usd).c_str(), usd(process.wafer_cost_usd).c_str());
  std::printf("manufacturing cost per package\n");
  std::printf("  compute dies        %10s\n", usd(c.dies_usd).c_str());
  if (c.io_dies > 0)
    std::printf("  I/O dies            %10s  (%lld x %s mm2 %s on %s, %.1f%% yield, %s each)\n",
                usd(c.io_dies_usd).c_str(), static_cast<long long>(c.io_dies),
                format_significant(c.io_die_area_mm2, 4).c_str(), c.io_die_area_basis.c_str(), io_process->name.c_str(),
                100 * c.io_yield, usd(c.io_good_die_usd).c_str());
  std::printf("  HBM                 %10s  (%s GiB at %s/GiB)\n", usd(c.hbm_usd).c_str(), format_number(c.hbm_gib).c_str(),
              usd(process.packaging.hbm_usd_per_gib).c_str());
  std::printf("  package             %10s\n", usd(c.package_usd).c_str());
  std::printf("  test and assembly   %10s\n", usd(c.test_assembly_usd).c_str());
  std::printf("  total               %10s\n", usd(c.manufacturing_usd).c_str());
  std::printf("design partner margin %10s  (%s%% gross margin on what it resells; process spec partner_margin)\n\n",
              usd(c.partner_margin_usd).c_str(), format_significant(100 * c.partner_margin, 3).c_str());
  const std::string respins =
      c.respins > 0 ? fmt::format(" + {} re-spin{} {}", c.respins, c.respins == 1 ? "" : "s", usd(c.respin_usd)) : "";
  const std::string program = chip.has_program ? " + program " + usd(c.program_usd) : "";
  std::printf("NRE %s (masks %s%s + design %s%s) over %s units: %s per unit\n", usd(c.nre_usd).c_str(),
              usd(c.mask_set_usd).c_str(), respins.c_str(), usd(c.design_usd).c_str(), program.c_str(),
              format_grouped(c.volume).c_str(), usd(c.nre_per_unit_usd).c_str());
  if (chip.has_program)
    std::printf("  program: %lld software + %lld bring-up engineers x %s years x %s per engineer-year\n",
                static_cast<long long>(chip.program.software_engineers),
                static_cast<long long>(chip.program.bringup_engineers), format_number(chip.program.years).c_str(),
                usd(chip.program.usd_per_engineer_year).c_str());
  else if (chip.family == "xpu")
    std::printf("  no program: block in the chip spec, so its software and bring-up teams are not costed\n");
  std::printf("total per unit        %s\n", usd(c.total_per_unit_usd).c_str());
  if (area) {
    std::printf("\ndie area model on %s, as built%s\n", process.name.c_str(),
                chip.has_on_die ? " (with the units disabled for yield)" : "");
    if (area->io_dies > 0) std::printf("compute dies:\n");
    for (const econ::AreaBlock& b : area->blocks)
      if (!b.io_die)
        std::printf("  %-18s %8.1f mm2  %5.1f%%\n", b.name.c_str(), b.mm2, 100 * b.mm2 / area->total_mm2);
    std::printf("  %-18s %8.1f mm2", "total", area->total_mm2);
    if (area->dies > 1) std::printf(", %.1f mm2 per die", area->per_die_mm2);
    if (chip.die_area_mm2)
      std::printf("  (published %s mm2 per die: %+.1f%%)", format_number(*chip.die_area_mm2).c_str(),
                  100 * (area->per_die_mm2 / *chip.die_area_mm2 - 1));
    std::printf("\n");
    if (area->per_die_mm2 > area->reticle_mm2)
      std::printf("  over the %s mm2 reticle: needs at least %s dies\n", format_number(area->reticle_mm2).c_str(),
                  format_number(std::ceil(area->total_mm2 / area->reticle_mm2)).c_str());
    if (area->io_dies > 0) {
      std::printf("I/O dies on %s:\n", io_process->name.c_str());
      for (const econ::AreaBlock& b : area->blocks)
        if (b.io_die)
          std::printf("  %-18s %8.1f mm2  %5.1f%%\n", b.name.c_str(), b.mm2, 100 * b.mm2 / area->io_total_mm2);
      std::printf("  %-18s %8.1f mm2, %.1f mm2 per die", "total", area->io_total_mm2, area->io_per_die_mm2);
      if (chip.io_die.area_mm2)
        std::printf("  (published %s mm2 per die: %+.1f%%)", format_number(*chip.io_die.area_mm2).c_str(),
                    100 * (area->io_per_die_mm2 / *chip.io_die.area_mm2 - 1));
      std::printf("\n");
    }
  }
  std::printf("\npower                 %s W TDP\n", format_number(chip.tdp_w).c_str());
  if (power) {
    std::printf("at peak activity      %.0f W: matrix units at the %s peak, HBM and links at full rate\n",
                power->uncapped_w, peak_dtype(peak).c_str());
    std::printf("  compute %.0f W, SRAM %.0f W, HBM %.0f W, links %.0f W, static %.0f W (before the TDP cap)\n",
                power->compute_w * power->slowdown, power->sram_w * power->slowdown, power->hbm_w * power->slowdown,
                power->links_w * power->slowdown, power->static_w * power->slowdown);
    if (power->slowdown > 1)
      std::printf("  capped at TDP: the clock drops to %.0f%% of its peak\n", 100 / power->slowdown);
  }
  return kExitOk;
}

}  // namespace

void add_cost_command(CLI::App& app, const Context& context, int& exit_code) {
  auto args = std::make_shared<CostArgs>();
  CLI::App* cost = app.add_subcommand("cost", "What a chip costs to make: die area, yield, unit cost, NRE per unit, power at peak");
  cost->add_option("--chip", args->chip, "Chip: a library name (h100-sxm) or a YAML file")->required();
  cost->add_option("--process", args->process, "Process spec (default: the chip's process_node): a name or a YAML file");
  cost->add_option("--volume", args->volume, "Units the NRE is spread over")->check(CLI::Range(1.0, 1e12));
  cost->add_option("--respins", args->respins, "Mask sets made again after failed tape-outs (added to the NRE)")
      ->check(CLI::Range(0, 10));
  cost->add_option("--die-area-mm2", args->die_area_mm2, "Area of one compute die (overrides the chip spec)")
      ->check(CLI::Range(1.0, 1e5));
  add_specs_option(*cost, args->specs);
  cost->add_flag("--json", args->json, "Print JSON");
  cost->callback([&, args] { exit_code = context.parse_only ? kExitOk : run_cost(context, *args); });
}

}  // namespace xpusim::cli
