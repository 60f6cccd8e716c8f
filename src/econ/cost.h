// What a chip costs to make: dies per wafer, yield, known-good-die cost, HBM, packaging and test, and
// the NRE (masks, design) spread over a production volume. Inputs come from the chip spec and the
// process spec its process_node names; every one can be overridden by a spec file of one's own.
#pragma once

#include <optional>

#include "spec/specs.h"
#include "support/expected.h"

namespace xpusim::econ {

// Candidate dies on a wafer (a square die plus its saw street), after the edge loss:
// (D - 2e) pi (D / 4A - 1 / sqrt(2A)), the gross-die formula of the CATCH cost model
// (technology-facts 4.2 [38]).
double gross_dies_per_wafer(double die_mm2, const spec::ProcessSpec& process);

// Fraction of dies without a killer defect: negative binomial (1 + A D0 / alpha)^-alpha.
double die_yield(double die_mm2, const spec::ProcessSpec& process);

struct UnitCost {
  double die_area_mm2 = 0;
  std::string die_area_basis = "published";  // published (the chip spec), given, or modelled (econ/area.h)
  std::int64_t dies = 1;           // compute dies per package
  double gross_dies_per_wafer = 0;
  double yield = 0;
  double good_dies_per_wafer = 0;
  double good_die_usd = 0;
  // Chips with I/O dies (io_die), on their own process:
  std::int64_t io_dies = 0;
  double io_die_area_mm2 = 0;
  std::string io_die_area_basis;
  double io_yield = 0;
  double io_good_die_usd = 0;
  // Per package:
  double dies_usd = 0;     // compute dies
  double io_dies_usd = 0;  // I/O dies
  double hbm_gib = 0;
  double hbm_usd = 0;
  double package_usd = 0;
  double test_assembly_usd = 0;
  double manufacturing_usd = 0;  // dies, I/O dies, HBM, package, test and assembly
  // What the ASIC design partner adds to the manufacturing it resells: manufacturing x m / (1 - m) at
  // gross margin m (the process spec's partner_margin).
  double partner_margin = 0;
  double partner_margin_usd = 0;
  // Amortised:
  double mask_set_usd = 0;  // the compute die's, plus the I/O die's
  std::int64_t respins = 0;  // full mask sets made again after a failed tape-out
  double respin_usd = 0;
  double design_usd = 0;
  double program_usd = 0;  // the chip's program: software and bring-up teams over its years (0: none given)
  double nre_usd = 0;      // mask set, re-spins, design and program
  double volume = 0;
  double nre_per_unit_usd = 0;
  double total_per_unit_usd = 0;
};

// The die area: `die_area_mm2` when given, else the chip spec's published one, else the area model's.
// Errors: no die area (none published and the process has no area model), a die larger than the
// reticle (the message says how many dies the design needs), a volume below 1.
// `io_process`: the process of the chip's I/O dies, needed when it has them (their own wafers, yield and
// mask set; the package pays for each die beyond the first). `respins`: mask sets paid again (0 to 10).
Expected<UnitCost> unit_cost(const spec::ChipSpec& chip, const spec::ProcessSpec& process, double volume,
                             std::optional<double> die_area_mm2 = std::nullopt,
                             const spec::ProcessSpec* io_process = nullptr, std::int64_t respins = 0);

}  // namespace xpusim::econ
