#include "cycle/grid.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "cycle/cycle_model.h"
#include "frontend/llm/llm_builder.h"
#include "perfmodel/chip_model.h"

namespace xpusim::cycle {
namespace {

std::string operand_shapes(const ir::Graph& graph, const ir::Op& op) {
  std::string text;
  for (ir::TensorId id : op.inputs) text += (text.empty() ? "" : " x ") + ir::shape_text(graph.tensor(id).shape);
  return text;
}

}  // namespace

Expected<std::vector<GridRow>> run_grid(const spec::ModelSpec& model, const spec::ChipSpec& chip,
                                        const GridOptions& options) {
  Expected<CycleModel> cycle = CycleModel::create(chip);
  if (!cycle.ok()) return cycle.error();
  const perfmodel::ChipModel analytical(chip);
  // The same model at ideal efficiency with no fixed cost: the terms a fit scales.
  spec::ChipSpec ideal_chip = chip;
  for (auto& [dtype, efficiency] : ideal_chip.efficiency.matmul) efficiency = 1;
  ideal_chip.efficiency.attention = ideal_chip.efficiency.hbm = ideal_chip.efficiency.vector = 1;
  ideal_chip.efficiency.kernel_overhead_us = 0;
  const perfmodel::ChipModel ideal(ideal_chip);
  const perfmodel::Interconnect no_link;

  struct Workload {
    std::string name;
    Expected<ir::Graph> graph;
  };
  std::vector<Workload> workloads;
  frontend::LlmOptions llm;
  for (std::int64_t b : options.decode_batches)
    workloads.push_back({"decode b" + std::to_string(b) + " ctx" + std::to_string(options.context),
                         frontend::build_decode(model, b, options.context, llm)});
  for (std::int64_t b : options.prefill_batches)
    if (b > 0)
      workloads.push_back({"prefill b" + std::to_string(b) + " x " + std::to_string(options.prompt),
                         frontend::build_prefill(model, b, options.prompt, llm)});
  if (options.train_seq > 0)
    workloads.push_back({"train mb1 x " + std::to_string(options.train_seq),
                         frontend::build_training_step(model, 1, options.train_seq, frontend::Recompute::none, llm)});

  std::vector<GridRow> rows;
  std::set<std::string> seen;
  for (const Workload& w : workloads) {
    if (!w.graph.ok()) return w.graph.error();
    const ir::Graph& graph = *w.graph;
    const perfmodel::Residency residency = perfmodel::residency_of(graph, chip);
    for (const ir::Op& op : graph.ops()) {
      if (ir::is_collective(op.kind) || op.kind == ir::OpKind::view) continue;
      if (!seen.insert(op_key(graph, op)).second) continue;
      Expected<perfmodel::OpTime> a = analytical.time_op(graph, op, no_link, residency);
      if (!a.ok()) return a.error();
      Expected<perfmodel::OpTime> c = cycle->time_op(graph, op, no_link, residency);
      if (!c.ok()) return c.error();
      Expected<perfmodel::OpTime> i = ideal.time_op(graph, op, no_link, residency);
      if (!i.ok()) return i.error();
      GridRow row;
      row.workload = w.name;
      row.op = op.name;
      row.kind = std::string(ir::op_kind_name(op.kind));
      row.shape = operand_shapes(graph, op);
      row.analytical_s = a->seconds;
      row.cycle_s = c->seconds;
      row.cycles = static_cast<std::uint64_t>(std::llround(c->seconds * chip.clock_mhz * 1e6));
      row.error_pct = c->seconds > 0 ? (a->seconds - c->seconds) / c->seconds * 100 : 0;
      row.analytical_bound = std::string(perfmodel::bound_name(a->bound));
      row.cycle_bound = std::string(perfmodel::bound_name(c->bound));
      row.category = std::string(perfmodel::time_category_name(perfmodel::time_category(op.kind)));
      row.ideal_compute_s = i->compute_s;
      row.ideal_memory_s = i->memory_s;
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

GridSummary summarize(const std::vector<GridRow>& rows) {
  GridSummary s;
  s.rows = static_cast<int>(rows.size());
  if (rows.empty()) return s;
  std::vector<double> errors;
  for (const GridRow& r : rows) {
    errors.push_back(std::abs(r.error_pct));
    if (std::abs(r.error_pct) <= 10) ++s.within_10_pct;
  }
  std::sort(errors.begin(), errors.end());
  const std::size_t n = errors.size();
  s.median_abs_error_pct = n % 2 ? errors[n / 2] : (errors[n / 2 - 1] + errors[n / 2]) / 2;
  s.max_abs_error_pct = errors.back();
  return s;
}

namespace {

// Squared log error of the fitted form over the rows; the ops the compiler does not run (timed
// analytically, so equal by construction) are left out by the caller.
struct Params {
  double matmul, attention, vector, hbm, overhead_s;
};

double predicted(const GridRow& r, const Params& p) {
  double efficiency = p.vector;
  if (r.category == "matmul") efficiency = p.matmul;
  if (r.category == "attention") efficiency = p.matmul * p.attention;
  return p.overhead_s + std::max(r.ideal_compute_s / efficiency, r.ideal_memory_s / p.hbm);
}

double loss(const std::vector<GridRow>& rows, const Params& p) {
  double sum = 0;
  for (const GridRow& r : rows) {
    const double e = std::log(predicted(r, p) / r.cycle_s);
    sum += e * e;
  }
  return sum;
}

}  // namespace

Fit fit_efficiency(const std::vector<GridRow>& rows) {
  Fit fit;
  fit.before = summarize(rows);
  std::vector<GridRow> usable;
  for (const GridRow& r : rows)
    if (r.cycle_s > 0 && r.ideal_compute_s + r.ideal_memory_s > 0) usable.push_back(r);
  Params p{1, 1, 1, 1, 0};
  // Coordinate descent over bounded grids: efficiencies 0.02-1 in 1% steps, the overhead 0-5 us in
  // 10 ns steps; forty sweeps settle it (the loss is smooth in each parameter).
  for (int sweep = 0; sweep < 40 && !usable.empty(); ++sweep) {
    for (double* value : {&p.matmul, &p.attention, &p.vector, &p.hbm}) {
      double best = *value, best_loss = loss(usable, p);
      for (int step = 2; step <= 100; ++step) {
        *value = step / 100.0;
        if (const double l = loss(usable, p); l < best_loss) best = *value, best_loss = l;
      }
      *value = best;
    }
    double best = p.overhead_s, best_loss = loss(usable, p);
    for (int step = 0; step <= 500; ++step) {
      p.overhead_s = step * 1e-8;
      if (const double l = loss(usable, p); l < best_loss) best = p.overhead_s, best_loss = l;
    }
    p.overhead_s = best;
  }
  fit.matmul = p.matmul;
  fit.attention = p.attention;
  fit.vector = p.vector;
  fit.hbm = p.hbm;
  fit.overhead_us = p.overhead_s * 1e6;
  std::vector<GridRow> after = rows;
  for (GridRow& r : after) {
    if (r.cycle_s > 0 && r.ideal_compute_s + r.ideal_memory_s > 0)
      r.error_pct = (predicted(r, p) - r.cycle_s) / r.cycle_s * 100;
    fit.after_error_pct.push_back(r.error_pct);
  }
  fit.after = summarize(after);
  return fit;
}

}  // namespace xpusim::cycle
