#include "perfmodel/chip_model.h"

#include <algorithm>
#include <cmath>

#include "network/collectives.h"

namespace xpusim::perfmodel {
namespace {

// The HBM bytes of an op when some of its tensors stay on chip: its least traffic (op_cost), less the
// share of the reads and writes that fall on resident tensors.
double offchip_share(const ir::Graph& graph, const std::vector<ir::TensorId>& ids, const Residency& residency) {
  double all = 0, off = 0;
  for (ir::TensorId id : ids) {
    const ir::Tensor& t = graph.tensor(id);
    all += t.bytes();
    if (!residency.on_chip(t.role)) off += t.bytes();
  }
  return all > 0 ? off / all : 1;
}

double hbm_traffic(const ir::Graph& graph, const ir::Op& op, const ir::OpCost& cost, const Residency& residency) {
  return cost.bytes_read * offchip_share(graph, op.inputs, residency) +
         cost.bytes_written * offchip_share(graph, op.outputs, residency);
}


using ir::OpKind;

double ceil_div(double a, double b) {
  return std::ceil(a / b);
}

// GEMM threadblock tiles a GPU library picks from (CUTLASS's and cuBLAS's usual shapes); the model
// takes the fastest that fits shared memory, as their heuristics aim to.
constexpr std::pair<int, int> kGpuTiles[] = {{128, 256}, {256, 128}, {128, 128}, {128, 64},
                                             {64, 256},  {64, 128},  {64, 64}};
constexpr double kMinSplitKDepth = 256;  // split-K stops where a slice of K is too thin to pipeline
constexpr int kGpuPipelineStages = 3;    // multi-buffered operand tiles in shared memory
constexpr int kGpuKBlockBytes = 128;     // bytes of K each stage holds per row (64 bf16, 128 fp8)

// Rows up to which the XPU compiler treats a matmul as a GEMV (decode): weights streamed in small
// blocks, k split over two units when a core's tiles leave half its units idle.
constexpr double kFewRows = 64;

struct MatmulDims {
  double batch = 1, m = 1, n = 1, k = 1;
};

MatmulDims matmul_dims(const ir::Graph& graph, const ir::Op& op) {
  const ir::Shape& a = graph.tensor(op.inputs[0]).shape;
  const ir::Shape& b = graph.tensor(op.inputs[1]).shape;
  MatmulDims d;
  d.k = static_cast<double>(a.back());
  d.n = static_cast<double>(b.back());
  d.m = static_cast<double>(a[a.size() - 2]);
  double lead = 1;
  for (std::size_t i = 0; i + 2 < a.size(); ++i) lead *= static_cast<double>(a[i]);
  if (b.size() > 2)
    d.batch = lead;  // batched operands: independent GEMMs
  else
    d.m *= lead;  // a shared weight: leading dims fold into M
  return d;
}

}  // namespace

std::string_view bound_name(Bound bound) {
  switch (bound) {
    case Bound::compute:
      return "compute";
    case Bound::memory:
      return "memory";
    case Bound::latency:
      return "latency";
    case Bound::network:
      return "network";
    case Bound::free:
      return "free";
  }
  return "?";
}

const spec::ChipEfficiency& xpu_family_efficiency() {
  // Fitted to the cycle engine on xpu-1 (`xpusim crosscheck --chip xpu-1 --fit`, docs/cycle-engine.md),
  // and the same as xpu-1's own efficiency block (a test holds them equal).
  static const spec::ChipEfficiency e = [] {
    constexpr double matmul = 0.83, attention = 0.03, hbm = 0.81, vector = 0.14, overhead_us = 0.15;
    spec::ChipEfficiency f;
    for (const char* dtype : {"bf16", "fp16", "fp8", "int8", "fp4"}) f.matmul[dtype] = matmul;
    f.attention = attention;
    f.hbm = hbm;
    f.vector = vector;
    f.kernel_overhead_us = overhead_us;
    return f;
  }();
  return e;
}

const spec::ChipEfficiency& efficiency_of(const spec::ChipSpec& chip) {
  return chip.has_efficiency || chip.family != "xpu" ? chip.efficiency : xpu_family_efficiency();
}

ChipModel::ChipModel(const spec::ChipSpec& chip) : chip_(&chip) {
  const spec::ChipEfficiency& e = efficiency_of(chip);
  for (ir::DType dtype : ir::kAllDTypes) {
    const auto i = static_cast<std::size_t>(dtype);
    const std::string key(ir::dtype_compute_key(dtype));
    const auto& macs = chip.cores.matrix_unit.macs_per_cycle;
    if (auto it = macs.find(key); it != macs.end()) {
      macs_per_cycle_[i] = it->second;
      peak_flops_[i] = chip.derived_peak_tflops(key) * 1e12;
    }
    auto found = e.matmul.find(key);
    matmul_efficiency_[i] = found != e.matmul.end() ? found->second : 1.0;
  }
  systolic_ = chip.family != "gpu";
  attention_efficiency_ = e.attention;
  hbm_bytes_per_s_ = chip.hbm.bandwidth_tb_s * 1e12 * e.hbm;
  vector_flops_ = chip.derived_peak_tflops("fp32") * 1e12 * e.vector;
  overhead_s_ = e.kernel_overhead_us * 1e-6;
  core_sram_bytes_ = chip.core_sram_kib() * 1024;
  onchip_bytes_ = chip.shared_sram_mib() * 1024 * 1024;
  if (onchip_bytes_ == 0) onchip_bytes_ = core_sram_bytes_ * static_cast<double>(chip.cores.count);
}

bool ChipModel::supports(ir::DType dtype) const {
  return peak_flops_[static_cast<std::size_t>(dtype)] > 0;
}

double ChipModel::matmul_peak_flops(ir::DType dtype) const {
  return peak_flops_[static_cast<std::size_t>(dtype)];
}

double ChipModel::matmul_efficiency(ir::DType dtype) const {
  return matmul_efficiency_[static_cast<std::size_t>(dtype)];
}

OpTime ChipModel::matmul(const ir::Graph& graph, const ir::Op& op, const Residency& residency) const {
  const ir::Tensor& a = graph.tensor(op.inputs[0]);
  const ir::Tensor& b = graph.tensor(op.inputs[1]);
  const ir::Tensor& c = graph.tensor(op.outputs[0]);
  // Operands held on chip for the whole step cost no HBM traffic, however often tiling re-reads them.
  const auto offchip = [&](const ir::Tensor& t) { return residency.on_chip(t.role) ? 0.0 : t.bytes(); };
  const double a_bytes = offchip(a), b_bytes = offchip(b), c_bytes = offchip(c);
  const MatmulDims d = matmul_dims(graph, op);
  const ir::DType dtype = matrix_dtype(graph, op);
  const double in_bytes = ir::dtype_bytes(dtype);
  const double peak = matmul_peak_flops(dtype) * matmul_efficiency(dtype);
  const auto& unit = chip_->cores.matrix_unit;
  // The instruction's K granule is a fixed number of bytes: fp8 instructions take twice the K of bf16.
  const double k_granule = static_cast<double>(unit.tile.k) * std::max(1.0, 2.0 / in_bytes);
  const double k_padded = ceil_div(d.k, k_granule) * k_granule;

  OpTime best;
  best.seconds = -1;
  auto consider = [&](double compute_s, double traffic) {
    const double memory_s = traffic / hbm_bytes_per_s_;
    const double seconds = std::max(compute_s, memory_s) + overhead_s_;
    if (best.seconds >= 0 && seconds >= best.seconds) return;
    best.seconds = seconds;
    best.compute_s = compute_s;
    best.memory_s = memory_s;
    best.hbm_bytes = traffic;
  };
  // Re-reads of A and B: an operand panel stays in on-chip memory while the other streams past, in
  // blocks as large as half of that memory holds.
  auto traffic_for = [&](double tile_m, double tile_n) {
    const double block = std::max({tile_m, tile_n, onchip_bytes_ / 2 / std::max(1.0, 2 * d.k * in_bytes)});
    const double a_reads = ceil_div(d.n, std::max(tile_n, block));
    const double b_reads = ceil_div(d.m, std::max(tile_m, block));
    return a_bytes * a_reads + b_bytes * std::min(b_reads, std::max(1.0, ceil_div(d.m, tile_m))) + c_bytes;
  };

  if (!systolic_) {
    const double sms = static_cast<double>(chip_->cores.count);
    const double per_sm = peak / sms;
    const double smem = core_sram_bytes_;
    // Operands reach the tensor cores through shared memory and L2 at a rate sized for the tile the
    // architecture is built around: at least 128 x 128 (Ampere's mma.sync kernels), two warp groups of a
    // narrower instruction (Hopper: 2 x m64n256 = 128 x 256), one instruction of a 128-row one
    // (Blackwell). A tile with less reuse (tm tn / (tm + tn) MACs per element loaded) starves them in
    // proportion.
    const double instruction_m = static_cast<double>(unit.tile.m);
    const double full_m = std::max(128.0, instruction_m < 128 ? 2 * instruction_m : instruction_m);
    const double full_n = std::max(128.0, static_cast<double>(unit.tile.n));
    const double full_reuse = full_m * full_n / (full_m + full_n);
    for (const auto& [tm, tn] : kGpuTiles) {
      const double stage_bytes = (tm + tn) * kGpuKBlockBytes;
      if (kGpuPipelineStages * stage_bytes > smem && !(tm == 64 && tn == 64)) continue;
      const double reuse = static_cast<double>(tm * tn) / (tm + tn);
      const double rate = per_sm * std::min(1.0, reuse / full_reuse);
      const double tiles_m = ceil_div(d.m, tm), tiles_n = ceil_div(d.n, tn);
      // Too few tiles to fill the SMs: the library splits K across CTAs (split-K / stream-K) and adds
      // the partial sums, which costs an extra pass over C per split.
      const double output_tiles = d.batch * tiles_m * tiles_n;
      const double splits =
          std::max(1.0, std::min(std::floor(sms / output_tiles), std::floor(k_padded / kMinSplitKDepth)));
      const double tiles = output_tiles * splits;
      const double waves = ceil_div(tiles, sms);
      const double compute_s = waves * (tm * tn * (k_padded / splits) * 2.0) / rate;
      // Each wave's CTAs cover a near-square block of tiles; its A rows and B columns come from HBM
      // once per wave (L2 shares them among the wave's CTAs), and never less than once in all.
      const double concurrent = std::min(tiles, sms);
      const double grid_m = std::min(tiles_m, std::max(1.0, std::round(std::sqrt(concurrent * tn / tm))));
      const double grid_n = std::min(tiles_n, ceil_div(concurrent, grid_m));
      const double wave_bytes = (grid_m * tm + grid_n * tn) * d.k * in_bytes;
      const double operand_bytes = std::max(a_bytes + b_bytes, waves * wave_bytes / splits);
      const double reduction_bytes = splits > 1 ? 2 * splits * c.elements() * 4 : 0;  // fp32 partials
      consider(compute_s, operand_bytes + c_bytes + reduction_bytes);
    }
  } else {
    // Weight-stationary systolic arrays: a k x n block of B sits in the array while the rows of A
    // stream through, `rows_per_cycle` at a time. Without double buffering each block is loaded, then
    // streamed, then drained: k + n cycles of fill and drain per block. With it, the next block's k rows
    // shift in behind the current stream, so a block costs the longer of its stream and its load, and
    // the array fills and drains once per unit: at small m (decode) the array waits on weight loads,
    // which HBM must feed, instead of paying a fill per block.
    const double array_k = static_cast<double>(unit.tile.k), array_n = static_cast<double>(unit.tile.n);
    const double listed = macs_per_cycle_[static_cast<std::size_t>(dtype)];
    const double macs = listed > 0 ? listed : array_k * array_n;
    const double rows_per_cycle = macs / (array_k * array_n);
    // The compiler's mapping (docs/compiler.md, mapping): n tiles dealt to the cores, then to a core's
    // units; k accumulates within a unit, except that a matmul of at most 64 rows whose tiles leave
    // half a core's units idle splits its k tiles over two units. The busiest unit sets the time.
    const double cores = static_cast<double>(chip_->cores.count), per_core = static_cast<double>(unit.count);
    const double tiles_per_core = ceil_div(ceil_div(d.n, array_n), cores);
    const double k_tiles = ceil_div(d.k, array_k);
    const bool k_split = d.m <= kFewRows && 2 * std::min(tiles_per_core, per_core) <= per_core;
    const double waves = d.batch * ceil_div(tiles_per_core, per_core) * (k_split ? ceil_div(k_tiles, 2) : k_tiles);
    const double stream = ceil_div(d.m, rows_per_cycle);
    const double cycles = unit.double_buffered ? waves * std::max(stream, array_k) + array_k + array_n
                                               : waves * (stream + array_k + array_n);
    const double eff = matmul_efficiency(dtype);
    const double compute_s = cycles / (chip_->clock_mhz * 1e6) / eff;
    consider(compute_s, traffic_for(array_k, array_n));
  }
  best.flops = 2.0 * d.batch * d.m * d.n * d.k;
  best.overhead_s = overhead_s_;
  best.peak_fraction = best.flops / best.seconds / matmul_peak_flops(dtype);
  best.bound = best.compute_s >= best.memory_s ? Bound::compute : Bound::memory;
  if (overhead_s_ > std::max(best.compute_s, best.memory_s)) best.bound = Bound::latency;
  return best;
}

OpTime ChipModel::attention(const ir::Graph& graph, const ir::Op& op, const Residency& residency) const {
  const ir::DType dtype = graph.tensor(op.inputs[0]).dtype;
  const ir::OpCost cost = ir::op_cost(graph, op);
  OpTime t;
  t.flops = cost.flops;
  t.hbm_bytes = hbm_traffic(graph, op, cost, residency);
  t.compute_s = cost.flops / (matmul_peak_flops(dtype) * matmul_efficiency(dtype) * attention_efficiency_);
  t.memory_s = t.hbm_bytes / hbm_bytes_per_s_;
  t.overhead_s = overhead_s_;
  t.seconds = std::max(t.compute_s, t.memory_s) + t.overhead_s;
  t.peak_fraction = t.flops / t.seconds / matmul_peak_flops(dtype);
  t.bound = t.compute_s >= t.memory_s ? Bound::compute : Bound::memory;
  if (t.overhead_s > std::max(t.compute_s, t.memory_s)) t.bound = Bound::latency;
  return t;
}

OpTime ChipModel::vector_op(const ir::Graph& graph, const ir::Op& op, const Residency& residency) const {
  const ir::OpCost cost = ir::op_cost(graph, op);
  OpTime t;
  t.flops = cost.flops;
  t.hbm_bytes = hbm_traffic(graph, op, cost, residency);
  t.compute_s = vector_flops_ > 0 ? cost.flops / vector_flops_ : 0;
  t.memory_s = t.hbm_bytes / hbm_bytes_per_s_;
  t.overhead_s = overhead_s_;
  t.seconds = std::max(t.compute_s, t.memory_s) + t.overhead_s;
  t.peak_fraction = t.memory_s / t.seconds;
  t.bound = t.compute_s >= t.memory_s ? Bound::compute : Bound::memory;
  if (t.overhead_s > std::max(t.compute_s, t.memory_s)) t.bound = Bound::latency;
  return t;
}

OpTime ChipModel::collective(const ir::Graph& graph, const ir::Op& op, const Interconnect& link) const {
  OpTime t;
  const int g = op.attrs.group_size;
  if (g <= 1) return t;
  // A ring over the scale-up fabric (what NCCL runs for large messages inside a node), costed by the
  // network module. The buffer is what each rank holds: the gathered output of an all-gather, the
  // input of the others.
  network::Level level;
  level.name = "scale-up";
  level.ranks = g;
  level.bandwidth_gb_s = link.bandwidth_gb_s_per_direction;
  level.latency_us = link.latency_us;
  level.efficiency = link.efficiency;
  const network::Collective kind = op.kind == OpKind::all_reduce       ? network::Collective::all_reduce
                                   : op.kind == OpKind::reduce_scatter ? network::Collective::reduce_scatter
                                   : op.kind == OpKind::all_gather     ? network::Collective::all_gather
                                                                       : network::Collective::all_to_all;
  const ir::TensorId buffer = op.kind == OpKind::all_gather ? op.outputs[0] : op.inputs[0];
  t.flops = ir::op_cost(graph, op).flops;
  if (link.bandwidth_gb_s_per_direction <= 0) return t;
  const Expected<network::CollectiveTime> c = network::collective_time(
      kind, graph.tensor(buffer).bytes(), network::Topology{{level}, {}}, network::Group{{g}}, network::Algorithm::ring);
  XPUSIM_ASSERT(c.ok(), "a one-level group of the level's own size always fits");
  t.link_bytes = graph.tensor(buffer).bytes() * network::bus_factor(kind, g);
  const double steps = kind == network::Collective::all_reduce ? 2.0 * (g - 1) : g - 1.0;
  t.overhead_s = steps * link.latency_us * 1e-6;
  t.seconds = c->seconds;
  t.memory_s = t.seconds - t.overhead_s;
  t.peak_fraction = t.seconds > 0 ? t.memory_s / t.seconds : 0;
  t.bound = t.overhead_s > t.memory_s ? Bound::latency : Bound::network;
  return t;
}

Expected<OpTime> ChipModel::time_op(const ir::Graph& graph, const ir::Op& op, const Interconnect& link,
                                    const Residency& residency) const {
  switch (op.kind) {
    case OpKind::view:
      return OpTime{};
    case OpKind::matmul:
    case OpKind::attention:
    case OpKind::attention_backward: {
      const ir::DType dtype = matrix_dtype(graph, op);
      if (!supports(dtype))
        return Error("chip " + chip_->name + " has no " + std::string(ir::dtype_compute_key(dtype)) +
                     " matrix units (it computes " +
                     [&] {
                       std::string all;
                       for (const auto& [key, macs] : chip_->cores.matrix_unit.macs_per_cycle) {
                         (void)macs;
                         if (!all.empty()) all += ", ";
                         all += key;
                       }
                       return all;
                     }() +
                     ")");
      return op.kind == OpKind::matmul ? matmul(graph, op, residency) : attention(graph, op, residency);
    }
    case OpKind::all_reduce:
    case OpKind::all_gather:
    case OpKind::reduce_scatter:
    case OpKind::all_to_all:
      return collective(graph, op, link);
    default:
      return vector_op(graph, op, residency);
  }
}

namespace {

// Pointwise ops that a GEMM library or inference engine runs in the producing kernel's epilogue.
bool fusable(OpKind kind) {
  return kind == OpKind::gelu || kind == OpKind::silu || kind == OpKind::swiglu || kind == OpKind::rope ||
         kind == OpKind::elementwise;
}

}  // namespace

TimeCategory time_category(ir::OpKind kind) {
  switch (kind) {
    case OpKind::matmul:
      return TimeCategory::matmul;
    case OpKind::attention:
    case OpKind::attention_backward:
      return TimeCategory::attention;
    case OpKind::embedding:
    case OpKind::permute:
    case OpKind::view:
      return TimeCategory::memory;
    default:
      return ir::is_collective(kind) ? TimeCategory::collective : TimeCategory::vector;
  }
}

std::string_view time_category_name(TimeCategory category) {
  static constexpr std::string_view kNames[] = {"matmul", "attention", "vector", "memory", "collective"};
  return kNames[static_cast<std::size_t>(category)];
}

Residency residency_of(const ir::Graph& graph, const spec::ChipSpec& chip) {
  Residency r;
  if (chip.family == "gpu") return r;  // caches, not scratchpads: nothing is placed to stay
  double vmem = 0, cmem = chip.shared_sram_mib() * 1024 * 1024;
  for (const spec::CoreSram& level : chip.cores.sram)
    if (level.level == "vmem") vmem = level.capacity_kib * 1024;
  if (vmem <= 0) return r;
  const double cores = static_cast<double>(chip.cores.count);
  const double tile_n = static_cast<double>(chip.cores.matrix_unit.tile.n);
  // Weights used only as matmul right operands [..., k, n]: each core holds its ceil(tiles / cores)
  // column tiles of every copy. Any other use (an embedding table) keeps them in HBM.
  std::vector<int> matmul_uses(graph.tensors().size(), 0), other_uses(graph.tensors().size(), 0);
  std::vector<bool> view(graph.tensors().size(), false);  // another name for a tensor counted already
  for (const ir::Op& op : graph.ops()) {
    if (op.kind == OpKind::view)
      for (ir::TensorId out : op.outputs) view[static_cast<std::size_t>(out)] = true;
    for (std::size_t i = 0; i < op.inputs.size(); ++i)
      ++(op.kind == OpKind::matmul && i == 1 ? matmul_uses : other_uses)[static_cast<std::size_t>(op.inputs[i])];
  }
  double per_core = 0, activations = 0, kv = 0;
  bool any_weight = false;
  for (std::size_t id = 0; id < graph.tensors().size(); ++id) {
    const ir::Tensor& t = graph.tensors()[id];
    if (view[id]) continue;
    const double copies = static_cast<double>(t.copies);
    if (t.role == ir::TensorRole::activation) activations += std::ceil(t.bytes() / 64) * 64 * copies;
    if (t.role == ir::TensorRole::kv_cache) kv += std::ceil(t.bytes() / 64) * 64 * copies;
    if (t.role != ir::TensorRole::weight || matmul_uses[id] == 0 || other_uses[id] > 0 || t.shape.size() < 2) continue;
    const double n = static_cast<double>(t.shape.back());
    const double rows = t.elements() / n;  // k, times any batch dimensions
    per_core += rows * std::ceil(std::ceil(n / tile_n) / cores) * tile_n * ir::dtype_bytes(t.dtype) * copies;
    any_weight = true;
  }
  r.weights = any_weight && per_core <= vmem - vmem / 4;
  r.activations = activations <= cmem;
  r.kv_cache = r.activations && kv > 0 && activations + kv <= cmem;
  return r;
}

Expected<GraphTime> evaluate(const OpTimer& model, const ir::Graph& graph, const Interconnect& link) {
  GraphTime result;
  const auto& ops = graph.ops();
  result.ops.resize(ops.size());
  const Residency residency = residency_of(graph, model.chip());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const ir::Op& op = ops[i];
    Expected<OpTime> t = model.time_op(graph, op, link, residency);
    if (!t.ok()) return t.error();
    OpTime& time = result.ops[i] = *t;
    // Epilogue fusion: a pointwise op reading the output of the matmul just before it, in the same
    // phase and repeat, costs no launch and no memory pass; its arithmetic hides under the matmul's.
    if (i > 0 && fusable(op.kind) && ops[i - 1].kind == OpKind::matmul && ops[i - 1].repeat == op.repeat &&
        ops[i - 1].phase == op.phase &&
        std::find(op.inputs.begin(), op.inputs.end(), ops[i - 1].outputs[0]) != op.inputs.end()) {
      time = OpTime{};
      time.fused = true;
      time.flops = ir::op_cost(graph, op).flops;
    }
    const double repeat = static_cast<double>(op.repeat);
    result.seconds += time.seconds * repeat;
    result.flops += time.flops * repeat;
    result.hbm_bytes += time.hbm_bytes * repeat;
    econ::Activity& a = result.activity;
    a.hbm_bytes += time.hbm_bytes * repeat;
    a.link_bytes += time.link_bytes * repeat;
    const TimeCategory category = time_category(op.kind);
    if (category == TimeCategory::matmul || category == TimeCategory::attention) {
      a.matrix_flops[static_cast<std::size_t>(matrix_dtype(graph, op))] += time.flops * repeat;
    } else {
      a.vector_flops += time.flops * repeat;  // pointwise work, and the reductions of collectives
    }
  }
  result.activity.seconds = result.seconds;
  return result;
}

}  // namespace xpusim::perfmodel
