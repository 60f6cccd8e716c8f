#include "econ/cost.h"

#include <cmath>
#include <numbers>

#include "econ/area.h"
#include "support/text.h"

namespace xpusim::econ {

double gross_dies_per_wafer(double die_mm2, const spec::ProcessSpec& process) {
  const double side = std::sqrt(die_mm2) + process.scribe_mm;
  const double area = side * side;
  const double d = process.wafer_diameter_mm;
  return std::max(0.0, (d - 2 * process.edge_exclusion_mm) * std::numbers::pi *
                           (d / (4 * area) - 1 / std::sqrt(2 * area)));
}

double die_yield(double die_mm2, const spec::ProcessSpec& process) {
  const double defects = die_mm2 / 100 * process.defect_density_per_cm2;
  return std::pow(1 + defects / process.yield_clustering, -process.yield_clustering);
}

namespace {

// Dies of one kind on their process: within the reticle, how many come good off a wafer, and at what
// price. `what` names them in errors ("die", "I/O die"); `count_field` is the field that splits them.
struct DieCost {
  double gross_per_wafer = 0, yield = 0, good_per_wafer = 0, good_die_usd = 0;
};
Expected<DieCost> die_cost(double die_mm2, std::int64_t count, std::string_view basis, std::string_view what,
                           std::string_view count_field, const spec::ProcessSpec& process) {
  if (die_mm2 > process.reticle_mm2)
    return Error("a " + format_number(std::round(die_mm2)) + " mm2 " + std::string(what) + " (" + std::string(basis) +
                 ") exceeds the " + format_number(process.reticle_mm2) + " mm2 reticle of " + process.name +
                 "; split the design into at least " +
                 format_number(std::ceil(die_mm2 * static_cast<double>(count) / process.reticle_mm2)) + " dies (" +
                 std::string(count_field) + ")");
  DieCost d;
  d.gross_per_wafer = gross_dies_per_wafer(die_mm2, process);
  d.yield = die_yield(die_mm2, process);
  d.good_per_wafer = d.gross_per_wafer * d.yield;
  if (d.good_per_wafer < 1)
    return Error("fewer than one good " + format_number(die_mm2) + " mm2 " + std::string(what) + " per wafer on " +
                 process.name);
  d.good_die_usd = process.wafer_cost_usd / d.good_per_wafer;
  return d;
}

}  // namespace

Expected<UnitCost> unit_cost(const spec::ChipSpec& chip, const spec::ProcessSpec& process, double volume,
                             std::optional<double> die_area_mm2, const spec::ProcessSpec* io_process,
                             std::int64_t respins) {
  UnitCost c;
  if (!(volume >= 1)) return Error("the volume must be at least 1 unit, got " + format_number(volume));
  if (respins < 0 || respins > 10) return Error("respins must be 0 to 10, got " + std::to_string(respins));
  if (chip.has_io_die && !io_process)
    return Error("chip " + chip.name + "'s I/O dies are on " + chip.io_die.process_node + ", which is not known");
  // The area model, run at most once, for whichever dies have no published or given area.
  std::optional<AreaEstimate> modelled;
  auto model = [&]() -> Expected<const AreaEstimate*> {
    if (!modelled) {
      Expected<AreaEstimate> area = estimate_area(chip, process, io_process);
      if (!area.ok()) return area.error();
      modelled = std::move(*area);
    }
    return &*modelled;
  };
  if (die_area_mm2) {
    c.die_area_mm2 = *die_area_mm2;
    c.die_area_basis = "given";
  } else if (chip.die_area_mm2) {
    c.die_area_mm2 = *chip.die_area_mm2;
  } else if (process.has_area) {
    Expected<const AreaEstimate*> area = model();
    if (!area.ok()) return area.error();
    c.die_area_mm2 = (*area)->per_die_mm2;
    c.die_area_basis = "modelled";
  } else {
    return Error("chip " + chip.name + " has no die_area_mm2 (not published) and process " + process.name +
                 " has no area model; give one with --die-area-mm2");
  }
  if (!(c.die_area_mm2 > 0)) return Error("the die area must be positive, got " + format_number(c.die_area_mm2));
  c.dies = chip.die_count;
  Expected<DieCost> compute = die_cost(c.die_area_mm2, c.dies, c.die_area_basis, "die", "die_count", process);
  if (!compute.ok()) return compute.error();
  c.gross_dies_per_wafer = compute->gross_per_wafer;
  c.yield = compute->yield;
  c.good_dies_per_wafer = compute->good_per_wafer;
  c.good_die_usd = compute->good_die_usd;
  c.dies_usd = c.good_die_usd * static_cast<double>(c.dies);
  if (chip.has_io_die) {
    c.io_dies = chip.io_die.count;
    if (chip.io_die.area_mm2) {
      c.io_die_area_mm2 = *chip.io_die.area_mm2;
      c.io_die_area_basis = "published";
    } else {
      Expected<const AreaEstimate*> area = model();
      if (!area.ok()) return area.error();
      c.io_die_area_mm2 = (*area)->io_per_die_mm2;
      c.io_die_area_basis = "modelled";
    }
    Expected<DieCost> io =
        die_cost(c.io_die_area_mm2, c.io_dies, c.io_die_area_basis, "I/O die", "io_die.count", *io_process);
    if (!io.ok()) return io.error();
    c.io_yield = io->yield;
    c.io_good_die_usd = io->good_die_usd;
    c.io_dies_usd = c.io_good_die_usd * static_cast<double>(c.io_dies);
  }
  c.hbm_gib = chip.hbm.capacity_gib;
  c.hbm_usd = c.hbm_gib * process.packaging.hbm_usd_per_gib;
  c.package_usd = process.packaging.package_usd +
                  process.packaging.package_usd_per_extra_die * static_cast<double>(c.dies + c.io_dies - 1);
  c.test_assembly_usd = process.packaging.test_assembly_usd;
  c.manufacturing_usd = c.dies_usd + c.io_dies_usd + c.hbm_usd + c.package_usd + c.test_assembly_usd;
  c.partner_margin = process.partner_margin;
  c.partner_margin_usd = c.manufacturing_usd * c.partner_margin / (1 - c.partner_margin);
  c.mask_set_usd = process.mask_set_usd + (chip.has_io_die ? io_process->mask_set_usd : 0);
  c.respins = respins;
  c.respin_usd = static_cast<double>(respins) * c.mask_set_usd;
  c.design_usd = process.design_cost_usd;
  c.program_usd = chip.has_program ? chip.program.usd() : 0.0;
  c.nre_usd = c.mask_set_usd + c.respin_usd + c.design_usd + c.program_usd;
  c.volume = volume;
  c.nre_per_unit_usd = c.nre_usd / volume;
  c.total_per_unit_usd = c.manufacturing_usd + c.partner_margin_usd + c.nre_per_unit_usd;
  return c;
}

}  // namespace xpusim::econ
