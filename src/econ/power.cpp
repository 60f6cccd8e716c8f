#include "econ/power.h"

#include <algorithm>

#include "support/text.h"

namespace xpusim::econ {

Activity& Activity::operator+=(const Activity& other) {
  seconds += other.seconds;
  for (std::size_t i = 0; i < matrix_flops.size(); ++i) matrix_flops[i] += other.matrix_flops[i];
  vector_flops += other.vector_flops;
  hbm_bytes += other.hbm_bytes;
  link_bytes += other.link_bytes;
  return *this;
}

Activity Activity::scaled(double factor) const {
  Activity a = *this;
  a.seconds *= factor;
  for (double& f : a.matrix_flops) f *= factor;
  a.vector_flops *= factor;
  a.hbm_bytes *= factor;
  a.link_bytes *= factor;
  return a;
}

double sram_bytes(const spec::ChipSpec& chip, const Activity& activity) {
  // Operands are staged in SRAM in blocks of at least 128 x 128 (GEMM kernels' thread-block tiles;
  // a 128 x 128 systolic array), and each block edge is read once per pass across the other edge.
  const spec::MatrixTile& tile = chip.cores.matrix_unit.tile;
  const double rows = static_cast<double>(std::max<std::int64_t>({tile.m, tile.k, 128}));
  const double cols = static_cast<double>(std::max<std::int64_t>(tile.n, 128));
  const double edge_reads = 1 / rows + 1 / cols;
  double operand_bytes = 0;
  for (ir::DType dtype : ir::kAllDTypes)
    operand_bytes += activity.matrix_flops[static_cast<std::size_t>(dtype)] / 2 * ir::dtype_bytes(dtype) * edge_reads;
  return 2 * activity.hbm_bytes + operand_bytes;
}

Expected<PowerEstimate> average_power(const spec::ChipSpec& chip, const spec::ProcessSpec& process,
                                      const Activity& activity) {
  if (!process.has_energy)
    return Error("process " + process.name + " has no energy: block, so the power of " + chip.name +
                 " cannot be modelled");
  if (!(activity.seconds > 0)) return Error("no work to take the average power of");
  const spec::ProcessEnergy& e = process.energy;
  auto mac_pj = [&](std::string_view key) -> Expected<double> {
    auto it = e.mac_pj.find(std::string(key));
    if (it == e.mac_pj.end())
      return Error("process " + process.name + " has no energy.mac_pj." + std::string(key));
    return it->second;
  };
  double compute_j = 0;
  for (ir::DType dtype : ir::kAllDTypes) {
    const double flops = activity.matrix_flops[static_cast<std::size_t>(dtype)];
    if (flops <= 0) continue;
    Expected<double> pj = mac_pj(ir::dtype_compute_key(dtype));
    if (!pj.ok()) return pj.error();
    compute_j += flops / 2 * *pj * 1e-12;
  }
  if (activity.vector_flops > 0) {
    Expected<double> pj = mac_pj("fp32");  // an FMA is two FLOPs
    if (!pj.ok()) return pj.error();
    compute_j += activity.vector_flops / 2 * *pj * 1e-12;
  }
  const double sram_j = sram_bytes(chip, activity) * 8 * e.sram_pj_per_bit * 1e-12;
  const double hbm_j = activity.hbm_bytes * 8 * e.hbm_pj_per_bit * 1e-12;
  const double links_j = activity.link_bytes * 8 * e.link_pj_per_bit * 1e-12;
  const double dynamic_j = compute_j + sram_j + hbm_j + links_j;

  PowerEstimate p;
  // The floor of a working chip (clocks, leakage, control), not of an idle one: a GPU waiting on HBM at
  // batch 8 already draws over half its TDP.
  const double floor_w = e.static_fraction * chip.tdp_w;
  p.uncapped_w = floor_w + dynamic_j / activity.seconds;
  // Above TDP the chip lowers its clock (and voltage) until its draw fits. The floor is mostly clocked
  // power (the clock tree, issue, the caches every kernel touches), which falls with the clock as the
  // operations' power does; leakage does not fall, but the lower voltage cuts the energy of every
  // operation, and the two are taken to cancel. So the work keeps its energy and stretches by
  // uncapped / TDP. (Holding the floor fixed and squeezing only the operations would slow a chip whose
  // floor is 0.6 of TDP far more than a power-limited GPU slows.)
  p.slowdown = p.uncapped_w > chip.tdp_w ? p.uncapped_w / chip.tdp_w : 1.0;
  const double seconds = activity.seconds * p.slowdown;
  p.static_w = floor_w / p.slowdown;
  p.compute_w = compute_j / seconds;
  p.sram_w = sram_j / seconds;
  p.hbm_w = hbm_j / seconds;
  p.links_w = links_j / seconds;
  p.joules = dynamic_j + floor_w * activity.seconds;
  return p;
}

std::optional<PowerEstimate> chip_power(const spec::SpecResolver& specs, const spec::ChipSpec& chip,
                                        const Activity& activity) {
  const spec::Document* doc = specs.find(spec::Kind::process, chip.process_node);
  if (!doc) return std::nullopt;
  Expected<PowerEstimate> p = average_power(chip, std::get<spec::ProcessSpec>(doc->spec), activity);
  if (!p.ok()) return std::nullopt;
  return *p;
}

}  // namespace xpusim::econ
