#include "econ/area.h"

#include <algorithm>
#include <cmath>

namespace xpusim::econ {
namespace {

// Horowitz, ISSCC 2014 (technology-facts 2.1 [1]): 45 nm synthesised areas. A 16-bit FP FMA (multiply
// 1,640 + add 1,360 um2) is the bf16/fp16 reference; FP32 is 7,700 + 4,184; an int8 multiply with a
// 32-bit add is 282 + 137. fp8 and fp4 arrays are built as 2x and 4x the 16-bit rate on the same
// multipliers (H100, B200, MI300X all double the rate per step down), hence 1/2 and 1/4.
constexpr double kFp32Relative = (7700.0 + 4184.0) / (1640.0 + 1360.0);  // 3.96
constexpr double kInt8Relative = (282.0 + 137.0) / (1640.0 + 1360.0);    // 0.14

// PCIe x16 to the host: 16 lanes of the node's SerDes.
constexpr double kHostLanes = 16;
// Die-to-die PHYs of a multi-die package: each die reaches the others at its share of the HBM
// bandwidth (B200: 8 TB/s HBM, 10 TB/s NV-HBI, technology-facts 1.1), at UCIe 2.5D's 1.3 TB/s per mm
// of die edge (technology-facts 2.5 [10]) and an estimated 1 mm PHY depth.
constexpr double kDieToDieTbSPerMm = 1.3;
constexpr double kDieToDieDepthMm = 1.0;

double mib_to_mbit(double mib) { return mib * 8 * 1.048576; }

}  // namespace

double mac_area_relative_to_bf16(std::string_view dtype) {
  if (dtype == "fp64") return 4 * kFp32Relative;
  if (dtype == "fp32") return kFp32Relative;
  if (dtype == "tf32") return 2.0;  // fp32's exponent, fp16's multiplier, half the 16-bit rate
  if (dtype == "bf16" || dtype == "fp16") return 1.0;
  if (dtype == "fp8" || dtype == "fp6") return 0.5;
  if (dtype == "int8") return kInt8Relative;
  if (dtype == "fp4") return 0.25;
  if (dtype == "int4") return kInt8Relative / 2;
  return 0;
}

Expected<AreaEstimate> estimate_area(const spec::ChipSpec& chip, const spec::ProcessSpec& process,
                                     const spec::ProcessSpec* io_process) {
  auto no_model = [&](const spec::ProcessSpec& p) {
    return Error("process " + p.name + " has no area: block, so the die area of " + chip.name +
                 " cannot be modelled");
  };
  if (!process.has_area) return no_model(process);
  const bool chiplets = chip.has_io_die;
  if (chiplets && !io_process)
    return Error("chip " + chip.name + "'s I/O dies are on " + chip.io_die.process_node + ", which is not known");
  if (chiplets && !io_process->has_area) return no_model(*io_process);
  const spec::ProcessArea& a = process.area;
  const spec::ProcessArea& io = chiplets ? io_process->area : a;
  AreaEstimate e;
  e.dies = chip.die_count;
  e.reticle_mm2 = process.reticle_mm2;
  e.cores = chip.has_on_die && chip.on_die.cores ? *chip.on_die.cores : chip.cores.count;
  e.hbm_phys = chip.has_on_die && chip.on_die.hbm_phys ? *chip.on_die.hbm_phys : chip.hbm.stacks;
  e.shared_sram_mib =
      chip.has_on_die && chip.on_die.shared_sram_mib ? *chip.on_die.shared_sram_mib : chip.shared_sram_mib();
  const double io_sram_mib = chiplets ? chip.io_die.shared_sram_mib.value_or(e.shared_sram_mib) : 0;
  const double cores = static_cast<double>(e.cores);

  // A multi-precision array is as large as its most demanding mode.
  double bf16_macs_per_unit = 0;
  for (const auto& [dtype, macs] : chip.cores.matrix_unit.macs_per_cycle)
    bf16_macs_per_unit = std::max(bf16_macs_per_unit, macs * mac_area_relative_to_bf16(dtype));
  const double mac_mm2 = a.bf16_mac_um2 * 1e-6;
  const double matrix = cores * static_cast<double>(chip.cores.matrix_unit.count) * bf16_macs_per_unit * mac_mm2;
  const double fma_lanes =
      cores * static_cast<double>(chip.cores.vector_unit.count) * chip.cores.vector_unit.fp32_flops_per_cycle / 2;
  const double vector = fma_lanes * kFp32Relative * mac_mm2;
  auto sram_mm2 = [](double mib, const spec::ProcessArea& on) {
    return mib_to_mbit(mib) / (1 / on.sram_bitcell_um2 * on.sram_array_efficiency);
  };
  if (chip.has_links)
    e.serdes_lanes = chip.links.count * static_cast<std::int64_t>(std::ceil(
                                            chip.links.bandwidth_gb_s_per_direction * 8 / chip.links.lane_gbps - 1e-9));
  // Die-to-die PHYs: between compute dies, or between each compute die and the I/O dies (both sides).
  const double die_to_die_mm2 = chip.hbm.bandwidth_tb_s / kDieToDieTbSPerMm * kDieToDieDepthMm;
  const double die_to_die = e.dies > 1 || chiplets ? static_cast<double>(e.dies) * die_to_die_mm2 : 0;

  e.blocks = {{"matrix", matrix},
              {"vector", vector},
              {"core_control", cores * a.core_control_mm2},
              {"core_sram", sram_mm2(chip.core_sram_kib() / 1024 * cores, a)},
              {"shared_sram", sram_mm2(std::max(0.0, e.shared_sram_mib - io_sram_mib), a)}};
  // On the I/O dies when the chip has them, else on the compute dies.
  if (chiplets) e.blocks.push_back({"shared_sram", sram_mm2(io_sram_mib, io), true});
  e.blocks.push_back({"hbm_phy", static_cast<double>(e.hbm_phys) * io.hbm_phy_mm2, chiplets});
  e.blocks.push_back({"serdes", static_cast<double>(e.serdes_lanes) * io.serdes_lane_mm2, chiplets});
  e.blocks.push_back({"host_io", kHostLanes * io.serdes_lane_mm2, chiplets});
  if (die_to_die > 0) e.blocks.push_back({"die_to_die", die_to_die});
  if (chiplets) e.blocks.push_back({"die_to_die", die_to_die, true});

  double compute_blocks = 0, io_blocks_mm2 = 0;
  for (const AreaBlock& b : e.blocks) (b.io_die ? io_blocks_mm2 : compute_blocks) += b.mm2;
  e.total_mm2 = compute_blocks / (1 - a.uncore_fraction);
  e.blocks.push_back({"uncore", e.total_mm2 - compute_blocks});
  e.per_die_mm2 = e.total_mm2 / static_cast<double>(e.dies);
  if (chiplets) {
    e.io_dies = chip.io_die.count;
    e.io_total_mm2 = io_blocks_mm2 / (1 - io.uncore_fraction);
    e.blocks.push_back({"uncore", e.io_total_mm2 - io_blocks_mm2, true});
    e.io_per_die_mm2 = e.io_total_mm2 / static_cast<double>(e.io_dies);
    e.io_reticle_mm2 = io_process->reticle_mm2;
  }
  return e;
}

}  // namespace xpusim::econ
