// The XPU's cycle-level performance simulator (docs/perfsim.md): times an isa::Program on a chip spec.
//
// Timing only, no values. Event-driven: time jumps to the next event (an instruction that can start,
// one that finishes, a DMA chunk that lands), never ticking idle cycles. An instruction's occupancy of
// its engine is a closed form of its shape (rows, k, n, fill and drain); what is simulated is what
// engines do to each other: dependency tokens, barriers, the front end's queues, VMEM bank conflicts,
// and HBM (pseudo-channels, bank groups, row buffers, refresh) shared by every core's DMA engines
// through the on-chip network.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "isa/isa.h"
#include "isa/program.h"
#include "spec/specs.h"
#include "support/expected.h"

namespace xpusim::perfsim {

struct SimOptions {
  bool trace = false;                                 // fill SimResult::trace
  std::uint64_t max_cycles = std::uint64_t{1} << 40;  // past this, the run is an error
  bool hbm_refresh = true;                            // model HBM refresh (off: to measure its share)
};

struct EngineStats {
  std::uint32_t core = 0;
  isa::Engine engine = isa::Engine::dma0;
  std::uint64_t instructions = 0, busy_cycles = 0;
  // Cycles by reason: "token" (waiting for a dependency token), "bank_conflict" (VMEM banks shared with
  // another engine), "hbm" (a DMA waiting on HBM and the network beyond its own port rate), "barrier"
  // (queue empty while the front end waits at a barrier), "dispatch" (queue empty otherwise).
  std::map<std::string, std::uint64_t> stall_cycles;
  double utilization = 0;  // busy / total cycles
};

// One slice (an instruction on an engine) or one counter sample (HBM bandwidth) of the trace.
struct TraceEvent {
  enum class Kind : std::uint8_t { slice, counter };
  Kind kind = Kind::slice;
  std::uint32_t core = 0;
  isa::Engine engine = isa::Engine::ctl;
  std::string_view name;          // the mnemonic (static storage), or the counter's name
  std::uint32_t instruction = 0;  // index in its core's code
  double start_cycle = 0, duration_cycles = 0;
  double value = 0, value2 = 0;  // counters: HBM read and write GB/s over [start, start + duration)
};

struct SimResult {
  std::uint64_t cycles = 0;
  double seconds = 0;
  std::vector<EngineStats> engines;  // every engine of every core that runs code, core then engine order
  double hbm_read_bytes = 0, hbm_write_bytes = 0, cmem_bytes = 0, vmem_bytes = 0;
  double mxu_macs = 0;                     // multiply-accumulates done
  double mxu_utilization = 0;              // mxu_macs / (peak MACs per cycle of the chip for the dtypes used x cycles)
  std::map<std::string, double> energy_j;  // per component: "mxu", "vpu", "sram", "hbm", "static"
  std::vector<TraceEvent> trace;           // when SimOptions::trace
};

// Times `program` on `chip`. Errors (one message naming the core, the instruction index and the
// reason): a core beyond the chip's, an address outside the chip's memories, a token counter past
// 255, a token never consumed, a deadlock, max_cycles exceeded, a multiply on an empty weight slot.
// Energy per component when `process` (with an `energy:` block) is given.
Expected<SimResult> simulate(const isa::Program& program, const spec::ChipSpec& chip, const SimOptions& options = {},
                             const spec::ProcessSpec* process = nullptr);

// Chrome trace-event JSON (opens in ui.perfetto.dev): a process per core, a thread per engine, a slice
// per instruction named by its mnemonic, and HBM read and write bandwidth counters.
std::string perfetto_json(const SimResult& result, const spec::ChipSpec& chip);

}  // namespace xpusim::perfsim
