// SCALE-Sim-compatible mode: a lone systolic array timed the way SCALE-Sim v2 (commit 22f88b1) times it,
// so that xpusim's numbers can be held against the field's reference simulator.
//
// A topology (SCALE-Sim's CSV, conv or GEMM form) becomes one GEMM per layer with SCALE-Sim's mapping
// (no padding, batch 1). Each dataflow (output, weight or input stationary) spreads two of the GEMM's
// dimensions over the array's rows and columns and streams the third in time; the parts that do not fit
// are folds, run one after another. SCALE-Sim builds every fold's per-cycle demand matrices; their sizes
// follow from the shapes alone, so here each layer is a closed form in the GEMM's sizes and the array's
// shape, with no per-cycle loop. docs/scalesim.md writes down every convention and the check against
// SCALE-Sim's own totals.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "support/diagnostic.h"
#include "support/expected.h"

namespace xpusim::perfsim {

// Where each operand stays put while the others stream past (SCALE-Sim's `os`, `ws`, `is`).
enum class Dataflow { output_stationary, weight_stationary, input_stationary };

// SCALE-Sim's short name: "os", "ws" or "is".
std::string_view dataflow_name(Dataflow dataflow);

// Which of SCALE-Sim's two topology layouts a file uses.
enum class TopologyFormat {
  conv,  // name, ifmap h, ifmap w, filter h, filter w, channels, filters, stride [, stride w]
  gemm,  // name, M, N, K
};

// One layer of a topology, already mapped to the GEMM out[M][N] = in[M][K] x weight[K][N].
struct TopologyLayer {
  std::string name;
  int line = 0;                    // 1-based line in the topology file, for messages
  std::int64_t m = 0;              // rows of the output: ofmap pixels (ofmap h x ofmap w), batch 1
  std::int64_t n = 0;              // columns of the output: filters
  std::int64_t k = 0;              // reduction: filter h x filter w x channels
  std::int64_t copies = 1;         // a depth-wise layer ("DP" in its name) runs once per channel
};

struct Topology {
  std::string file;  // the name shown in messages
  std::vector<TopologyLayer> layers;
  Diagnostics warnings;  // e.g. a first line that is a layer, skipped as SCALE-Sim skips its header
};

// Largest topology file read, so a huge or endless input cannot exhaust memory.
inline constexpr std::size_t kMaxTopologyFileBytes = 4u << 20;

// Parses a topology's text. The first line is a header and is skipped, as are blank lines. Every
// malformed line (missing or extra columns, a value that is not a whole number, a zero or negative
// size, a filter larger than its ifmap, sizes whose products overflow) is one error at file:line:col.
Expected<Topology> parse_topology(std::string_view text, const std::string& file, TopologyFormat format);

// Reads (a regular file of at most kMaxTopologyFileBytes) and parses a topology; `label` is the name
// shown in messages.
Expected<Topology> load_topology(const std::filesystem::path& path, const std::string& label, TopologyFormat format);

// The array's shape in processing elements.
struct ArrayShape {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
};

// Largest array side accepted: beyond it no fold count or cycle count is meaningful.
inline constexpr std::int64_t kMaxArraySide = 1 << 20;

// One layer's run, in SCALE-Sim's terms.
struct LayerTiming {
  std::string name;
  std::int64_t copies = 1;
  std::int64_t m = 0, n = 0, k = 0;
  std::int64_t spatial_rows = 0;     // Sr: the GEMM dimension laid along the array's rows
  std::int64_t spatial_cols = 0;     // Sc: the dimension laid along its columns
  std::int64_t temporal = 0;         // T: the dimension streamed in time
  std::int64_t row_folds = 0;        // ceil(Sr / rows)
  std::int64_t col_folds = 0;        // ceil(Sc / cols)
  std::int64_t cycles_per_fold = 0;  // demand lines of one fold (fill, stream, skew and drain)
  std::int64_t cycles = 0;           // SCALE-Sim's "Total Cycles" for the layer, all copies together
  std::int64_t macs = 0;             // M x N x K x copies
  double overall_util_pct = 0;       // macs / (cycles x rows x cols), SCALE-Sim's "Overall Util %"
  double mapping_efficiency_pct = 0; // mean over folds of the share of PEs mapped
  double compute_util_pct = 0;       // mean over folds of MACs / (PEs x that fold's own cycle span)
};

struct ScaleSimRun {
  ArrayShape array;
  Dataflow dataflow = Dataflow::output_stationary;
  std::vector<LayerTiming> layers;
  std::int64_t total_cycles = 0;  // the sum of the layers' cycles, as SCALE-Sim's totals are quoted
  std::int64_t total_macs = 0;
  double overall_util_pct = 0;    // total_macs / (total_cycles x rows x cols)
};

// One layer on `array` with `dataflow`; an error (at the layer's line of `file`) when a count overflows.
Expected<LayerTiming> time_layer(const TopologyLayer& layer, ArrayShape array, Dataflow dataflow,
                                 const std::string& file);

// Every layer of `topology`, and the totals. `array` must have sides in [1, kMaxArraySide].
Expected<ScaleSimRun> run_scalesim(const Topology& topology, ArrayShape array, Dataflow dataflow);

}  // namespace xpusim::perfsim
