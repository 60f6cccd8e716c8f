#include "ir/graph.h"

#include <algorithm>
#include <numeric>
#include <set>

namespace xpusim::ir {
namespace {

Expected<std::vector<Shape>> shape_error(const Graph& graph, OpKind kind, const std::vector<TensorId>& inputs,
                                         const std::string& why) {
  std::string shapes;
  for (TensorId id : inputs) {
    if (!shapes.empty()) shapes += ", ";
    shapes += shape_text(graph.tensor(id).shape);
  }
  return Error(std::string(op_kind_name(kind)) + " of " + shapes + ": " + why);
}

std::size_t expected_inputs(OpKind kind) {
  switch (kind) {
    case OpKind::matmul:
    case OpKind::swiglu:
    case OpKind::embedding:
      return 2;
    case OpKind::attention:
      return 3;
    case OpKind::attention_backward:
      return 5;
    case OpKind::optimizer_update:
      return 4;  // gradient, master weights, first and second moments
    case OpKind::elementwise:
    case OpKind::permute:
      return 0;  // any number
    default:
      return 1;
  }
}

}  // namespace

std::string_view role_name(TensorRole role) {
  switch (role) {
    case TensorRole::activation:
      return "activation";
    case TensorRole::weight:
      return "weight";
    case TensorRole::kv_cache:
      return "kv_cache";
    case TensorRole::gradient:
      return "gradient";
    case TensorRole::optimizer_state:
      return "optimizer_state";
  }
  return "?";
}

std::string_view op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::matmul:
      return "matmul";
    case OpKind::attention:
      return "attention";
    case OpKind::attention_backward:
      return "attention_backward";
    case OpKind::softmax:
      return "softmax";
    case OpKind::layernorm:
      return "layernorm";
    case OpKind::rmsnorm:
      return "rmsnorm";
    case OpKind::elementwise:
      return "elementwise";
    case OpKind::gelu:
      return "gelu";
    case OpKind::silu:
      return "silu";
    case OpKind::swiglu:
      return "swiglu";
    case OpKind::rope:
      return "rope";
    case OpKind::embedding:
      return "embedding";
    case OpKind::optimizer_update:
      return "optimizer_update";
    case OpKind::all_reduce:
      return "all_reduce";
    case OpKind::all_gather:
      return "all_gather";
    case OpKind::reduce_scatter:
      return "reduce_scatter";
    case OpKind::all_to_all:
      return "all_to_all";
    case OpKind::view:
      return "view";
    case OpKind::permute:
      return "permute";
  }
  return "?";
}

bool is_collective(OpKind kind) {
  return kind == OpKind::all_reduce || kind == OpKind::all_gather || kind == OpKind::reduce_scatter ||
         kind == OpKind::all_to_all;
}

std::string_view phase_name(Phase phase) {
  switch (phase) {
    case Phase::forward:
      return "forward";
    case Phase::backward:
      return "backward";
    case Phase::recompute:
      return "recompute";
    case Phase::optimizer:
      return "optimizer";
  }
  return "?";
}

double Tensor::elements() const {
  return std::accumulate(shape.begin(), shape.end(), 1.0,
                         [](double acc, std::int64_t d) { return acc * static_cast<double>(d); });
}

std::string shape_text(const Shape& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

TensorId Graph::add_tensor(std::string name, Shape shape, DType dtype, TensorRole role, std::int64_t copies) {
  tensors_.push_back({std::move(name), std::move(shape), dtype, role, copies});
  return static_cast<TensorId>(tensors_.size() - 1);
}

std::vector<TensorId> Graph::add_op_multi(OpKind kind, std::string name, std::vector<TensorId> inputs, OpAttrs attrs,
                                          std::int64_t repeat, Phase phase) {
  Expected<std::vector<Shape>> shapes = infer_shapes(*this, kind, inputs, attrs);
  XPUSIM_ASSERT(shapes.ok(), "graph builders must produce well-shaped ops");
  // Outputs take the data's dtype: the first input's, or the table's for an embedding lookup.
  const DType dtype = kind == OpKind::embedding ? tensor(inputs[1]).dtype : tensor(inputs[0]).dtype;
  std::vector<TensorId> outputs;
  for (std::size_t i = 0; i < shapes->size(); ++i) {
    std::string output_name = name;
    if (shapes->size() > 1) output_name += '.' + std::to_string(i);
    outputs.push_back(add_tensor(std::move(output_name), (*shapes)[i], dtype, TensorRole::activation));
  }
  ops_.push_back({kind, std::move(name), std::move(inputs), outputs, attrs, repeat, phase});
  return outputs;
}

TensorId Graph::add_op(OpKind kind, std::string name, std::vector<TensorId> inputs, OpAttrs attrs, std::int64_t repeat,
                       Phase phase) {
  std::vector<TensorId> outputs = add_op_multi(kind, std::move(name), std::move(inputs), attrs, repeat, phase);
  XPUSIM_ASSERT(outputs.size() == 1, "add_op is for single-output ops");
  return outputs[0];
}

Expected<std::vector<Shape>> infer_shapes(const Graph& graph, OpKind kind, const std::vector<TensorId>& inputs,
                                          const OpAttrs& attrs) {
  const std::size_t arity = expected_inputs(kind);
  if ((arity > 0 && inputs.size() != arity) || inputs.empty())
    return Error(std::string(op_kind_name(kind)) + " takes " + std::to_string(arity == 0 ? 1 : arity) +
                 (arity == 0 ? " or more inputs" : " inputs") + ", got " + std::to_string(inputs.size()));
  for (TensorId id : inputs)
    if (id < 0 || static_cast<std::size_t>(id) >= graph.tensors().size())
      return Error(std::string(op_kind_name(kind)) + ": input " + std::to_string(id) + " does not exist");
  const Shape& a = graph.tensor(inputs[0]).shape;
  for (std::int64_t d : a)
    if (d < 1) return shape_error(graph, kind, inputs, "dimensions must be positive");

  switch (kind) {
    case OpKind::matmul: {
      const Shape& b = graph.tensor(inputs[1]).shape;
      if (a.size() < 2 || b.size() < 2) return shape_error(graph, kind, inputs, "both operands need rank >= 2");
      if (a.back() != b[b.size() - 2])
        return shape_error(
            graph, kind, inputs,
            "inner dimensions " + std::to_string(a.back()) + " and " + std::to_string(b[b.size() - 2]) + " differ");
      if (b.size() > 2 &&
          !std::equal(b.begin(), b.end() - 2, a.end() - static_cast<std::ptrdiff_t>(b.size()), a.end() - 2))
        return shape_error(graph, kind, inputs, "batch dimensions differ");
      if (b.size() > a.size()) return shape_error(graph, kind, inputs, "the right operand has more batch dimensions");
      Shape out = a;
      out.back() = b.back();
      return std::vector<Shape>{out};
    }
    case OpKind::attention:
    case OpKind::attention_backward: {
      const Shape& k = graph.tensor(inputs[1]).shape;
      const Shape& v = graph.tensor(inputs[2]).shape;
      if (a.size() != 4 || k.size() != 4 || v.size() != 4)
        return shape_error(graph, kind, inputs, "Q, K and V are [batch, heads, seq, head_dim]");
      if (a[0] != k[0] || k[0] != v[0]) return shape_error(graph, kind, inputs, "batch sizes differ");
      if (k[1] != v[1] || a[1] % k[1] != 0)
        return shape_error(graph, kind, inputs, "key/value heads must be equal and divide the query heads");
      if (k[2] != v[2]) return shape_error(graph, kind, inputs, "keys and values differ in length");
      if (a[3] != k[3]) return shape_error(graph, kind, inputs, "query and key head sizes differ");
      if (attrs.causal && a[2] > k[2]) return shape_error(graph, kind, inputs, "causal queries outnumber keys");
      if (kind == OpKind::attention) return std::vector<Shape>{{a[0], a[1], a[2], v[3]}};
      return std::vector<Shape>{a, k, v};
    }
    case OpKind::swiglu:
    case OpKind::elementwise:
      for (TensorId id : inputs)
        if (graph.tensor(id).shape != a) return shape_error(graph, kind, inputs, "operands must have the same shape");
      return std::vector<Shape>{a};
    case OpKind::embedding: {
      const Shape& table = graph.tensor(inputs[1]).shape;
      if (table.size() != 2) return shape_error(graph, kind, inputs, "the table is [vocab, hidden]");
      Shape out = a;
      out.push_back(table[1]);
      return std::vector<Shape>{out};
    }
    case OpKind::optimizer_update:
      for (TensorId id : inputs)
        if (graph.tensor(id).elements() != graph.tensor(inputs[0]).elements())
          return shape_error(graph, kind, inputs, "gradient, weights and moments must have the same size");
      return std::vector<Shape>{a};
    case OpKind::all_gather: {
      if (attrs.group_size < 1) return shape_error(graph, kind, inputs, "group size must be positive");
      Shape out = a;
      out.back() *= attrs.group_size;
      return std::vector<Shape>{out};
    }
    case OpKind::permute:
      for (std::int64_t d : attrs.shape)
        if (d < 1) return shape_error(graph, kind, inputs, "permute dimensions must be positive");
      return std::vector<Shape>{attrs.shape};
    case OpKind::view: {
      double elements = 1;
      for (std::int64_t d : attrs.shape) {
        if (d < 1) return shape_error(graph, kind, inputs, "view dimensions must be positive");
        elements *= static_cast<double>(d);
      }
      if (elements != graph.tensor(inputs[0]).elements())
        return shape_error(graph, kind, inputs, "a view of " + shape_text(attrs.shape) + " has another element count");
      return std::vector<Shape>{attrs.shape};
    }
    case OpKind::reduce_scatter: {
      if (attrs.group_size < 1 || a.back() % attrs.group_size != 0)
        return shape_error(graph, kind, inputs, "the last dimension must split over the group");
      Shape out = a;
      out.back() /= attrs.group_size;
      return std::vector<Shape>{out};
    }
    default:
      return std::vector<Shape>{a};  // shape-preserving ops
  }
}

Diagnostics verify(const Graph& graph) {
  Diagnostics out;
  for (const Op& op : graph.ops()) {
    Expected<std::vector<Shape>> shapes = infer_shapes(graph, op.kind, op.inputs, op.attrs);
    if (!shapes.ok()) {
      out.error({}, op.name, shapes.error().to_string());
      continue;
    }
    bool same = shapes->size() == op.outputs.size();
    for (std::size_t i = 0; same && i < op.outputs.size(); ++i)
      same = graph.tensor(op.outputs[i]).shape == (*shapes)[i];
    if (!same) out.error({}, op.name, "recorded output shapes differ from the inferred ones");
  }
  return out;
}

namespace {

// Query-key pairs that attention computes. With a causal mask, query i of the last q_len positions of a
// kv_len-long sequence sees kv_len - q_len + i + 1 keys; a kernel that skips masked blocks computes only
// those (block granularity is ignored: it changes the count by under one block per row).
double attention_pairs(double q_len, double kv_len, const OpAttrs& attrs) {
  if (!attrs.causal || !attrs.skip_masked) return q_len * kv_len;
  return q_len * (kv_len - q_len) + q_len * (q_len + 1) / 2;
}

double elements_of(const Graph& graph, TensorId id) {
  return graph.tensor(id).elements();
}

}  // namespace

OpCost op_cost(const Graph& graph, const Op& op) {
  OpCost cost;
  for (std::size_t i = 0; i < op.inputs.size(); ++i)  // an input passed twice is read once
    if (std::find(op.inputs.begin(), op.inputs.begin() + static_cast<std::ptrdiff_t>(i), op.inputs[i]) ==
        op.inputs.begin() + static_cast<std::ptrdiff_t>(i))
      cost.bytes_read += graph.tensor(op.inputs[i]).bytes();
  for (TensorId id : op.outputs) cost.bytes_written += graph.tensor(id).bytes();
  const double out_elements = op.outputs.empty() ? 0 : elements_of(graph, op.outputs[0]);

  switch (op.kind) {
    case OpKind::matmul: {
      const Shape& a = graph.tensor(op.inputs[0]).shape;
      cost.flops = 2.0 * out_elements * static_cast<double>(a.back());
      break;
    }
    case OpKind::attention:
    case OpKind::attention_backward: {
      const Shape& q = graph.tensor(op.inputs[0]).shape;
      const Shape& k = graph.tensor(op.inputs[1]).shape;
      const Shape& v = graph.tensor(op.inputs[2]).shape;
      const double pairs = attention_pairs(static_cast<double>(q[2]), static_cast<double>(k[2]), op.attrs);
      // Q K^T and P V: 2 FLOPs per multiply-add, head_dim and v_head_dim of them per pair.
      const double forward = 2.0 * static_cast<double>(q[0] * q[1]) * pairs * static_cast<double>(q[3] + v[3]);
      // Backward recomputes Q K^T and computes dV, dP, dQ, dK: 5 products against the forward's 2
      // (the FlashAttention papers' 2.5x).
      cost.flops = op.kind == OpKind::attention ? forward : 2.5 * forward;
      break;
    }
    case OpKind::softmax:
      cost.flops = 5 * out_elements;
      break;  // max, subtract, exp, sum, divide
    case OpKind::layernorm:
      cost.flops = 8 * out_elements;
      break;  // mean, variance, normalise, scale, shift
    case OpKind::rmsnorm:
      cost.flops = 4 * out_elements;
      break;  // square-sum, rsqrt scale, weight
    case OpKind::gelu:
      cost.flops = 8 * out_elements;
      break;  // tanh approximation
    case OpKind::silu:
      cost.flops = 4 * out_elements;
      break;
    case OpKind::swiglu:
      cost.flops = 5 * out_elements;
      break;  // silu(gate) and the product
    case OpKind::rope:
      cost.flops = 3 * out_elements;
      break;  // x cos + rotate(x) sin
    case OpKind::elementwise:
      cost.flops = op.attrs.flops_per_element * out_elements;
      break;
    case OpKind::embedding:
      // A gather reads only the rows it needs, not the table.
      cost.bytes_read = graph.tensor(op.inputs[0]).bytes() + graph.tensor(op.outputs[0]).bytes();
      break;
    case OpKind::optimizer_update:
      cost.flops = 12 * elements_of(graph, op.inputs[0]);  // Adam: moments, bias correction, update
      // Updates master weights and moments in place and writes the low-precision weights.
      cost.bytes_written = graph.tensor(op.inputs[1]).bytes() + graph.tensor(op.inputs[2]).bytes() +
                           graph.tensor(op.inputs[3]).bytes() + graph.tensor(op.outputs[0]).bytes();
      break;
    case OpKind::all_reduce:
    case OpKind::reduce_scatter:
      cost.flops = elements_of(graph, op.inputs[0]) * static_cast<double>(op.attrs.group_size - 1) /
                   static_cast<double>(op.attrs.group_size);
      break;
    case OpKind::all_gather:
    case OpKind::all_to_all:
      break;
    case OpKind::view:
      cost = {};
      break;
    case OpKind::permute:
      cost.flops = op.attrs.flops_per_element * out_elements;
      break;
  }
  return cost;
}

GraphTotals totals(const Graph& graph) {
  GraphTotals out;
  for (const Op& op : graph.ops()) {
    const OpCost cost = op_cost(graph, op);
    out.flops += cost.flops * static_cast<double>(op.repeat);
    out.bytes += cost.bytes() * static_cast<double>(op.repeat);
  }
  for (const Tensor& t : graph.tensors()) {
    if (t.role == TensorRole::weight) out.weight_bytes += t.bytes() * static_cast<double>(t.copies);
    if (t.role == TensorRole::kv_cache) out.kv_cache_bytes += t.bytes() * static_cast<double>(t.copies);
  }
  return out;
}

}  // namespace xpusim::ir
