// Die area from a chip's microarchitecture on its process node: the blocks a floorplan shows (matrix
// arrays, vector lanes, per-core control, SRAM, HBM PHYs, SerDes, host I/O, die-to-die PHYs), plus the
// uncore (NoC, crossbars, clocking, test, white space) as a fraction of the die. The per-block figures
// come from the process spec's `area:` block, anchored on published floorplans (docs/cost.md).
#pragma once

#include <string>
#include <vector>

#include "spec/specs.h"
#include "support/expected.h"

namespace xpusim::econ {

struct AreaBlock {
  std::string name;  // matrix, vector, core_control, core_sram, shared_sram, hbm_phy, serdes, host_io,
                     // die_to_die, uncore
  double mm2 = 0;    // the whole package (all dies of its kind)
  bool io_die = false;  // on the I/O dies (chips with an io_die block)
};

struct AreaEstimate {
  std::vector<AreaBlock> blocks;
  double total_mm2 = 0;    // all compute dies
  std::int64_t dies = 1;   // the chip's die_count
  double per_die_mm2 = 0;  // total / dies
  double reticle_mm2 = 0;
  // Chips with I/O dies: their count, all of them together, and one (on the I/O process).
  std::int64_t io_dies = 0;
  double io_total_mm2 = 0;
  double io_per_die_mm2 = 0;
  double io_reticle_mm2 = 0;
  // Counted as built (on_die), which may exceed what the product enables:
  std::int64_t cores = 0;
  std::int64_t hbm_phys = 0;
  double shared_sram_mib = 0;
  std::int64_t serdes_lanes = 0;
};

// Relative area of one MAC of each dtype to a bf16 MAC (Horowitz's 45 nm multiplier and adder areas);
// 0 for a dtype the matrix arrays do not size for.
double mac_area_relative_to_bf16(std::string_view dtype);

// `io_process` is the process of the chip's I/O dies (io_die.process_node), needed when it has them.
// Errors: a process without an `area:` block, I/O dies without their process. A die beyond the reticle
// is not an error here (the estimate says how large it would be); unit_cost and `xpusim cost` refuse it.
Expected<AreaEstimate> estimate_area(const spec::ChipSpec& chip, const spec::ProcessSpec& process,
                                     const spec::ProcessSpec* io_process = nullptr);

}  // namespace xpusim::econ
