// Passes 3 and 4 (docs/compiler.md):
//   3. layouts: every tensor a kernel touches is a row-major matrix; attention operands by strides
//      (Q, K and V in place in the fused QKV rows, O token-major); transposing views loaded transposed.
//   4. dataflow: matmuls and attention are weight-stationary; the rest runs on the vector unit or the DMAs.
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

}  // namespace xpusim::compiler::detail
