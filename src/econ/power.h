// Average power of a chip doing some work, from what the work does (the activity the performance model
// counts) and what each action costs on the chip's process node (the process spec's `energy:` block):
// MACs by dtype, vector arithmetic, SRAM and HBM bits, link bits, plus the power a chip draws while it
// works whatever it computes (`static_fraction` of TDP). That floor is most of a GPU's power under load:
// the chip holds its boost clock and voltage while kernels run, so leakage at operating temperature, the
// clock tree, instruction issue and the caches and network every kernel touches cost about half the TDP
// before the first useful operation (measured: H100 0.56, B200 0.63 of TDP serving at batch 8; TPU v4's
// least power under load is 0.47 of its most; docs/validation.md, kind power_under_load). Capped at TDP:
// a chip that would draw more slows its clock until it fits (its floor falling with the clock), and the
// slowdown is reported.
#pragma once

#include <array>
#include <iterator>
#include <optional>
#include <string>

#include "ir/dtype.h"
#include "spec/document.h"
#include "spec/specs.h"
#include "support/expected.h"

namespace xpusim::econ {

// What one chip does over `seconds` of work.
struct Activity {
  double seconds = 0;
  std::array<double, std::size(ir::kAllDTypes)> matrix_flops{};  // by ir::DType: matmul and attention
  double vector_flops = 0;                                        // everything else that computes
  double hbm_bytes = 0;
  double link_bytes = 0;  // sent to other chips

  Activity& operator+=(const Activity& other);
  Activity scaled(double factor) const;  // every count and the time, times factor
};

struct PowerEstimate {
  // Average watts of each part, after the cap (time stretched by `slowdown`).
  double compute_w = 0;  // matrix and vector arithmetic
  double sram_w = 0;     // operands and results through on-chip SRAM
  double hbm_w = 0;
  double links_w = 0;
  double static_w = 0;    // static_fraction x TDP while working, whatever the work (less at the TDP cap)
  double uncapped_w = 0;  // what the chip would draw at full clock
  double slowdown = 1;    // time at the TDP cap over the time at full clock: uncapped / TDP, or 1 within TDP
  double total_w() const { return compute_w + sram_w + hbm_w + links_w + static_w; }
  double joules = 0;  // energy of the work
};

// SRAM traffic the activity implies: every HBM byte is written to SRAM and read from it once, and a
// matrix unit re-reads its operands from SRAM once per pass over its tile's edges.
double sram_bytes(const spec::ChipSpec& chip, const Activity& activity);

// Errors: the process has no `energy:` block, or no MAC energy for a dtype the activity uses.
Expected<PowerEstimate> average_power(const spec::ChipSpec& chip, const spec::ProcessSpec& process,
                                      const Activity& activity);

// The same on the chip's own process (process_node, looked up in `specs`); none when the process is
// not known, has no energy model, or cannot price the activity.
std::optional<PowerEstimate> chip_power(const spec::SpecResolver& specs, const spec::ChipSpec& chip,
                                        const Activity& activity);

}  // namespace xpusim::econ
