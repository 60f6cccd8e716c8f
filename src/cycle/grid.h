// The grid that holds the analytical model against the cycle engine (issue: "per-op times within 10% of
// perfsim"): every distinct compute op of a model's prefill, decode steps and training step at several
// batch sizes, timed both ways on one chip.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec/specs.h"
#include "support/expected.h"

namespace xpusim::cycle {

struct GridRow {
  std::string workload;  // "decode b64 ctx2048", "prefill b1 x 2048", "train mb1 x 4096"
  std::string op;        // the op's name in the graph
  std::string kind;      // matmul, attention, rmsnorm, ...
  std::string shape;     // operand shapes
  double analytical_s = 0;
  double cycle_s = 0;
  std::uint64_t cycles = 0;
  double error_pct = 0;  // (analytical - cycle) / cycle x 100
  std::string analytical_bound, cycle_bound;
  // The analytical model's terms at ideal efficiency and no overhead (what the fit scales).
  std::string category;  // matmul, attention, vector, memory
  double ideal_compute_s = 0, ideal_memory_s = 0;
};

struct GridSummary {
  int rows = 0;
  double median_abs_error_pct = 0;
  double max_abs_error_pct = 0;
  int within_10_pct = 0;
};

struct GridOptions {
  std::vector<std::int64_t> decode_batches{1, 8, 64, 512};
  std::int64_t context = 2048;
  std::vector<std::int64_t> prefill_batches{1, 8};  // 0 entries are skipped
  std::int64_t prompt = 2048;
  std::int64_t train_seq = 4096;  // 0: no training step
};

// Errors: the chip is not one the cycle engine runs, or an op fails to compile or simulate.
Expected<std::vector<GridRow>> run_grid(const spec::ModelSpec& model, const spec::ChipSpec& chip,
                                        const GridOptions& options = {});
GridSummary summarize(const std::vector<GridRow>& rows);

// The analytical model's few structural parameters fitted to the cycle engine: matmul, attention and
// vector efficiency, achieved HBM fraction and a fixed time per op, chosen to minimize the squared log
// error of time = overhead + max(ideal compute / efficiency, ideal memory / hbm) over the grid's rows.
struct Fit {
  double matmul = 1, attention = 1, vector = 1, hbm = 1, overhead_us = 0;
  GridSummary before, after;
  std::vector<double> after_error_pct;  // per row, with the fitted parameters
};
Fit fit_efficiency(const std::vector<GridRow>& rows);

}  // namespace xpusim::cycle
