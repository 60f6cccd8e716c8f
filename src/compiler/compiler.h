// The XPU compiler: a workload graph (src/ir) becomes an XPU program (src/isa) for a weight-stationary
// chip described by a chip spec (docs/compiler.md).
//
// The passes run in order, each timed and each checked by its own verifier: legalize, fuse, layouts,
// dataflow, tiling, residency, mapping, allocation, and scheduling with emission. Nothing computes
// values yet, so the program is right by construction and by the verifiers: shapes and FLOPs kept,
// every MAC of every matmul issued exactly once, SRAM allocations inside capacity and disjoint, and
// dependency tokens balanced (verify_tokens, run on every compiled program).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "isa/program.h"
#include "spec/specs.h"
#include "support/expected.h"

namespace xpusim::compiler {

struct CompileOptions {
  bool unroll_repeats = true;            // false: each op once (its repeat ignored), for per-op timing
  std::optional<bool> resident_weights;  // unset: weights stay in VMEM across the step when they fit
  // Unset: activations, then the KV cache, go to CMEM as far as they fit. false: both stay in HBM even
  // when they would fit (a per-op compile following a whole step that could not hold them). true: as
  // unset (nothing is forced on chip that does not fit).
  std::optional<bool> activations_on_chip;
};

struct PassReport {
  std::string name;
  double milliseconds = 0;
  bool verified = false;
  std::string summary;
};

// One emitted kernel (an op, or ops fused into one) and core 0's instructions for it.
struct OpPlacement {
  std::string op;                        // the graph op's name; fused ops joined by '+'
  std::size_t first_instruction = 0;     // core 0's code, [first, end)
  std::size_t end_instruction = 0;
  std::string dataflow;                  // "weight_stationary", "vector", "dma"
  std::string tiling;                    // e.g. "m 512 x k 2048 x n 512 per core, 2 VMEM halves"
  bool resident = false;                 // its weights (or KV cache) stay on chip: no HBM traffic for them
  std::int64_t layer = 0;                // which repetition (0 when repeats are not unrolled)
};

struct Compiled {
  isa::Program program;
  std::vector<PassReport> passes;
  std::vector<OpPlacement> ops;
  std::vector<std::string> skipped;  // ops not run on this chip (collectives: the network model's), with why
  double mxu_macs = 0;               // what the program will do, for checks
  double hbm_bytes = 0;              // bytes DMA'd from or to HBM
  // Instructions per engine (dma0, dma1, mxu0-3, vpu, ctl), over all cores.
  std::array<std::size_t, 8> engine_instructions{};
  std::uint64_t vmem_peak_bytes = 0;      // the most VMEM one core uses at once (resident weights included)
  std::uint64_t vmem_resident_bytes = 0;  // per core, held across the step
  std::uint64_t cmem_bytes = 0;           // shared on-chip memory holding activations and KV cache
  bool weights_resident = false;
  bool kv_cache_on_chip = false;
};

Expected<Compiled> compile(const ir::Graph& graph, const spec::ChipSpec& chip, const CompileOptions& options = {});

// What a program does, read back from its instructions.
struct ProgramStats {
  std::array<std::size_t, 8> engine_instructions{};  // by isa::Engine, ctl last
  double mxu_macs = 0;   // sum over mxu.mm of m x k x n of the slot's loaded tile
  double hbm_bytes = 0;  // sum over dma.copy of the box's bytes, once per HBM side
  double dma_bytes = 0;  // every dma.copy's box
};
ProgramStats program_stats(const isa::Program& program);

// Simulates the dependency tokens of every core abstractly (docs/isa.md): each engine runs its queue in
// order as far as its waits allow; barriers drain the core (chip barriers wait for every core with the
// same id). "" when every wait is matched by a signal, nothing deadlocks, no counter passes 255 and no
// token is left at the end; else the first problem ("core 0, mxu0 instruction 12 (code index 40)
// waits for dma0 forever").
std::string verify_tokens(const isa::Program& program);

}  // namespace xpusim::compiler
