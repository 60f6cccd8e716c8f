// The compiler's planning passes, in the order they run (docs/compiler.md):
//   1. legalize: graph ops become kernels; views alias their source; collectives are skipped.
//   2. fuse: a matmul takes its pointwise consumer as an epilogue; gate and up matmuls fuse with swiglu.
//   3. layouts: every tensor a kernel touches is a row-major matrix (K is loaded transposed by DMA).
//   4. dataflow: matmuls are weight-stationary; the rest run on the vector unit or the DMA engines.
//   5. tiling: m rows per accumulator pass and k rows per VMEM half, two halves to double buffer.
//   6. residency: weights stay in VMEM across the step when every core's shards fit; activations and
//      the KV cache live in CMEM when they fit.
//   7. mapping: matmul n tiles split over cores, then units; attention (batch, KV head) pairs over cores.
//   8. allocation: addresses in HBM, CMEM and each core's VMEM.
// Each pass has a verifier that the runner calls after it.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "compiler/plan.h"
#include "support/text.h"

namespace xpusim::compiler::detail {
namespace {

using ir::OpKind;

std::optional<isa::DType> isa_dtype(ir::DType d) {
  switch (d) {
    case ir::DType::fp32:
    case ir::DType::tf32:
      return isa::DType::fp32;
    case ir::DType::bf16:
      return isa::DType::bf16;
    case ir::DType::fp16:
      return isa::DType::fp16;
    case ir::DType::fp8_e4m3:
      return isa::DType::fp8_e4m3;
    case ir::DType::fp8_e5m2:
      return isa::DType::fp8_e5m2;
    case ir::DType::int8:
      return isa::DType::int8;
    default:
      return std::nullopt;
  }
}

bool mxu_input(isa::DType d) {
  return d != isa::DType::fp32 && d != isa::DType::int32;
}

std::string mib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f MiB", bytes / (1024.0 * 1024.0));
  return text;
}

std::string gib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return text;
}

// The region a graph op belongs to: ops of one transformer block share their name's prefix.
std::string region_of(const ir::Op& op) {
  const std::size_t dot = op.name.find_last_of('.');
  return dot == std::string::npos ? std::string() : op.name.substr(0, dot);
}

std::int64_t product(const ir::Shape& shape, std::size_t from, std::size_t to) {
  std::int64_t p = 1;
  for (std::size_t i = from; i < to; ++i) p *= shape[i];
  return p;
}

const ir::Tensor& tensor(const Plan& plan, ir::TensorId id) {
  return plan.graph->tensor(id);
}

std::uint64_t tensor_bytes(const Plan& plan, ir::TensorId id) {
  const ir::Tensor& t = tensor(plan, id);
  return static_cast<std::uint64_t>(std::ceil(t.elements() * ir::dtype_bytes(t.dtype)));
}

int element_bytes(const Plan& plan, ir::TensorId id) {
  return isa::dtype_bytes(*isa_dtype(tensor(plan, id).dtype));
}

bool is_weight(const Plan& plan, ir::TensorId id) {
  return tensor(plan, id).role == ir::TensorRole::weight;
}

}  // namespace

std::string_view kernel_kind_name(KernelKind kind) {
  switch (kind) {
    case KernelKind::matmul:
      return "matmul";
    case KernelKind::attention:
      return "attention";
    case KernelKind::attention_backward:
      return "attention_backward";
    case KernelKind::rowwise:
      return "rowwise";
    case KernelKind::pointwise:
      return "pointwise";
    case KernelKind::rope:
      return "rope";
    case KernelKind::gather:
      return "gather";
    case KernelKind::copy:
      return "copy";
  }
  return "?";
}

Expected<Target> target_of(const spec::ChipSpec& chip) {
  const spec::MatrixUnit& mu = chip.cores.matrix_unit;
  if (mu.dataflow != "weight_stationary")
    return Error(chip.name + " is not a systolic XPU the compiler targets: its matrix units are " + mu.dataflow +
                 " (cores.matrix_unit.dataflow must be weight_stationary)");
  Target t;
  t.name = chip.name;
  t.cores = chip.cores.count;
  t.units = mu.count;
  t.tile_k = mu.tile.k;
  t.tile_n = mu.tile.n;
  if (t.cores < 1 || t.cores > static_cast<std::int64_t>(isa::kMaxCores))
    return Error(chip.name + " has " + std::to_string(t.cores) + " cores; the ISA addresses 1 to 256");
  if (t.units < 1 || t.units > 4)
    return Error(chip.name + " has " + std::to_string(t.units) + " matrix units per core; the ISA has 1 to 4");
  if (t.tile_k < 8 || t.tile_k > 256 || t.tile_n < 8 || t.tile_n > 256)
    return Error(chip.name + "'s matrix unit tile is " + std::to_string(t.tile_k) + " x " + std::to_string(t.tile_n) +
                 " (k x n); the compiler needs a systolic array of 8 to 256 on each side (cores.matrix_unit.tile)");
  for (const spec::CoreSram& s : chip.cores.sram)
    if (s.level == "vmem") t.vmem_bytes = static_cast<std::uint64_t>(s.capacity_kib * 1024);
  if (t.vmem_bytes == 0)
    return Error(chip.name + " has no per-core VMEM (cores.sram level vmem): the compiler stages tiles there");
  // VMEM addresses are 24 bits in the ISA: a larger VMEM is used up to 16 MiB.
  t.vmem_bytes = std::min<std::uint64_t>(t.vmem_bytes, std::uint64_t{1} << 24);
  for (const spec::SharedSram& s : chip.shared_sram)
    if (s.level == "cmem") t.cmem_bytes = static_cast<std::uint64_t>(s.capacity_mib * 1024 * 1024);
  t.hbm_bytes = static_cast<std::uint64_t>(chip.hbm.capacity_gib * 1024 * 1024 * 1024);
  // The accumulators: 512 rows of tile_n 32-bit values per unit (docs/xpu-1.md §3), 256 KiB for 128 columns.
  t.acc_rows = 512;
  for (const auto& [key, macs] : mu.macs_per_cycle)
    if (macs > 0) t.mxu_dtypes.push_back(key);
  return t;
}

// ------------------------------------------------------------------------------------------ legalize

Expected<std::string> legalize(Plan& plan) {
  const ir::Graph& g = *plan.graph;
  plan.root.resize(g.tensors().size());
  for (std::size_t i = 0; i < plan.root.size(); ++i) plan.root[i] = static_cast<ir::TensorId>(i);
  for (const ir::Tensor& t : g.tensors())
    if (!isa_dtype(t.dtype))
      return Error("tensor " + quote_value(t.name) + " is " + std::string(ir::dtype_name(t.dtype)) +
                   ", which the XPU's instruction set has no type for (int8, fp8, bf16, fp16 and fp32 only)");
  std::size_t views = 0;
  for (std::size_t i = 0; i < g.ops().size(); ++i) {
    const ir::Op& op = g.ops()[i];
    auto root = [&](ir::TensorId id) { return plan.root[static_cast<std::size_t>(id)]; };
    if (op.kind == OpKind::view) {
      plan.root[static_cast<std::size_t>(op.outputs[0])] = root(op.inputs[0]);
      ++views;
      continue;
    }
    const double flops = ir::op_cost(g, op).flops;
    if (ir::is_collective(op.kind)) {
      plan.skipped.push_back(op.name + ": " + std::string(ir::op_kind_name(op.kind)) + " over " +
                             std::to_string(op.attrs.group_size) +
                             " ranks (collectives are the network model's; not run on one chip)");
      plan.skipped_flops += flops * static_cast<double>(op.repeat);
      // What follows reads the collective's output as if it were its input (same shape, same data).
      plan.root[static_cast<std::size_t>(op.outputs[0])] = root(op.inputs[0]);
      continue;
    }
    Kernel k;
    k.name = op.name;
    k.ops = {i};
    k.repeat = op.repeat;
    k.phase = op.phase;
    k.region = region_of(op);
    k.op_kind = op.kind;
    for (ir::TensorId in : op.inputs) k.inputs.push_back(root(in));
    k.output = root(op.outputs[0]);
    k.flops = flops;
    switch (op.kind) {
      case OpKind::matmul: {
        k.kind = KernelKind::matmul;
        const ir::DType compute = op.attrs.compute_dtype.value_or(tensor(plan, op.inputs[0]).dtype);
        if (compute != tensor(plan, op.inputs[0]).dtype || compute != tensor(plan, op.inputs[1]).dtype)
          return Error("matmul " + quote_value(op.name) + " computes in " + std::string(ir::dtype_name(compute)) +
                       " on " + std::string(ir::dtype_name(tensor(plan, op.inputs[0]).dtype)) + " x " +
                       std::string(ir::dtype_name(tensor(plan, op.inputs[1]).dtype)) +
                       " tensors: casting operands on the way in is not compiled yet");
        const std::string key(ir::dtype_compute_key(compute));
        const auto d = isa_dtype(compute);
        if (!d || !mxu_input(*d) ||
            std::find(plan.target.mxu_dtypes.begin(), plan.target.mxu_dtypes.end(), key) == plan.target.mxu_dtypes.end())
          return Error("matmul " + quote_value(op.name) + " computes in " + std::string(ir::dtype_name(compute)) +
                       ", which " + plan.target.name + "'s matrix units do not take (cores.matrix_unit.macs_per_cycle)");
        k.mxu_dtype = *d;
        break;
      }
      case OpKind::attention:
      case OpKind::attention_backward: {
        k.kind = op.kind == OpKind::attention ? KernelKind::attention : KernelKind::attention_backward;
        const auto d = isa_dtype(tensor(plan, op.inputs[0]).dtype);
        if (!mxu_input(*d) || tensor(plan, op.inputs[1]).dtype != tensor(plan, op.inputs[0]).dtype ||
            tensor(plan, op.inputs[2]).dtype != tensor(plan, op.inputs[0]).dtype)
          return Error("attention " + quote_value(op.name) +
                       ": Q, K and V must share one type the matrix units take (a KV cache of another type "
                       "is not compiled yet)");
        k.mxu_dtype = *d;
        if (op.kind == OpKind::attention) plan.head_dim = tensor(plan, op.inputs[0]).shape[3];
        break;
      }
      case OpKind::softmax:
      case OpKind::layernorm:
      case OpKind::rmsnorm:
        k.kind = KernelKind::rowwise;
        break;
      case OpKind::elementwise:
      case OpKind::gelu:
      case OpKind::silu:
      case OpKind::swiglu:
      case OpKind::optimizer_update:
        k.kind = KernelKind::pointwise;
        break;
      case OpKind::rope:
        k.kind = KernelKind::rope;
        break;
      case OpKind::embedding:
        k.kind = KernelKind::gather;
        break;
      case OpKind::permute:
        k.kind = KernelKind::copy;
        break;
      default:
        return Error("op " + quote_value(op.name) + " (" + std::string(ir::op_kind_name(op.kind)) +
                     ") is not compiled for the XPU");
    }
    if (k.kind == KernelKind::pointwise && op.kind != OpKind::optimizer_update)
      for (ir::TensorId in : op.inputs)
        if (tensor(plan, in).elements() != tensor(plan, op.outputs[0]).elements())
          return Error("op " + quote_value(op.name) + ": broadcasting operands are not compiled yet");
    plan.kernels.push_back(std::move(k));
  }
  return std::to_string(plan.kernels.size()) + " kernels from " + std::to_string(g.ops().size()) + " ops (" +
         std::to_string(views) + " free views, " + std::to_string(plan.skipped.size()) + " skipped)";
}

std::string verify_legalize(const Plan& plan) {
  double graph_flops = 0, kept = 0;
  for (const ir::Op& op : plan.graph->ops()) graph_flops += ir::op_cost(*plan.graph, op).flops * static_cast<double>(op.repeat);
  for (const Kernel& k : plan.kernels) {
    kept += k.flops * static_cast<double>(k.repeat);
    for (std::size_t i : k.ops) {
      const ir::Op& op = plan.graph->ops()[i];
      const ir::Tensor& out = tensor(plan, op.outputs[0]);
      if (tensor(plan, k.output).elements() != out.elements())
        return "kernel " + k.name + ": its output holds " + std::to_string(tensor(plan, k.output).elements()) +
               " elements, the op's " + std::to_string(out.elements());
    }
  }
  if (std::abs(kept + plan.skipped_flops - graph_flops) > 1e-9 * std::max(1.0, graph_flops))
    return "FLOPs not kept: kernels " + std::to_string(kept) + " + skipped " + std::to_string(plan.skipped_flops) +
           " != graph " + std::to_string(graph_flops);
  return {};
}

// ---------------------------------------------------------------------------------------------- fuse

Expected<std::string> fuse(Plan& plan) {
  std::map<ir::TensorId, int> uses;
  for (const Kernel& k : plan.kernels)
    for (ir::TensorId in : k.inputs) ++uses[in];
  auto only_use = [&](ir::TensorId id) { return uses[id] == 1; };
  std::vector<bool> removed(plan.kernels.size(), false);
  int epilogues = 0, swiglus = 0;
  for (std::size_t i = 0; i < plan.kernels.size(); ++i) {
    Kernel& k = plan.kernels[i];
    if (removed[i] || k.kind != KernelKind::matmul || k.epilogue != Epilogue::none) continue;
    for (std::size_t j = i + 1; j < plan.kernels.size(); ++j) {
      Kernel& c = plan.kernels[j];
      if (removed[j]) continue;
      const bool reads = std::find(c.inputs.begin(), c.inputs.end(), k.output) != c.inputs.end();
      if (!reads) continue;
      if (!only_use(k.output) || c.repeat != k.repeat || c.phase != k.phase || c.region != k.region) break;
      if (c.kind == KernelKind::pointwise && (c.op_kind == OpKind::gelu || c.op_kind == OpKind::silu)) {
        k.epilogue = c.op_kind == OpKind::gelu ? Epilogue::gelu : Epilogue::silu;
      } else if (c.kind == KernelKind::pointwise && c.op_kind == OpKind::elementwise && c.inputs.size() == 2 &&
                 c.inputs[0] != c.inputs[1]) {
        k.epilogue = Epilogue::add;
        k.addend = c.inputs[0] == k.output ? c.inputs[1] : c.inputs[0];
        // The addend must exist before the matmul runs: a kernel between them must not produce it.
        for (std::size_t m = i + 1; m < j; ++m)
          if (!removed[m] && plan.kernels[m].output == k.addend) k.epilogue = Epilogue::none;
        if (k.epilogue == Epilogue::none) break;
      } else if (c.kind == KernelKind::pointwise && c.op_kind == OpKind::swiglu && c.inputs[0] == k.output) {
        // gate = x W_gate (this kernel), up = x W_up: one kernel computes both and the swiglu.
        std::size_t up = 0;
        for (std::size_t m = i + 1; m < j; ++m)
          if (!removed[m] && plan.kernels[m].kind == KernelKind::matmul && plan.kernels[m].output == c.inputs[1])
            up = m;
        if (up == 0) break;
        const Kernel& u = plan.kernels[up];
        if (u.inputs[0] != k.inputs[0] || !only_use(u.output) || u.epilogue != Epilogue::none ||
            tensor(plan, u.inputs[1]).shape != tensor(plan, k.inputs[1]).shape)
          break;
        k.epilogue = Epilogue::swiglu;
        k.up_weight = u.inputs[1];
        k.flops += u.flops;
        k.name += "+" + u.name;
        k.ops.insert(k.ops.end(), u.ops.begin(), u.ops.end());
        removed[up] = true;
        ++swiglus;
      } else {
        break;
      }
      if (k.epilogue != Epilogue::swiglu) ++epilogues;
      k.flops += c.flops;
      k.name += "+" + c.name;
      k.ops.insert(k.ops.end(), c.ops.begin(), c.ops.end());
      k.output = c.output;
      removed[j] = true;
      break;
    }
  }
  std::vector<Kernel> kept;
  for (std::size_t i = 0; i < plan.kernels.size(); ++i)
    if (!removed[i]) kept.push_back(std::move(plan.kernels[i]));
  const std::size_t before = plan.kernels.size();
  plan.kernels = std::move(kept);
  return std::to_string(before) + " kernels -> " + std::to_string(plan.kernels.size()) + " (" +
         std::to_string(epilogues) + " matmul epilogues, " + std::to_string(swiglus) +
         " gate+up+swiglu; attention is one flash kernel)";
}

std::string verify_fuse(const Plan& plan, double flops_before, std::size_t ops_before) {
  double flops = 0;
  std::size_t ops = 0;
  std::set<std::size_t> seen;
  for (const Kernel& k : plan.kernels) {
    flops += k.flops * static_cast<double>(k.repeat);
    ops += k.ops.size();
    for (std::size_t i : k.ops)
      if (!seen.insert(i).second) return "op " + plan.graph->ops()[i].name + " is in two kernels";
  }
  if (ops != ops_before) return std::to_string(ops) + " ops in kernels, " + std::to_string(ops_before) + " before fusion";
  if (std::abs(flops - flops_before) > 1e-9 * std::max(1.0, flops_before))
    return "FLOPs changed by fusion: " + std::to_string(flops) + " != " + std::to_string(flops_before);
  return {};
}

// ------------------------------------------------------------------------------------------- layouts

namespace {

OperandLayout head_major(ir::TensorId root, const ir::Shape& s) {
  return {root, 0, s[1] * s[2] * s[3], s[2] * s[3], s[3]};
}

// Rows of a [batch x seq, width] matrix, the heads side by side from column `offset`.
OperandLayout token_major(ir::TensorId root, const ir::Shape& s, std::int64_t width, std::int64_t offset = 0) {
  return {root, offset, s[2] * width, s[3], width};
}

// The operands of an attention kernel (docs/compiler.md, "Layouts"). Q, K and V that no op produces
// are the column ranges of the fused QKV rows the kernels before them wrote; `slices` remembers them
// for the backward kernel that reads the same tensors.
std::vector<OperandLayout> attention_operands(const Plan& plan, std::size_t index,
                                              const std::vector<int>& producer,
                                              std::map<ir::TensorId, OperandLayout>& slices) {
  const Kernel& k = plan.kernels[index];
  const ir::Op& op = plan.graph->ops()[k.ops[0]];
  auto root = [&](ir::TensorId id) { return plan.root[static_cast<std::size_t>(id)]; };
  auto layout = [&](ir::TensorId id) {
    const ir::Shape& s = tensor(plan, id).shape;
    if (auto it = slices.find(id); it != slices.end()) return it->second;
    const int by = producer[static_cast<std::size_t>(id)];
    if (by >= 0 && plan.graph->ops()[static_cast<std::size_t>(by)].kind == OpKind::attention)
      return token_major(root(id), s, s[1] * s[3]);
    const ir::Tensor& r = tensor(plan, root(id));
    if (root(id) != id && r.shape.size() == 2 && r.shape[1] == s[1] * s[3]) return token_major(root(id), s, r.shape[1]);
    return head_major(root(id), s);
  };
  const ir::TensorId q = op.inputs[0], kk = op.inputs[1], v = op.inputs[2];
  const ir::Shape& qs = tensor(plan, q).shape;
  const ir::Shape& ks = tensor(plan, kk).shape;
  auto unproduced = [&](ir::TensorId id) {
    return producer[static_cast<std::size_t>(id)] < 0 && !slices.count(id) &&
           tensor(plan, id).role == ir::TensorRole::activation;
  };
  const bool same_dims = qs[3] == ks[3] && tensor(plan, v).shape[3] == ks[3];
  // The fused QKV rows the kernels before this one wrote: [tokens, (heads + 2 kv_heads) x dim].
  auto fused_qkv = [&]() -> ir::TensorId {
    const std::int64_t width = (qs[1] + 2 * ks[1]) * qs[3];
    for (std::size_t j = index; j-- > 0;) {
      const ir::Shape& out = tensor(plan, plan.kernels[j].output).shape;
      if (out.size() == 2 && out[0] == qs[0] * qs[2] && out[1] == width) return plan.kernels[j].output;
    }
    return -1;
  };
  const std::int64_t width = (qs[1] + 2 * ks[1]) * qs[3];
  if (same_dims && unproduced(q)) {
    if (const ir::TensorId qkv = fused_qkv(); qkv >= 0) {
      slices[q] = token_major(qkv, qs, width);
      if (unproduced(kk) && unproduced(v) && qs[2] == ks[2]) {
        slices[kk] = token_major(qkv, ks, width, qs[1] * qs[3]);
        slices[v] = token_major(qkv, ks, width, (qs[1] + ks[1]) * qs[3]);
      }
    }
  }
  std::vector<OperandLayout> out;
  for (std::size_t i = 0; i < op.inputs.size(); ++i) out.push_back(layout(op.inputs[i]));
  if (op.kind == OpKind::attention) {
    const ir::Shape& o = tensor(plan, op.outputs[0]).shape;
    out.push_back(token_major(root(op.outputs[0]), o, o[1] * o[3]));
    // Decode: the new token's K and V, in the QKV rows, are appended to the caches before attention
    // reads them (operands 4 and 5, one row per batch and KV head).
    const bool cached = tensor(plan, kk).role == ir::TensorRole::kv_cache && tensor(plan, v).role == ir::TensorRole::kv_cache;
    if (cached && qs[2] == 1 && kk != v && same_dims) {
      const ir::Shape one = {ks[0], ks[1], 1, ks[3]};
      if (const ir::TensorId qkv = fused_qkv(); qkv >= 0) {
        out.push_back(token_major(qkv, one, width, qs[1] * qs[3]));
        out.push_back(token_major(qkv, one, width, (qs[1] + ks[1]) * qs[3]));
      }
    }
  } else {
    for (ir::TensorId id : op.outputs) out.push_back(head_major(root(id), tensor(plan, id).shape));
  }
  return out;
}

}  // namespace

Expected<std::string> assign_layouts(Plan& plan) {
  std::vector<int> producer(plan.graph->tensors().size(), -1);
  for (std::size_t i = 0; i < plan.graph->ops().size(); ++i)
    for (ir::TensorId id : plan.graph->ops()[i].outputs) producer[static_cast<std::size_t>(id)] = static_cast<int>(i);
  std::map<ir::TensorId, OperandLayout> slices;
  for (std::size_t index = 0; index < plan.kernels.size(); ++index) {
    Kernel& k = plan.kernels[index];
    if (k.kind == KernelKind::attention || k.kind == KernelKind::attention_backward)
      k.operands = attention_operands(plan, index, producer, slices);
    // Shapes as the op sees them (a view's), memory as the root holds it (the same bytes, row-major).
    const ir::Op& op = plan.graph->ops()[k.ops[0]];
    auto shape_of = [&](std::size_t i) -> const ir::Shape& { return tensor(plan, op.inputs[i]).shape; };
    const ir::Shape& out = tensor(plan, k.output).shape;
    switch (k.kind) {
      case KernelKind::matmul: {
        const ir::Shape& a = shape_of(0);
        const ir::Shape& b = shape_of(1);
        MatmulShape& s = k.mm;
        auto transposed_view = [&](ir::TensorId id) {
          const int by = producer[static_cast<std::size_t>(id)];
          if (by < 0) return false;
          const ir::Op& v = plan.graph->ops()[static_cast<std::size_t>(by)];
          const ir::Shape& from = tensor(plan, v.inputs[0]).shape;
          const ir::Shape& to = tensor(plan, id).shape;
          return v.kind == OpKind::view && from.size() == 2 && to.size() == 2 && from[0] == to[1] && from[1] == to[0] &&
                 from[0] != from[1];
        };
        s.a_transposed = transposed_view(op.inputs[0]);
        s.b_transposed = transposed_view(op.inputs[1]);
        s.k = a.back();
        s.n = b.back();
        if (b.size() == 2) {
          s.batch = 1;
          s.m = product(a, 0, a.size() - 1);
        } else {
          s.batch = product(a, 0, a.size() - 2);
          s.m = a[a.size() - 2];
          if (product(b, 0, b.size() - 2) != s.batch)
            return Error("matmul " + quote_value(k.name) + ": a right operand shared across batch dimensions (" +
                         ir::shape_text(a) + " x " + ir::shape_text(b) + ") is not compiled yet");
        }
        break;
      }
      case KernelKind::attention:
      case KernelKind::attention_backward: {
        const ir::Shape& q = shape_of(0);
        const ir::Shape& kk = shape_of(1);
        const ir::Shape& v = shape_of(2);
        AttentionShape& s = k.at;
        s.batch = q[0];
        s.heads = q[1];
        s.q = q[2];
        s.d = q[3];
        s.kv_heads = kk[1];
        s.s = kk[2];
        s.dv = v[3];
        s.causal = plan.graph->ops()[k.ops[0]].attrs.causal;
        break;
      }
      case KernelKind::rowwise:
      case KernelKind::rope:
      case KernelKind::gather:
        k.width = out.back();
        k.rows = product(out, 0, out.size() - 1);
        break;
      case KernelKind::pointwise:
      case KernelKind::copy:
        k.width = 1;
        k.rows = product(out, 0, out.size());
        if (k.op_kind == OpKind::optimizer_update) k.rows = product(shape_of(0), 0, shape_of(0).size());
        break;
    }
    if (k.kind == KernelKind::rope) {
      // Q and K heads are rotated; V (the last 2/(h + 2 kv) of a fused QKV row) is copied as it is.
      k.head_dim = plan.head_dim > 0 ? plan.head_dim : k.width;
      k.rotate_cols = k.width;
      for (const Kernel& a : plan.kernels)
        if (a.kind == KernelKind::attention) {
          const ir::Shape& q = tensor(plan, a.inputs[0]).shape;
          const ir::Shape& kv = tensor(plan, a.inputs[1]).shape;
          if ((q[1] + 2 * kv[1]) * q[3] == k.width) k.rotate_cols = (q[1] + kv[1]) * q[3];
          break;
        }
      if (k.width % k.head_dim != 0) k.head_dim = k.width;
    }
  }
  return "row-major matrices; attention reads " + std::to_string(slices.size()) +
         " Q, K and V slices in place in the fused QKV rows and writes O token-major; K tiles loaded transposed by DMA "
         "for Q K^T";
}

std::string verify_layouts(const Plan& plan) {
  for (const Kernel& k : plan.kernels) {
    // Every attention operand's last element lies inside the tensor that holds it.
    const ir::Op& op = plan.graph->ops()[k.ops[0]];
    std::vector<ir::TensorId> ids = op.inputs;
    ids.insert(ids.end(), op.outputs.begin(), op.outputs.end());
    for (std::size_t i = 0; i < std::min(k.operands.size(), ids.size()); ++i) {
      const OperandLayout& x = k.operands[i];
      const ir::Shape& s = tensor(plan, ids[i]).shape;
      const double last = static_cast<double>(x.offset + (s[0] - 1) * x.batch_stride + (s[1] - 1) * x.head_stride +
                                              (s[2] - 1) * x.pos_stride + s[3] - 1);
      if (last >= tensor(plan, x.root).elements())
        return "kernel " + k.name + ": operand " + std::to_string(i) + " reaches past " + tensor(plan, x.root).name;
    }
    const double out = tensor(plan, k.output).elements();
    double expected = 0;
    switch (k.kind) {
      case KernelKind::matmul:
        expected = static_cast<double>(k.mm.batch * k.mm.m * k.mm.n);
        break;
      case KernelKind::attention:
        expected = static_cast<double>(k.at.batch * k.at.heads * k.at.q * k.at.dv);
        break;
      case KernelKind::attention_backward:  // the first output, dQ
        expected = static_cast<double>(k.at.batch * k.at.heads * k.at.q * k.at.d);
        break;
      default:
        expected = k.op_kind == OpKind::optimizer_update ? out : static_cast<double>(k.rows * k.width);
        break;
    }
    if (expected != out)
      return "kernel " + k.name + ": layout covers " + std::to_string(expected) + " elements of " + std::to_string(out);
  }
  return {};
}

// ------------------------------------------------------------------------------------------ dataflow

Expected<std::string> choose_dataflow(Plan& plan) {
  int ws = 0, vec = 0, dma = 0;
  for (Kernel& k : plan.kernels) {
    switch (k.kind) {
      case KernelKind::matmul:
      case KernelKind::attention:
      case KernelKind::attention_backward:
        k.dataflow = "weight_stationary";
        ++ws;
        break;
      case KernelKind::gather:
      case KernelKind::copy:
        k.dataflow = "dma";
        ++dma;
        break;
      default:
        k.dataflow = "vector";
        ++vec;
        break;
    }
  }
  return std::to_string(ws) + " weight-stationary (weights k x n on the arrays, activations streamed by rows), " +
         std::to_string(vec) + " vector, " + std::to_string(dma) + " DMA";
}

std::string verify_dataflow(const Plan& plan) {
  for (const Kernel& k : plan.kernels) {
    if (k.kind != KernelKind::matmul) continue;
    const double flops = 2.0 * static_cast<double>(k.mm.batch) * static_cast<double>(k.mm.m) *
                         static_cast<double>(k.mm.n) * static_cast<double>(k.mm.k) *
                         (k.epilogue == Epilogue::swiglu ? 2 : 1);
    double graph = 0;
    for (std::size_t i : k.ops)
      if (plan.graph->ops()[i].kind == OpKind::matmul) graph += ir::op_cost(*plan.graph, plan.graph->ops()[i]).flops;
    if (flops != graph) return "matmul " + k.name + ": the tiles cover " + std::to_string(flops) + " FLOPs of " + std::to_string(graph);
  }
  return {};
}

// -------------------------------------------------------------------------------------------- tiling

namespace {

// VMEM bytes a matmul's working set needs per core at (m_chunk, k_block): two halves of A and W, two of
// the fp32 outputs, the addend and the converted outputs.
std::uint64_t matmul_working_bytes(const Plan& plan, const Kernel& k, std::int64_t mc, std::int64_t kb, bool resident) {
  const MatmulShape& s = k.mm;
  const auto ab = static_cast<std::uint64_t>(isa::dtype_bytes(k.mxu_dtype));
  const std::uint64_t weights = resident ? 0 : static_cast<std::uint64_t>(kb * s.group_cols) * ab * s.acc_sets;
  const std::uint64_t a = static_cast<std::uint64_t>(mc * kb) * ab;
  const std::uint64_t out_cells = static_cast<std::uint64_t>(mc * s.group_cols);
  const std::uint64_t addend = k.epilogue == Epilogue::add ? out_cells * element_bytes(plan, k.addend) : 0;
  const std::uint64_t outs = out_cells * (4 * (k.epilogue == Epilogue::add ? 2 : s.acc_sets) +
                                          static_cast<std::uint64_t>(element_bytes(plan, k.output))) +
                             addend;
  return 2 * (align_up(weights, 64) + align_up(a, 64) + align_up(outs, 64) + 4 * 64);
}

}  // namespace

Expected<std::string> tile(Plan& plan) {
  const Target& t = plan.target;
  // The working area is all of VMEM until residency claims part of it; tiles are chosen against a quarter
  // of VMEM so that weights up to three quarters can stay resident.
  const std::uint64_t budget = t.vmem_bytes / 4;
  for (Kernel& k : plan.kernels) {
    if (k.kind == KernelKind::matmul) {
      MatmulShape& s = k.mm;
      s.acc_sets = k.epilogue == Epilogue::swiglu ? 2 : 1;
      s.split_units = s.acc_sets == 2 && t.units % 2 == 0;
      s.tiles = ceil_div(s.n, t.tile_n);
      s.tiles_per_core = ceil_div(s.tiles, t.cores);
      s.tiles_per_group = std::min(s.tiles_per_core, s.split_units ? t.units / 2 : t.units);
      s.group_cols = std::min(s.n, s.tiles_per_group * t.tile_n);
      const std::int64_t k_max = ceil_div(s.k, t.tile_k) * t.tile_k;
      s.m_chunk = std::min<std::int64_t>(s.m, t.acc_rows / (s.split_units ? 1 : s.acc_sets));
      if (s.m > 65536 * static_cast<std::int64_t>(1) << 20)
        return Error("matmul " + quote_value(k.name) + ": " + std::to_string(s.m) + " rows are more than the ISA's fields reach");
      for (;;) {
        s.k_block = 0;
        // A block is one DMA box: its k rows are a 20-bit count.
        for (std::int64_t kb = std::min(k_max, (std::int64_t{1} << 20) / t.tile_k * t.tile_k); kb >= t.tile_k; kb -= t.tile_k)
          if (matmul_working_bytes(plan, k, s.m_chunk, kb, false) <= budget) {
            s.k_block = kb;
            break;
          }
        if (s.k_block > 0 || s.m_chunk == 1) break;
        s.m_chunk = std::max<std::int64_t>(1, s.m_chunk / 2);
      }
      if (s.k_block == 0)
        return Error("matmul " + quote_value(k.name) + " does not fit " + t.name + "'s VMEM even one tile at a time");
      // DMA counts are 20 bits: a block of A is m_chunk rows of k_block elements.
      k.tiling = "m " + std::to_string(s.m_chunk) + " x k " + std::to_string(std::min(s.k_block, s.k)) + " x n " +
                 std::to_string(s.group_cols) + " per step, 2 VMEM halves, 2 weight slots";
    } else if (k.kind == KernelKind::attention) {
      AttentionShape& a = k.at;
      if (a.heads % a.kv_heads != 0)
        return Error("attention " + quote_value(k.name) + ": " + std::to_string(a.kv_heads) + " KV heads do not divide " +
                     std::to_string(a.heads) + " query heads");
      a.keys_block = std::min<std::int64_t>(4 * t.tile_n, ceil_div(a.s, t.tile_n) * t.tile_n);
      const std::int64_t sets = ceil_div(a.keys_block, t.tile_n) + ceil_div(a.dv, t.tile_n);
      a.rows_block = std::max<std::int64_t>(1, std::min<std::int64_t>(t.acc_rows / sets, 64));
      k.tiling = std::to_string(a.rows_block) + " query rows x " + std::to_string(a.keys_block) +
                 " keys per block, online softmax";
    } else if (k.kind == KernelKind::attention_backward) {
      // Accumulators hold S and dP (rows each) and dV, dK over a key block (keys rows per tile of dv and d).
      AttentionShape& a = k.at;
      const std::int64_t tiles = ceil_div(a.d, t.tile_n) + ceil_div(a.dv, t.tile_n);
      a.keys_block = std::min<std::int64_t>(t.tile_k, (t.acc_rows * 3 / 4) / tiles / 8 * 8);
      a.rows_block = std::min<std::int64_t>({64, t.tile_k, (t.acc_rows - tiles * a.keys_block) / 2,
                                             t.acc_rows / (2 + ceil_div(a.d, t.tile_n))});
      if (a.keys_block < 8 || a.rows_block < 1 || a.heads % a.kv_heads != 0)
        return Error("attention backward " + quote_value(k.name) + ": head dims " + std::to_string(a.d) + " and " +
                     std::to_string(a.dv) + " leave no room in the accumulators");
      k.tiling = std::to_string(a.rows_block) + " query rows x " + std::to_string(a.keys_block) +
                 " keys per block; dQ pass over query blocks, then dK, dV pass over key blocks";
    } else if (k.kind == KernelKind::rowwise || k.kind == KernelKind::rope) {
      // Per row and VMEM half: the input, two fp32 scratch rows and the output (rope: its tables too).
      const std::int64_t element = element_bytes(plan, k.inputs[0]) + element_bytes(plan, k.output);
      const std::int64_t per_row = k.width * (k.kind == KernelKind::rope ? element * 2 + 16 : element + 8);
      if (static_cast<std::uint64_t>(per_row) * 2 > budget || k.width >= (std::int64_t{1} << 20))
        return Error(std::string(kernel_kind_name(k.kind)) + " " + quote_value(k.name) + ": a row of " +
                     std::to_string(k.width) + " elements does not fit VMEM twice");
      if (k.kind == KernelKind::rope && k.head_dim % 2 != 0)
        return Error("rope " + quote_value(k.name) + ": an odd head_dim " + std::to_string(k.head_dim));
      // vsum and vmaxr reduce at most 65,536 columns: a wider row is reduced as equal pieces, then again.
      constexpr std::int64_t kMaxColumns = 65536;
      if (k.kind == KernelKind::rowwise && k.width > kMaxColumns) {
        k.pieces = 0;
        for (std::int64_t p = ceil_div(k.width, kMaxColumns); p <= 256 && k.pieces == 0; ++p)
          if (k.width % p == 0) k.pieces = p;
        if (k.pieces == 0)
          return Error("rowwise " + quote_value(k.name) + ": a row of " + std::to_string(k.width) +
                       " elements has no split into equal pieces of at most 65,536 for the vector unit's reductions");
      }
      k.chunk = std::max<std::int64_t>(1, std::min<std::int64_t>(ceil_div(k.rows, t.cores),
                                                                  static_cast<std::int64_t>(budget) / (2 * per_row)));
      k.chunk = std::min<std::int64_t>({k.chunk, ((std::int64_t{1} << 20) - 1) / k.width, kMaxColumns / k.pieces});
      k.tiling = std::to_string(k.chunk) + " rows of " + std::to_string(k.width) + " per VMEM half";
    } else if (k.kind == KernelKind::pointwise) {
      // Per element and VMEM half: each input and its fp32 copy, the fp32 scratch and the output.
      std::int64_t per_element = 4 + element_bytes(plan, k.output);
      for (ir::TensorId in : k.inputs) per_element += element_bytes(plan, in) + 4;
      k.chunk = std::max<std::int64_t>(1, std::min<std::int64_t>(ceil_div(k.rows, t.cores),
                                                                  static_cast<std::int64_t>(budget) / (2 * per_element)));
      k.chunk = std::min<std::int64_t>(k.chunk, std::int64_t{1} << 20);
      k.tiling = std::to_string(k.chunk) + " elements per VMEM half";
    } else {
      k.chunk = std::int64_t{1} << 20;
      if (k.kind == KernelKind::gather && k.width > k.chunk)
        return Error("embedding " + quote_value(k.name) + ": rows of " + std::to_string(k.width) +
                     " elements are more than one DMA box's 1,048,576 (the ISA's 20-bit counts)");
      k.tiling = k.kind == KernelKind::gather ? "one DMA per row" : "DMA boxes of up to 1M bytes";
    }
  }
  return "VMEM working set per core at most " + mib(static_cast<double>(budget)) + ", double-buffered";
}

std::string verify_tiling(const Plan& plan) {
  const std::uint64_t budget = plan.target.vmem_bytes / 4;
  for (const Kernel& k : plan.kernels) {
    if (k.kind != KernelKind::matmul) continue;
    const MatmulShape& s = k.mm;
    if (s.m_chunk * (s.split_units ? 1 : s.acc_sets) > plan.target.acc_rows) return "matmul " + k.name + ": accumulators overflow";
    if (s.tiles_per_group * (s.split_units ? 2 : 1) > plan.target.units) return "matmul " + k.name + ": more tiles than units";
    if (matmul_working_bytes(plan, k, s.m_chunk, s.k_block, false) > budget) return "matmul " + k.name + ": over the VMEM budget";
    if (s.k_block % plan.target.tile_k != 0) return "matmul " + k.name + ": k block not whole tiles";
  }
  return {};
}

// ----------------------------------------------------------------------------------------- residency

Expected<std::string> decide_residency(Plan& plan) {
  const Target& t = plan.target;
  // Per-core VMEM bytes of every weight used only as a matmul's right operand: each core holds its n
  // columns of every layer's copy.
  std::map<ir::TensorId, std::uint64_t> shard;  // weight root -> bytes per core, all copies
  std::set<ir::TensorId> other_uses;
  for (const Kernel& k : plan.kernels)
    for (std::size_t i = 0; i < k.inputs.size(); ++i) {
      const ir::TensorId in = k.inputs[i];
      if (!is_weight(plan, in)) continue;
      if (k.kind == KernelKind::matmul && i == 1 && !k.mm.b_transposed) continue;
      other_uses.insert(in);
    }
  std::uint64_t per_core = 0;
  bool consistent = true;
  for (const Kernel& k : plan.kernels) {
    if (k.kind != KernelKind::matmul) continue;
    for (ir::TensorId w : {k.inputs[1], k.up_weight}) {
      if (w < 0 || !is_weight(plan, w) || other_uses.count(w)) continue;
      const std::uint64_t bytes = align_up(static_cast<std::uint64_t>(k.mm.batch * k.mm.k * k.mm.tiles_per_core * t.tile_n) *
                                               isa::dtype_bytes(k.mxu_dtype),
                                           64) *
                                  static_cast<std::uint64_t>(tensor(plan, w).copies);
      if (auto it = shard.find(w); it != shard.end()) {
        if (it->second != bytes) consistent = false;
        continue;
      }
      shard[w] = bytes;
      per_core += bytes;
    }
  }
  const std::uint64_t room = t.vmem_bytes - t.vmem_bytes / 4;
  const bool fits = consistent && !shard.empty() && per_core <= room;
  if (plan.options.resident_weights.value_or(false) && !fits)
    return Error("weights cannot stay resident: every core needs " + mib(static_cast<double>(per_core)) +
                 " of matmul weight shards, and " + t.name + "'s VMEM leaves " + mib(static_cast<double>(room)) +
                 " beside the working tiles");
  plan.weights_resident = plan.options.resident_weights.value_or(fits) && fits;
  plan.place.assign(plan.graph->tensors().size(), Placement{});
  if (plan.weights_resident) {
    std::uint64_t at = 0;
    for (const auto& [w, bytes] : shard) {
      Placement& p = plan.place[static_cast<std::size_t>(w)];
      p.space = isa::Space::vmem;
      p.resident = true;
      p.address = at;
      p.copies = tensor(plan, w).copies;
      p.copy_bytes = bytes / static_cast<std::uint64_t>(p.copies);
      at += bytes;
    }
    plan.vmem_resident_bytes = align_up(at, 4096);
  }
  for (Kernel& k : plan.kernels)
    k.resident = k.kind == KernelKind::matmul && plan.place[static_cast<std::size_t>(k.inputs[1])].resident;
  // Activations (reused layer after layer) go to CMEM as long as they fit: first those a matmul reads
  // as A (every core reads all of A, so each is read once per core), then the rest, smallest first in
  // each class. Then the KV cache, whole, if it still fits. Tensors no kernel touches (slices read in
  // place) stay in HBM.
  std::set<ir::TensorId> matmul_a;
  for (const Kernel& k : plan.kernels)
    if (k.kind == KernelKind::matmul) matmul_a.insert(k.inputs[0]);
  std::set<ir::TensorId> used;
  for (const Kernel& k : plan.kernels) {
    used.insert(k.inputs.begin(), k.inputs.end());
    used.insert(k.output);
    for (const OperandLayout& x : k.operands) used.insert(x.root);
    for (std::size_t i : k.ops)
      for (ir::TensorId id : plan.graph->ops()[i].outputs) used.insert(plan.root[static_cast<std::size_t>(id)]);
  }
  std::vector<std::tuple<bool, std::uint64_t, ir::TensorId>> activations;  // (not read as A, bytes, root)
  std::uint64_t kv = 0, activation_bytes = 0, on_chip = 0;
  for (ir::TensorId r : used) {
    const ir::Tensor& tt = tensor(plan, r);
    const std::uint64_t bytes = align_up(tensor_bytes(plan, r), 64) * static_cast<std::uint64_t>(tt.copies);
    if (tt.role == ir::TensorRole::activation) activations.emplace_back(!matmul_a.count(r), bytes, r), activation_bytes += bytes;
    if (tt.role == ir::TensorRole::kv_cache) kv += bytes;
  }
  std::sort(activations.begin(), activations.end());
  std::uint64_t cmem = 0;
  for (const auto& [other, bytes, r] : activations) {
    if (cmem + bytes > t.cmem_bytes) continue;
    cmem += bytes;
    on_chip += bytes;
    plan.place[static_cast<std::size_t>(r)].space = isa::Space::cmem;
  }
  plan.kv_on_chip = kv > 0 && cmem + kv <= t.cmem_bytes;
  for (ir::TensorId r : used)
    if (plan.kv_on_chip && tensor(plan, r).role == ir::TensorRole::kv_cache)
      plan.place[static_cast<std::size_t>(r)].space = isa::Space::cmem;
  // A matmul whose weights stream keeps its core's slice in VMEM for all its m chunks when it fits
  // beside the working tiles: then prefill reads each weight once, not once per chunk.
  std::size_t held = 0;
  const std::uint64_t hold_room = t.vmem_bytes - plan.vmem_resident_bytes - t.vmem_bytes / 4;
  for (Kernel& k : plan.kernels) {
    if (k.kind != KernelKind::matmul || k.resident || k.mm.batch != 1 || k.mm.m <= k.mm.m_chunk) continue;
    const std::uint64_t bytes = static_cast<std::uint64_t>(k.mm.k * k.mm.tiles_per_core * t.tile_n) *
                                isa::dtype_bytes(k.mxu_dtype) * static_cast<std::uint64_t>(k.mm.acc_sets);
    k.mm.hold_weights = bytes <= hold_room;
    held += k.mm.hold_weights ? 1 : 0;
  }
  return std::string(plan.weights_resident ? "weights resident in VMEM (" : "weights streamed from HBM (") +
         mib(static_cast<double>(per_core)) + " of shards per core" +
         (plan.weights_resident ? ")" : ", " + mib(static_cast<double>(room)) + " room)") + "; " +
         std::to_string(held) + " matmuls hold their slice across m chunks; activations " +
         mib(static_cast<double>(on_chip)) + " of " + mib(static_cast<double>(activation_bytes)) +
         " in CMEM; KV cache in " + (plan.kv_on_chip ? "CMEM" : "HBM");
}

std::string verify_residency(const Plan& plan) {
  if (plan.vmem_resident_bytes + plan.target.vmem_bytes / 4 > plan.target.vmem_bytes) return "resident weights leave no working VMEM";
  for (const Kernel& k : plan.kernels)
    if (k.resident && plan.place[static_cast<std::size_t>(k.inputs[1])].space != isa::Space::vmem)
      return "kernel " + k.name + " is resident but its weight is not in VMEM";
  return {};
}

// ------------------------------------------------------------------------------------------- mapping

Expected<std::string> map_to_cores(Plan& plan) {
  const Target& t = plan.target;
  std::int64_t busiest = 0;
  for (const Kernel& k : plan.kernels) {
    if (k.kind == KernelKind::matmul) busiest = std::max(busiest, std::min(t.cores, k.mm.tiles));
    if (k.kind == KernelKind::attention) busiest = std::max(busiest, std::min(t.cores, k.at.batch * k.at.kv_heads));
  }
  return "matmul n tiles: tiles_per_core = ceil(tiles / " + std::to_string(t.cores) + ") to each core, then round-robin over " +
         std::to_string(t.units) + " units, k accumulated within a unit; attention (batch, KV head) pairs round-robin over cores; "
         "vector work split by rows; up to " + std::to_string(busiest) + " cores busy";
}

std::string verify_mapping(const Plan& plan) {
  const Target& t = plan.target;
  for (const Kernel& k : plan.kernels) {
    if (k.kind != KernelKind::matmul) continue;
    const MatmulShape& s = k.mm;
    // Every column tile exactly once: cores take consecutive runs of tiles_per_core.
    std::vector<int> owner(static_cast<std::size_t>(s.tiles), 0);
    for (std::int64_t c = 0; c < t.cores; ++c)
      for (std::int64_t j = c * s.tiles_per_core; j < std::min(s.tiles, (c + 1) * s.tiles_per_core); ++j)
        ++owner[static_cast<std::size_t>(j)];
    for (std::int64_t j = 0; j < s.tiles; ++j)
      if (owner[static_cast<std::size_t>(j)] != 1) return "matmul " + k.name + ": n tile " + std::to_string(j) + " mapped " + std::to_string(owner[static_cast<std::size_t>(j)]) + " times";
    std::int64_t cols = 0;
    for (std::int64_t j = 0; j < s.tiles; ++j) cols += std::min(t.tile_n, s.n - j * t.tile_n);
    if (cols != s.n) return "matmul " + k.name + ": tiles cover " + std::to_string(cols) + " of " + std::to_string(s.n) + " columns";
  }
  return {};
}

// ---------------------------------------------------------------------------------------- allocation

namespace {

std::string sanitized(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.size() > isa::kMaxNameBytes) out = out.substr(0, isa::kMaxNameBytes);
  return out.empty() ? std::string("t") : out;
}

// Each kernel's VMEM regions above the resident weights, in a fixed order the emitter relies on.
std::vector<Region> kernel_regions(const Plan& plan, const Kernel& k) {
  const Target& t = plan.target;
  std::vector<Region> r;
  std::uint64_t at = plan.vmem_resident_bytes;
  auto add = [&](const std::string& name, std::uint64_t bytes) {
    r.push_back({name, at, bytes});
    at = align_up(at + std::max<std::uint64_t>(bytes, 1), 64);
  };
  auto halves = [&](const std::string& name, std::uint64_t bytes) {
    add(name + "0", bytes);
    add(name + "1", bytes);
  };
  switch (k.kind) {
    case KernelKind::matmul: {
      const MatmulShape& s = k.mm;
      const auto ab = static_cast<std::uint64_t>(isa::dtype_bytes(k.mxu_dtype));
      const std::uint64_t kb = static_cast<std::uint64_t>(std::min(s.k_block, s.k));
      const std::uint64_t cells = static_cast<std::uint64_t>(s.m_chunk * s.group_cols);
      halves("a", static_cast<std::uint64_t>(s.m_chunk) * kb * ab);
      const bool streamed = !k.resident && !s.hold_weights;
      halves("w", streamed ? kb * static_cast<std::uint64_t>(s.group_cols) * ab : 0);
      halves("w_up", streamed && s.acc_sets > 1 ? kb * static_cast<std::uint64_t>(s.group_cols) * ab : 0);
      const std::uint64_t slice = s.hold_weights ? static_cast<std::uint64_t>(s.k * s.tiles_per_core * t.tile_n) * ab : 0;
      add("wh", slice);
      add("wh_up", s.acc_sets > 1 ? slice : 0);
      halves("o", cells * 4);
      halves("o2", k.epilogue == Epilogue::swiglu || k.epilogue == Epilogue::add ? cells * 4 : 0);
      halves("e", k.epilogue == Epilogue::add ? cells * static_cast<std::uint64_t>(element_bytes(plan, k.addend)) : 0);
      halves("y", cells * static_cast<std::uint64_t>(element_bytes(plan, k.output)));
      break;
    }
    case KernelKind::attention: {
      const AttentionShape& a = k.at;
      const auto e = static_cast<std::uint64_t>(isa::dtype_bytes(k.mxu_dtype));
      const auto rows = static_cast<std::uint64_t>(a.rows_block), keys = static_cast<std::uint64_t>(a.keys_block);
      const auto d = static_cast<std::uint64_t>(a.d), dv = static_cast<std::uint64_t>(a.dv);
      halves("q", rows * d * e);
      halves("kt", d * keys * e);
      halves("v", keys * dv * e);
      halves("s", rows * keys * 4);
      halves("p", rows * keys * e);
      halves("pv", rows * dv * 4);
      add("mb", rows * keys * 4);
      add("ab", rows * dv * 4);
      add("o", rows * dv * 4);
      halves("ob", rows * dv * static_cast<std::uint64_t>(element_bytes(plan, k.output)));
      for (const char* v : {"m", "l", "bm", "al", "rs"}) add(v, rows * 4);
      break;
    }
    case KernelKind::attention_backward: {
      const AttentionShape& a = k.at;
      const auto e = static_cast<std::uint64_t>(isa::dtype_bytes(k.mxu_dtype));
      const auto rows = static_cast<std::uint64_t>(a.rows_block), keys = static_cast<std::uint64_t>(a.keys_block);
      const auto d = static_cast<std::uint64_t>(a.d), dv = static_cast<std::uint64_t>(a.dv);
      const std::uint64_t wide = std::max(d, dv);
      halves("q", rows * d * e);
      halves("do", rows * dv * e);
      add("o", rows * dv * e);
      halves("kt", d * keys * e);
      halves("k", keys * d * e);
      halves("vt", dv * keys * e);
      halves("s", rows * keys * 4);
      halves("dp", rows * keys * 4);
      halves("p", rows * keys * e);
      halves("ds", rows * keys * e);
      halves("pt", keys * rows * e);
      halves("dst", keys * rows * e);
      add("mb", rows * keys * 4);
      add("t1", rows * wide * 4);
      add("t2", rows * wide * 4);
      halves("grad", std::max(rows, keys) * wide * 4);
      halves("gradb", std::max(rows, keys) * wide * e);
      for (const char* v : {"m", "l", "rl", "rs", "bm", "al", "dd"}) add(v, rows * 4);
      break;
    }
    case KernelKind::rowwise: {
      const auto cells = static_cast<std::uint64_t>(k.chunk * k.width);
      halves("in", cells * static_cast<std::uint64_t>(element_bytes(plan, k.inputs[0])));
      halves("f", cells * 4);
      halves("t", cells * 4);
      halves("r", static_cast<std::uint64_t>(k.chunk) * 4);
      halves("rp", static_cast<std::uint64_t>(k.chunk * k.pieces) * 4);
      halves("out", cells * static_cast<std::uint64_t>(element_bytes(plan, k.output)));
      break;
    }
    case KernelKind::rope: {
      const auto cells = static_cast<std::uint64_t>(k.chunk * k.rotate_cols);
      halves("x", cells * static_cast<std::uint64_t>(element_bytes(plan, k.inputs[0])));
      halves("xr", cells * static_cast<std::uint64_t>(element_bytes(plan, k.inputs[0])));
      halves("f", cells * 4);
      halves("g", cells * 4);
      halves("cos", cells * 4);
      halves("sin", cells * 4);
      halves("out", cells * static_cast<std::uint64_t>(element_bytes(plan, k.output)));
      break;
    }
    case KernelKind::pointwise: {
      const auto cells = static_cast<std::uint64_t>(k.chunk);
      for (std::size_t i = 0; i < k.inputs.size(); ++i) {
        halves("in" + std::to_string(i), cells * static_cast<std::uint64_t>(element_bytes(plan, k.inputs[i])));
        halves("f" + std::to_string(i), cells * 4);
      }
      halves("t", cells * 4);
      halves("out", cells * static_cast<std::uint64_t>(element_bytes(plan, k.output)));
      break;
    }
    case KernelKind::gather:
    case KernelKind::copy:
      break;
  }
  return r;
}

}  // namespace

Expected<std::string> allocate(Plan& plan) {
  const Target& t = plan.target;
  // HBM and CMEM: every root tensor not resident, copies side by side, 64-byte aligned.
  std::uint64_t hbm = 0, cmem = 0;
  std::set<ir::TensorId> roots(plan.root.begin(), plan.root.end());
  std::map<std::string, int> names;
  for (ir::TensorId r : roots) {
    Placement& p = plan.place[static_cast<std::size_t>(r)];
    const ir::Tensor& tt = tensor(plan, r);
    isa::Tensor desc;
    std::string name = sanitized(tt.name);
    if (int n = names[name]++; n > 0) {
      const std::string suffix = "_" + std::to_string(n);
      name = name.substr(0, std::min(name.size(), isa::kMaxNameBytes - suffix.size())) + suffix;
    }
    desc.name = name;
    desc.dtype = *isa_dtype(tt.dtype);
    if (p.resident) {
      desc.level = isa::Space::vmem;
      desc.address = p.address;
      desc.shape = {p.copy_bytes * static_cast<std::uint64_t>(p.copies) / isa::dtype_bytes(desc.dtype)};
      if (p.address + p.copy_bytes * static_cast<std::uint64_t>(p.copies) > t.vmem_bytes)
        return Error("resident weight " + quote_value(tt.name) + " is past VMEM");
      plan.tensors.push_back(desc);
      continue;
    }
    p.copies = tt.copies;
    p.copy_bytes = align_up(tensor_bytes(plan, r), 64);
    std::uint64_t& at = p.space == isa::Space::cmem ? cmem : hbm;
    p.address = at;
    at += p.copy_bytes * static_cast<std::uint64_t>(p.copies);
    if (at >= (std::uint64_t{1} << 40))
      return Error("tensor " + quote_value(tt.name) + " ends past the ISA's 40-bit addresses (1 TiB)");
    desc.level = p.space;
    desc.address = p.address;
    if (tt.copies > 1) desc.shape.push_back(static_cast<std::uint64_t>(tt.copies));
    for (std::int64_t d : tt.shape) desc.shape.push_back(static_cast<std::uint64_t>(d));
    plan.tensors.push_back(desc);
  }
  if (cmem > t.cmem_bytes) return Error("CMEM placement overflows: a bug in residency");
  plan.hbm_used_bytes = hbm;
  // Tables the runtime fills: rope's cos and signed sin per row, and the token ids' rows for the gather.
  std::int64_t rope_rows = 0, rope_dim = 0;
  for (const Kernel& k : plan.kernels)
    if (k.kind == KernelKind::rope) rope_rows = std::max(rope_rows, k.rows), rope_dim = std::max(rope_dim, k.head_dim);
  if (rope_rows > 0) {
    // On chip when CMEM has room: each row is read once per head.
    const std::uint64_t table = align_up(static_cast<std::uint64_t>(rope_rows * rope_dim) * 4, 64);
    const bool on_chip = cmem + 2 * table <= t.cmem_bytes;
    for (const char* name : {"rope_cos", "rope_sin_signed"}) {
      std::uint64_t& at = on_chip ? cmem : hbm;
      plan.tensors.push_back({name, isa::DType::fp32, on_chip ? isa::Space::cmem : isa::Space::hbm, at,
                              {static_cast<std::uint64_t>(rope_rows), static_cast<std::uint64_t>(rope_dim)}});
      at += table;
    }
    plan.hbm_used_bytes = hbm;
  }
  plan.cmem_used_bytes = cmem;
  if (t.hbm_bytes > 0 && hbm > t.hbm_bytes)
    return Error("the program's tensors need " + gib(static_cast<double>(hbm)) + " of HBM; " + t.name + " has " +
                 gib(static_cast<double>(t.hbm_bytes)) + ": split the model over more chips (--tp)");
  // Attention backward's row statistics, and the causal mask for attention blocks on the diagonal:
  // T[i][c] = 0 where c - i <= keys, else -1e30; the block whose first query sits D positions after
  // its first key reads columns from keys - D (docs/compiler.md). One table serves every block shape:
  // rows and keys are the largest any kernel uses.
  std::int64_t rows = 0, keys = 0, scratch_rows = 0;
  for (const Kernel& k : plan.kernels) {
    if (k.kind == KernelKind::attention_backward)
      scratch_rows = std::max(scratch_rows, k.at.batch * k.at.heads * k.at.q);
    if ((k.kind != KernelKind::attention && k.kind != KernelKind::attention_backward) || !k.at.causal || k.at.q == 1)
      continue;
    rows = std::max(rows, k.at.rows_block);
    keys = std::max(keys, k.at.keys_block);
  }
  if (scratch_rows > 0) {
    const std::uint64_t bytes = align_up(static_cast<std::uint64_t>(scratch_rows) * 4, 64);
    const bool on_chip = cmem + 3 * bytes <= t.cmem_bytes;
    std::uint64_t& at = on_chip ? cmem : hbm;
    plan.scratch = (static_cast<std::uint64_t>(on_chip ? isa::Space::cmem : isa::Space::hbm) << 40) | at;
    plan.scratch_rows = bytes / 4;
    plan.tensors.push_back({"attention_row_stats", isa::DType::fp32, on_chip ? isa::Space::cmem : isa::Space::hbm, at,
                            {3, bytes / 4}});
    at += 3 * bytes;
    plan.cmem_used_bytes = cmem;
    plan.hbm_used_bytes = hbm;
  }
  if (rows > 0) {
    const std::int64_t cols = 2 * keys + rows;
    plan.mask_rows = static_cast<std::uint64_t>(rows);
    plan.mask_cols = static_cast<std::uint64_t>(cols);
    plan.mask_keys = static_cast<std::uint64_t>(keys);
    plan.mask_offset = align_up(plan.constants.size(), 64);
    plan.constants.resize(plan.mask_offset + static_cast<std::size_t>(rows * cols) * 4, 0);
    const float masked = -1e30F;
    std::uint32_t bits = 0;
    std::memcpy(&bits, &masked, 4);
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t c = 0; c < cols; ++c) {
        if (c - i <= keys) continue;
        const std::size_t at = plan.mask_offset + static_cast<std::size_t>(i * cols + c) * 4;
        for (int b = 0; b < 4; ++b) plan.constants[at + static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(bits >> (8 * b));
      }
    plan.tensors.push_back({"causal_mask", isa::DType::fp32, isa::Space::konst, plan.mask_offset,
                            {static_cast<std::uint64_t>(rows), static_cast<std::uint64_t>(cols)}});
  }
  std::uint64_t peak = 0;
  for (Kernel& k : plan.kernels) {
    k.vmem = kernel_regions(plan, k);
    if (!k.vmem.empty()) peak = std::max(peak, k.vmem.back().offset + k.vmem.back().bytes);
  }
  if (peak > t.vmem_bytes)
    return Error("the kernels need " + mib(static_cast<double>(peak)) + " of VMEM per core; " + t.name + " has " +
                 mib(static_cast<double>(t.vmem_bytes)));
  return "HBM " + mib(static_cast<double>(plan.hbm_used_bytes)) + ", CMEM " + mib(static_cast<double>(cmem)) +
         ", VMEM per core up to " + mib(static_cast<double>(peak)) + " (" +
         mib(static_cast<double>(plan.vmem_resident_bytes)) + " resident)";
}

std::string verify_allocation(const Plan& plan) {
  const Target& t = plan.target;
  // Global tensors: inside their level and disjoint within it.
  for (isa::Space space : {isa::Space::hbm, isa::Space::cmem, isa::Space::vmem}) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
    for (const isa::Tensor& d : plan.tensors)
      if (d.level == space) spans.emplace_back(d.address, d.address + isa::tensor_bytes(d));
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i)
      if (spans[i].first < spans[i - 1].second) return std::string(isa::space_name(space)) + " tensors overlap";
    const std::uint64_t cap = space == isa::Space::cmem ? t.cmem_bytes : space == isa::Space::vmem ? plan.vmem_resident_bytes : std::uint64_t{1} << 40;
    if (!spans.empty() && spans.back().second > cap) return std::string(isa::space_name(space)) + " tensors past capacity";
  }
  // Each kernel's VMEM regions: above the resident weights, disjoint, inside VMEM.
  for (const Kernel& k : plan.kernels) {
    std::uint64_t end = plan.vmem_resident_bytes;
    for (const Region& r : k.vmem) {
      if (r.offset < end) return "kernel " + k.name + ": VMEM region " + r.name + " overlaps the one before it";
      end = r.offset + r.bytes;
    }
    if (end > t.vmem_bytes) return "kernel " + k.name + ": VMEM regions end past capacity";
  }
  return {};
}

}  // namespace xpusim::compiler::detail
