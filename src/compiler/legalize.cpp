// Passes 1 and 2 (docs/compiler.md):
//   1. legalize: graph ops become kernels; views alias their source; collectives are skipped.
//   2. fuse: a matmul takes its pointwise consumer as an epilogue; gate and up matmuls fuse with swiglu.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "compiler/plan.h"
#include "support/text.h"

namespace xpusim::compiler::detail {

using ir::OpKind;

namespace {

bool mxu_input(isa::DType d) {
  return d != isa::DType::fp32 && d != isa::DType::int32;
}

// The region a graph op belongs to: ops of one transformer block share their name's prefix.
std::string region_of(const ir::Op& op) {
  const std::size_t dot = op.name.find_last_of('.');
  return dot == std::string::npos ? std::string() : op.name.substr(0, dot);
}

}  // namespace

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

}  // namespace xpusim::compiler::detail
