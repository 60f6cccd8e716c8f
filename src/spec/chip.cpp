// The chip kind: one accelerator package (GPU, TPU, XPU), its compute units, memories and links.
//
// Rules beyond types and ranges: the published peaks must follow from the units and the clock, the
// HBM capacity and bandwidth must fit the stacks and generation, and the on-chip SRAM must fit the die.
#include <cmath>

#include "spec/document.h"
#include "support/text.h"

namespace xpusim::spec {
namespace {

constexpr std::string_view kFamilies[] = {"gpu", "tpu", "xpu", "asic"};
constexpr std::string_view kDataflows[] = {"output_stationary", "weight_stationary", "input_stationary"};
constexpr std::string_view kHbmGenerations[] = {"hbm2", "hbm2e", "hbm3", "hbm3e", "hbm4"};
constexpr std::string_view kProcessNodes[] = {"tsmc-n16", "tsmc-n12", "tsmc-n7",     "tsmc-n6",   "tsmc-n5",
                                              "tsmc-n4",  "tsmc-4n",  "tsmc-4np",    "tsmc-n3",   "tsmc-n3e",
                                              "tsmc-n3p", "tsmc-n2",  "samsung-sf4", "intel-18a", "unknown"};

// Largest capacity and bandwidth of one stack of each generation, from JEDEC and vendor product briefs
// (docs/specs.md lists them with their sources). They bound what a spec may claim, nothing more.
struct HbmLimits {
  std::string_view generation;
  double max_stack_gib;
  double max_stack_tb_s;
  std::int64_t channels_per_stack;
};
constexpr HbmLimits kHbmLimits[] = {
    {"hbm2", 8, 0.308, 8},     // 8-high 8 Gb dies; 2.4 Gb/s x 1024 bits
    {"hbm2e", 24, 0.461, 8},   // 12-high 16 Gb dies; 3.6 Gb/s
    {"hbm3", 24, 0.820, 16},   // 12-high 16 Gb dies; 6.4 Gb/s
    {"hbm3e", 48, 1.331, 16},  // 16-high 24 Gb dies; 10.4 Gb/s (no product ships faster)
    {"hbm4", 64, 3.3, 32},     // 16-high 32 Gb dies; 2048 bits at up to 13 Gb/s (announced)
};

// Densest SRAM macros published (TSMC N3 high-density bit cell, 0.021 um2, about 38 Mb/mm2 in macros);
// a die claiming more SRAM than this over its whole area cannot exist.
constexpr double kMaxSramMibPerMm2 = 38.0 / 8.0;

// Published peaks are rounded and vendors quote boost clocks loosely; 2.5% separates rounding from a
// wrong field.
constexpr double kPeakTolerance = 0.025;

const HbmLimits* hbm_limits(std::string_view generation) {
  for (const HbmLimits& l : kHbmLimits)
    if (l.generation == generation) return &l;
  return nullptr;
}

}  // namespace

void MatrixTile::describe(SpecVisitor& v) {
  v.integer(Field("m", "Rows of the output tile one matrix instruction computes (systolic array: 1, rows stream)")
                .positive(65536),
            m);
  v.integer(Field("n", "Columns of the output tile (systolic array: its columns)").positive(65536), n);
  v.integer(Field("k", "Reduction depth of one instruction (systolic array: its rows)").positive(65536), k);
}

void MatrixUnit::describe(SpecVisitor& v) {
  v.integer(Field("count", "Matrix units per core").positive(1024), count);
  v.object(Field("tile", "Granule that matmul dimensions are rounded up to (tile quantization)"), tile);
  v.choice(Field("dataflow", "What stays in place in the array").optional(), dataflow, kDataflows);
  v.flag(Field("double_buffered", "Loads the next block of stationary weights while the current one computes")
             .optional(),
         double_buffered);
  v.number_map(
      Field("macs_per_cycle", "Dense multiply-accumulates per cycle per unit, by dtype", "MAC/cycle").between(1, 1e7),
      macs_per_cycle, kDtypeNames);
}

void VectorUnit::describe(SpecVisitor& v) {
  v.integer(Field("count", "Vector units per core").optional().positive(1024), count);
  v.integer(Field("lanes", "SIMD lanes per unit").positive(1 << 20), lanes);
  v.number(Field("fp32_flops_per_cycle", "FP32 FLOPs per cycle per unit (an FMA counts 2)", "FLOP/cycle").between(1, 1e7),
           fp32_flops_per_cycle);
  v.number(Field("clock_mhz", "Clock of the vector unit when it differs from the chip clock", "MHz")
               .optional()
               .between(10, 10000),
           clock_mhz);
}

void CoreSram::describe(SpecVisitor& v) {
  v.text(Field("level", "Name of the level (l1_smem, vmem, scratchpad, ...)"), level);
  v.number(Field("capacity_kib", "Capacity per core", "KiB").between(1, 1 << 20), capacity_kib);
  v.number(Field("bandwidth_bytes_per_cycle", "Read bandwidth per core", "B/cycle").between(1, 1 << 20),
           bandwidth_bytes_per_cycle);
  v.integer(Field("banks", "Independently addressable banks").optional().positive(1 << 16), banks);
}

void Cores::describe(SpecVisitor& v) {
  v.integer(Field("count", "Cores on the chip: SMs on a GPU, TensorCores on a TPU, tiles on an XPU").positive(1 << 20),
            count);
  v.object(Field("matrix_unit", "The matrix (tensor) units of one core"), matrix_unit);
  v.object(Field("vector_unit", "The vector (SIMD) units of one core"), vector_unit);
  ObjectListOf<CoreSram> levels(sram);
  v.list(Field("sram", "Private SRAM levels of one core, innermost first").optional().between(0, 8), levels);
}

void SharedSram::describe(SpecVisitor& v) {
  v.text(Field("level", "Name of the level (l2, cmem, ...)"), level);
  v.number(Field("capacity_mib", "Capacity of the whole level", "MiB").between(0.01, 1 << 20), capacity_mib);
  v.number(Field("bandwidth_gb_s", "Aggregate read bandwidth", "GB/s").optional().between(1, 1e6), bandwidth_gb_s);
  v.integer(Field("banks", "Slices or banks").optional().positive(1 << 16), banks);
}

void Hbm::describe(SpecVisitor& v) {
  v.choice(Field("generation", "HBM generation"), generation, kHbmGenerations);
  v.integer(Field("stacks", "HBM stacks on the package").positive(32), stacks);
  v.integer(Field("channels_per_stack", "Independent channels per stack (JEDEC: 8 for HBM2/2e, 16 for HBM3/3e)")
                .optional()
                .positive(64),
            channels_per_stack);
  v.number(Field("capacity_gib", "Capacity visible to software", "GiB").between(0.1, 4096), capacity_gib);
  v.number(Field("bandwidth_tb_s", "Peak bandwidth", "TB/s").between(0.01, 100), bandwidth_tb_s);
}

void ChipLinks::describe(SpecVisitor& v) {
  v.text(Field("technology", "Link technology (nvlink4, nvlink5, ici, infinity-fabric, neuronlink, ethernet)"),
         technology);
  v.integer(Field("count", "Links per chip").positive(1024), count);
  v.number(Field("bandwidth_gb_s_per_direction", "Bandwidth of one link in one direction", "GB/s").between(0.1, 10000),
           bandwidth_gb_s_per_direction);
  v.number(Field("lane_gbps", "SerDes lane rate per direction; sizes the link PHYs in the area model", "Gb/s")
               .optional()
               .between(1, 1000),
           lane_gbps);
}

void IoDie::describe(SpecVisitor& v) {
  v.integer(Field("count", "I/O dies in the package").positive(64), count);
  v.choice(Field("process_node", "Foundry process of the I/O dies"), process_node, kProcessNodes);
  v.number(Field("shared_sram_mib", "Shared SRAM on the I/O dies (default: all of shared_sram)", "MiB")
               .optional()
               .between(0, 1e6),
           shared_sram_mib);
  v.number(Field("area_mm2", "Area of one I/O die", "mm2").optional().between(1, 858), area_mm2);
}

void OnDie::describe(SpecVisitor& v) {
  v.integer(Field("cores", "Cores on the die, with those disabled for yield").optional().positive(1 << 20), cores);
  v.integer(Field("hbm_phys", "HBM stack interfaces on the die, used or not").optional().between(0, 32), hbm_phys);
  v.number(Field("shared_sram_mib", "Shared SRAM on the die, with slices disabled for yield", "MiB")
               .optional()
               .between(0, 1e6),
           shared_sram_mib);
}

void Program::describe(SpecVisitor& v) {
  v.integer(Field("software_engineers", "Compiler, kernel, runtime and framework engineers").between(0, 100000),
            software_engineers);
  v.integer(Field("bringup_engineers", "Silicon validation, board and system bring-up engineers").between(0, 100000),
            bringup_engineers);
  v.number(Field("usd_per_engineer_year", "Fully loaded cost of one engineer for a year", "USD").between(10000, 5e6),
           usd_per_engineer_year);
  v.number(Field("years", "Years the teams work, from the start of the program to volume shipments", "years")
               .between(0.1, 20),
           years);
}

void ChipSpec::describe(SpecVisitor& v) {
  v.text(Field("name", "Name used to refer to this chip"), name);
  v.text(Field("vendor", "Designer of the chip"), vendor);
  v.choice(Field("family", "gpu, tpu, xpu (xpusim's own designs) or asic (other accelerators)"), family, kFamilies);
  v.text(Field("description", "One line for listings").optional(), description);
  v.choice(Field("process_node", "Foundry process of the compute die"), process_node, kProcessNodes);
  v.integer(Field("die_count", "Compute dies in the package").optional().positive(64), die_count);
  v.number(Field("die_area_mm2", "Area of one compute die (the lithography reticle limits it to 858 mm2)", "mm2")
               .optional()
               .between(1, 858),
           die_area_mm2);
  v.number(Field("transistors_billion", "Transistors in the package", "billion").optional().between(0.001, 10000),
           transistors_billion);
  v.number(Field("clock_mhz", "Clock that the peak figures assume", "MHz").between(10, 10000), clock_mhz);
  v.number(Field("tdp_w", "Thermal design power of the package", "W").between(1, 5000), tdp_w);
  v.integer(Field("available_year", "First year the chip ships in volume").optional().between(kFirstYear, kLastYear),
            available_year);
  v.object(Field("cores", "Compute cores and what each holds"), cores);
  ObjectListOf<SharedSram> shared(shared_sram);
  v.list(Field("shared_sram", "SRAM shared by all cores (L2, ...)").optional().between(0, 8), shared);
  v.object(Field("hbm", "High-bandwidth memory"), hbm);
  v.optional_object(Field("links", "Chip-to-chip (scale-up) links").optional(), links, has_links);
  v.number_map(Field("peak_tflops", "Published dense peak by dtype; checked against the units and clock", "TFLOP/s")
                   .optional()
                   .between(0.001, 1e6),
               peak_tflops, kDtypeNames);
  v.optional_object(Field("efficiency", "Achieved fractions of peak, for the analytical model").optional(), efficiency,
                    has_efficiency);
  v.optional_object(Field("on_die", "Units built on the die, including those disabled for yield (area model)").optional(),
                    on_die, has_on_die);
  v.optional_object(Field("io_die", "I/O dies holding the HBM PHYs, SerDes, host I/O and shared SRAM").optional(), io_die,
                    has_io_die);
  v.optional_object(Field("program", "A custom chip's software and bring-up teams over its program (in its NRE)").optional(),
                    program, has_program);
  v.text_map(Field("sources", "Where each published number comes from, by field path").optional(), sources);
}

void ChipEfficiency::describe(SpecVisitor& v) {
  v.number_map(Field("matmul", "Fraction of the dtype's peak that a large GEMM sustains").optional().between(0.01, 1),
               matmul, kDtypeNames);
  v.number(Field("attention", "Fraction of the matmul peak that fused attention sustains").optional().between(0.01, 1),
           attention);
  v.number(Field("hbm", "Fraction of peak HBM bandwidth that streaming kernels sustain").optional().between(0.01, 1),
           hbm);
  v.number(Field("vector", "Fraction of the vector peak that pointwise kernels sustain").optional().between(0.01, 1),
           vector);
  v.number(Field("kernel_overhead_us", "Fixed time of every kernel: launch, prologue and tail", "us")
               .optional()
               .between(0, 1000),
           kernel_overhead_us);
}

double ChipSpec::derived_peak_tflops(std::string_view dtype) const {
  const double clock_hz = clock_mhz * 1e6;
  double peak = 0;
  if (auto it = cores.matrix_unit.macs_per_cycle.find(std::string(dtype)); it != cores.matrix_unit.macs_per_cycle.end())
    peak = static_cast<double>(cores.count * cores.matrix_unit.count) * it->second * 2.0 * clock_hz / 1e12;
  if (dtype == "fp32") {
    const double vector_clock_hz = cores.vector_unit.clock_mhz.value_or(clock_mhz) * 1e6;
    const double vector_peak = static_cast<double>(cores.count * cores.vector_unit.count) *
                               cores.vector_unit.fp32_flops_per_cycle * vector_clock_hz / 1e12;
    peak = std::max(peak, vector_peak);
  }
  return peak;
}

double ChipSpec::core_sram_kib() const {
  double kib = 0;
  for (const CoreSram& level : cores.sram) kib += level.capacity_kib;
  return kib;
}

double ChipSpec::shared_sram_mib() const {
  double mib = 0;
  for (const SharedSram& level : shared_sram) mib += level.capacity_mib;
  return mib;
}

double ChipSpec::total_sram_mib() const {
  return core_sram_kib() / 1024.0 * static_cast<double>(cores.count) + shared_sram_mib();
}

double ChipSpec::link_bandwidth_gb_s_bidirectional() const {
  return has_links ? 2.0 * static_cast<double>(links.count) * links.bandwidth_gb_s_per_direction : 0.0;
}

void check_chip(const ChipSpec& chip, const Document& doc, Diagnostics& out) {
  if (chip.has_io_die && chip.io_die.shared_sram_mib) {
    const double shared = chip.shared_sram_mib();
    if (*chip.io_die.shared_sram_mib > shared)
      out.error(doc.where("io_die.shared_sram_mib"), "io_die.shared_sram_mib",
                "the I/O dies hold " + format_number(*chip.io_die.shared_sram_mib) + " MiB of shared SRAM, but the chip has " +
                    format_number(shared) + " MiB",
                "at most the sum of shared_sram");
  }
  for (const auto& [dtype, published] : chip.peak_tflops) {
    const std::string path = "peak_tflops." + dtype;
    const double derived = chip.derived_peak_tflops(dtype);
    if (derived == 0) {
      out.error(doc.where(path), path,
                "published peak " + format_number(published) + " TFLOP/s but no unit supports " + dtype,
                "add cores.matrix_unit.macs_per_cycle." + dtype);
      continue;
    }
    if (std::abs(derived - published) > kPeakTolerance * published) {
      out.error(doc.where(path), path,
                "published peak " + format_number(published) +
                    " TFLOP/s does not follow from the units: cores x units x "
                    "MACs/cycle x 2 x clock = " +
                    format_significant(derived, 4) + " TFLOP/s; allowed within 2.5% of it",
                "check cores.count, cores.matrix_unit.macs_per_cycle and clock_mhz");
    }
  }

  if (const HbmLimits* limits = hbm_limits(chip.hbm.generation)) {
    const double stacks = static_cast<double>(chip.hbm.stacks);
    const std::string stack_text =
        count_noun(chip.hbm.stacks, chip.hbm.generation + " stack", chip.hbm.generation + " stacks");
    const double max_gib = stacks * limits->max_stack_gib;
    if (chip.hbm.capacity_gib > max_gib)
      out.error(doc.where("hbm.capacity_gib"), "hbm.capacity_gib",
                "capacity " + format_number(chip.hbm.capacity_gib) + " GiB does not fit " + stack_text +
                    "; allowed (0, " + format_number(max_gib) + "]");
    const double max_tb_s = stacks * limits->max_stack_tb_s;
    if (chip.hbm.bandwidth_tb_s > max_tb_s)
      out.error(doc.where("hbm.bandwidth_tb_s"), "hbm.bandwidth_tb_s",
                "bandwidth " + format_number(chip.hbm.bandwidth_tb_s) + " TB/s is more than " + stack_text +
                    " can deliver; allowed (0, " + format_number(max_tb_s) + "]");
    if (chip.hbm.channels_per_stack && *chip.hbm.channels_per_stack != limits->channels_per_stack &&
        *chip.hbm.channels_per_stack != 2 * limits->channels_per_stack)
      out.error(doc.where("hbm.channels_per_stack"), "hbm.channels_per_stack",
                std::to_string(*chip.hbm.channels_per_stack) + " channels per stack is not a " + chip.hbm.generation +
                    " organisation; allowed " + std::to_string(limits->channels_per_stack) + " (or " +
                    std::to_string(2 * limits->channels_per_stack) + " pseudo-channels)");
  }

  if (chip.die_area_mm2) {
    const double area = *chip.die_area_mm2 * static_cast<double>(chip.die_count);
    const double max_sram_mib = area * kMaxSramMibPerMm2;
    const double core_mib = chip.core_sram_kib() / 1024.0 * static_cast<double>(chip.cores.count);
    // Blame the level that tips the total over: the cores' own SRAM if it alone is too much.
    const std::string path = core_mib > max_sram_mib || chip.shared_sram.empty() ? "cores.sram" : "shared_sram";
    if (chip.total_sram_mib() > max_sram_mib)
      out.error(doc.where(path), path,
                "on-chip SRAM totals " + format_number(std::round(chip.total_sram_mib())) + " MiB, more than " +
                    format_number(std::round(max_sram_mib)) + " MiB fit on " + format_number(area) +
                    " mm2 at the densest published SRAM (38 Mb/mm2)");
  }

  for (const auto& [dtype, fraction] : chip.efficiency.matmul) {
    (void)fraction;
    if (chip.cores.matrix_unit.macs_per_cycle.count(dtype) == 0) {
      const std::string path = "efficiency.matmul." + dtype;
      out.error(doc.where(path), path, "an efficiency for " + dtype + ", which no unit of the chip computes",
                "add cores.matrix_unit.macs_per_cycle." + dtype + " or remove this entry");
    }
  }

  const auto& tile = chip.cores.matrix_unit.tile;
  for (const auto& [dtype, macs] : chip.cores.matrix_unit.macs_per_cycle) {
    if (chip.family == "gpu") continue;  // a GPU tile is an instruction shape, issued over several cycles
    // A systolic array performs at most one MAC per processing element per cycle.
    const double array_pes = static_cast<double>(tile.n * tile.k);
    if (macs > array_pes * 4) {
      const std::string path = "cores.matrix_unit.macs_per_cycle." + dtype;
      out.error(doc.where(path), path,
                format_number(macs) + " MACs per cycle exceeds what a " + std::to_string(tile.k) + " x " +
                    std::to_string(tile.n) + " array can do even with 4 " + dtype +
                    " MACs per element; allowed <= " + format_number(array_pes * 4));
    }
  }
}

}  // namespace xpusim::spec
