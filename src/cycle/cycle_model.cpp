#include "cycle/cycle_model.h"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <utility>

#include "compiler/compiler.h"
#include "perfsim/simulator.h"

namespace xpusim::cycle {
namespace {

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

// An error's message without its "error: " prefix, to be wrapped in another.
std::string reason(const Error& error) {
  const auto& items = error.diagnostics().items();
  return items.empty() ? error.to_string() : items.front().message;
}

bool analytical_only(ir::OpKind kind) {
  return ir::is_collective(kind) || kind == ir::OpKind::view;
}

}  // namespace

ir::Graph single_op_graph(const ir::Graph& graph, const ir::Op& op) {
  ir::Graph one;
  std::vector<ir::TensorId> inputs;
  for (ir::TensorId id : op.inputs) {
    const ir::Tensor& t = graph.tensor(id);
    // Copies (one per layer) are kept: the compiler lays them side by side and sizes residency by them.
    inputs.push_back(one.add_tensor(t.name, t.shape, t.dtype, t.role, t.copies));
  }
  std::vector<ir::TensorId> outputs;
  if (op.outputs.size() == 1) {
    outputs.push_back(one.add_op(op.kind, op.name, inputs, op.attrs, 1, op.phase));
  } else {
    outputs = one.add_op_multi(op.kind, op.name, inputs, op.attrs, 1, op.phase);
  }
  // Outputs keep the types the original graph gave them (an fp8 GEMM writing bf16, say).
  for (std::size_t i = 0; i < outputs.size() && i < op.outputs.size(); ++i) {
    const ir::Tensor& original = graph.tensor(op.outputs[i]);
    ir::Tensor& copy = one.tensor(outputs[i]);
    copy.name = original.name;
    copy.dtype = original.dtype;
    copy.role = original.role;
    copy.copies = original.copies;
  }
  return one;
}

std::string op_key(const ir::Graph& graph, const ir::Op& op) {
  std::ostringstream key;
  const ir::OpAttrs& a = op.attrs;
  key << ir::op_kind_name(op.kind) << (a.causal ? " causal" : "") << (a.skip_masked ? " skip" : "")
      << " fpe=" << a.flops_per_element << " phase=" << ir::phase_name(op.phase);
  if (!a.shape.empty()) key << " shape=" << ir::shape_text(a.shape);
  if (a.compute_dtype) key << " as " << ir::dtype_name(*a.compute_dtype);
  const auto operands = [&](const char* label, const std::vector<ir::TensorId>& ids) {
    key << label;
    for (ir::TensorId id : ids) {
      const ir::Tensor& t = graph.tensor(id);
      key << ' ' << ir::dtype_name(t.dtype) << ir::shape_text(t.shape) << ir::role_name(t.role) << 'x' << t.copies;
    }
  };
  operands(" in", op.inputs);
  operands(" out", op.outputs);
  return key.str();
}

CycleModel::CycleModel(const spec::ChipSpec& chip) : chip_(&chip), analytical_(chip) {}

CycleModel::CycleModel(CycleModel&& other) noexcept
    : chip_(other.chip_),
      analytical_(*other.chip_),
      memo_(std::move(other.memo_)),
      simulated_(std::move(other.simulated_)) {}

Expected<CycleModel> CycleModel::create(const spec::ChipSpec& chip) {
  if (chip.family == "gpu")
    return Error("the cycle engine runs custom chips; " + chip.name +
                 " is a GPU, timed by the analytical model calibrated on published measurements");
  // The compiler says precisely what a chip lacks; ask it with the smallest program there is.
  ir::Graph probe;
  const ir::TensorId a = probe.add_tensor("a", {1, 128}, ir::DType::bf16, ir::TensorRole::activation);
  probe.add_op(ir::OpKind::gelu, "probe", {a});
  Expected<compiler::Compiled> compiled = compiler::compile(probe, chip, {});
  if (!compiled.ok()) return Error("the cycle engine cannot run on " + chip.name + ": " + reason(compiled.error()));
  return CycleModel(chip);
}

Expected<perfmodel::OpTime> CycleModel::time_op(const ir::Graph& graph, const ir::Op& op,
                                                const perfmodel::Interconnect& link,
                                                const perfmodel::Residency& residency) const {
  if (analytical_only(op.kind)) return analytical_.time_op(graph, op, link, residency);
  // Weights stay on chip only when the whole step's do, not just this op's: the step decides.
  const std::string key = op_key(graph, op) + (residency.weights ? " resident" : "");
  {
    const std::lock_guard lock(mutex_);
    if (auto hit = memo_.find(key); hit != memo_.end()) return hit->second;
  }
  // Supported types are the analytical model's check too; its message is the one users know.
  if (Expected<perfmodel::OpTime> check = analytical_.time_op(graph, op, link, residency); !check.ok())
    return check.error();

  SimulatedOp record;
  record.key = key;
  const ir::Graph one = single_op_graph(graph, op);
  compiler::CompileOptions options;
  options.unroll_repeats = false;
  // The step decides whether weights stay on chip; a matmul of a weight follows it (other ops hold none).
  if (op.kind == ir::OpKind::matmul && graph.tensor(op.inputs[1]).role == ir::TensorRole::weight)
    options.resident_weights = residency.weights;
  auto start = std::chrono::steady_clock::now();
  Expected<compiler::Compiled> compiled = compiler::compile(one, *chip_, options);
  record.compile_ms = elapsed_ms(start);
  // What the compiler does not run yet (docs/compiler.md, "Limits") is timed analytically, and said so.
  const auto fall_back = [&](std::string why) -> Expected<perfmodel::OpTime> {
    Expected<perfmodel::OpTime> t = analytical_.time_op(graph, op, link, residency);
    if (!t.ok()) return t.error();
    record.fallback = std::move(why);
    record.seconds = t->seconds;
    const std::lock_guard lock(mutex_);
    memo_.emplace(key, *t);
    simulated_.push_back(std::move(record));
    return t;
  };
  if (!compiled.ok()) return fall_back(reason(compiled.error()));
  if (!compiled->skipped.empty()) return fall_back(compiled->skipped.front());
  for (const isa::CoreCode& core : compiled->program.cores) record.instructions += core.code.size();
  start = std::chrono::steady_clock::now();
  Expected<perfsim::SimResult> sim = perfsim::simulate(compiled->program, *chip_, {});
  if (!sim.ok()) return Error("cycle engine, op " + op.name + ": " + reason(sim.error()));
  record.simulate_ms = elapsed_ms(start);
  record.cycles = sim->cycles;
  record.seconds = sim->seconds;
  record.mxu_utilization = sim->mxu_utilization;
  record.hbm_bytes = sim->hbm_read_bytes + sim->hbm_write_bytes;

  perfmodel::OpTime t;
  t.seconds = sim->seconds;
  t.flops = ir::op_cost(graph, op).flops;
  t.hbm_bytes = record.hbm_bytes;
  const bool matrix = perfmodel::time_category(op.kind) == perfmodel::TimeCategory::matmul ||
                      perfmodel::time_category(op.kind) == perfmodel::TimeCategory::attention;
  const double peak_flops = matrix ? analytical_.matmul_peak_flops(perfmodel::matrix_dtype(graph, op)) : 0;
  const double hbm_peak = chip_->hbm.bandwidth_tb_s * 1e12;
  // What the simulation ran into: the busier of the matrix units (at their peak rate) and HBM (at its
  // peak bandwidth); neither near the whole time means the op waited on latency.
  t.compute_s = peak_flops > 0 ? t.flops / peak_flops : 0;
  t.memory_s = hbm_peak > 0 ? t.hbm_bytes / hbm_peak : 0;
  t.peak_fraction = peak_flops > 0 && t.seconds > 0 ? t.flops / t.seconds / peak_flops
                    : t.seconds > 0                 ? t.memory_s / t.seconds
                                                    : 0;
  t.bound = t.compute_s >= t.memory_s ? perfmodel::Bound::compute : perfmodel::Bound::memory;
  if (std::max(t.compute_s, t.memory_s) < 0.5 * t.seconds) t.bound = perfmodel::Bound::latency;

  const std::lock_guard lock(mutex_);
  memo_.emplace(key, t);
  simulated_.push_back(std::move(record));
  return t;
}

std::vector<SimulatedOp> CycleModel::simulated() const {
  const std::lock_guard lock(mutex_);
  return simulated_;
}

}  // namespace xpusim::cycle
