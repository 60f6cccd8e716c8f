// The workload graph: typed, shaped tensors and the ops between them, with shape inference and exact
// FLOP and byte counts per op.
//
// Every evaluator (the analytical model, the compiler, the parallel planner) reads this one graph. To
// keep a 126-layer model cheap to build and to evaluate, identical ops are stored once with a `repeat`
// count (one transformer block's ops repeat `layers` times) rather than unrolled.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/dtype.h"
#include "support/expected.h"

namespace xpusim::ir {

using Shape = std::vector<std::int64_t>;
using TensorId = int;

enum class TensorRole : unsigned char { activation, weight, kv_cache, gradient, optimizer_state };
std::string_view role_name(TensorRole role);

struct Tensor {
  std::string name;
  Shape shape;
  DType dtype = DType::bf16;
  TensorRole role = TensorRole::activation;
  std::int64_t copies = 1;  // distinct instances it stands for: a per-layer weight has one per layer

  double elements() const;
  double bytes() const { return elements() * dtype_bytes(dtype); }
};

enum class OpKind : unsigned char {
  matmul,              // C[..., m, n] = A[..., m, k] B[..., k, n]; B may be an unbatched [k, n] weight
  attention,           // fused (flash) attention: O = softmax(Q K^T / sqrt(d) + mask) V; scores stay on chip
  attention_backward,  // fused backward: dQ, dK, dV from Q, K, V, O, dO
  softmax,
  layernorm,
  rmsnorm,
  elementwise,  // any pointwise op; attrs.flops_per_element says how much arithmetic
  gelu,
  silu,
  swiglu,  // silu(gate) * up
  rope,
  embedding,         // gather rows of a table
  optimizer_update,  // Adam with fp32 master weights
  all_reduce,
  all_gather,
  reduce_scatter,
  all_to_all,
  view,     // the same data seen with another shape (attrs.shape); costs nothing
  permute,  // rows of the inputs copied to new places and a new shape (attrs.shape): MoE dispatch, combine
};
std::string_view op_kind_name(OpKind kind);
bool is_collective(OpKind kind);

// Where an op belongs in a training step (inference graphs are all forward).
enum class Phase : unsigned char { forward, backward, recompute, optimizer };
std::string_view phase_name(Phase phase);

struct OpAttrs {
  bool causal = false;           // attention: a query sees only keys at or before its position
  bool skip_masked = true;       // attention: masked score blocks are skipped (flash attention), not computed
  double flops_per_element = 1;  // elementwise: arithmetic per output element
  int group_size = 1;            // collectives: ranks taking part
  Shape shape;                   // view: the new shape (same element count)
  // matmul: the type the matrix units compute in, when the operands are cast on the way in
  // (Transformer Engine's fp8 GEMMs on bf16 tensors); unset: the first operand's type.
  std::optional<DType> compute_dtype;
};

struct Op {
  OpKind kind = OpKind::elementwise;
  std::string name;
  std::vector<TensorId> inputs;
  std::vector<TensorId> outputs;
  OpAttrs attrs;
  std::int64_t repeat = 1;  // identical executions this op stands for
  Phase phase = Phase::forward;
};

// What one execution of an op does. Bytes are the least traffic: every input read once and every
// output written once (a fused attention never writes its scores). The perf model adds the traffic
// that tiling to on-chip memory costs.
struct OpCost {
  double flops = 0;
  double bytes_read = 0;
  double bytes_written = 0;
  double bytes() const { return bytes_read + bytes_written; }
};

class Graph {
 public:
  TensorId add_tensor(std::string name, Shape shape, DType dtype, TensorRole role, std::int64_t copies = 1);
  // Adds an op whose output shapes come from shape inference; its outputs are new activations of
  // `out_dtype` (the first input's dtype when unset). Misuse is a bug and asserts; graphs from outside
  // (ONNX) go through infer_shapes() instead.
  TensorId add_op(OpKind kind, std::string name, std::vector<TensorId> inputs, OpAttrs attrs = {},
                  std::int64_t repeat = 1, Phase phase = Phase::forward);
  // For ops with several outputs (attention_backward).
  std::vector<TensorId> add_op_multi(OpKind kind, std::string name, std::vector<TensorId> inputs, OpAttrs attrs,
                                     std::int64_t repeat, Phase phase);

  void reserve(std::size_t ops, std::size_t tensors) {
    ops_.reserve(ops);
    tensors_.reserve(tensors);
  }

  const Tensor& tensor(TensorId id) const { return tensors_[static_cast<std::size_t>(id)]; }
  Tensor& tensor(TensorId id) { return tensors_[static_cast<std::size_t>(id)]; }
  const std::vector<Tensor>& tensors() const { return tensors_; }
  const std::vector<Op>& ops() const { return ops_; }
  std::vector<Op>& ops() { return ops_; }

 private:
  std::vector<Tensor> tensors_;
  std::vector<Op> ops_;
};

// The output shapes of `kind` applied to `inputs`, or why the inputs do not fit together.
Expected<std::vector<Shape>> infer_shapes(const Graph& graph, OpKind kind, const std::vector<TensorId>& inputs,
                                          const OpAttrs& attrs);
// Re-infers every op's outputs and reports ops whose recorded outputs disagree.
Diagnostics verify(const Graph& graph);

OpCost op_cost(const Graph& graph, const Op& op);

// Sums over the whole graph, repeats included.
struct GraphTotals {
  double flops = 0;
  double bytes = 0;
  double weight_bytes = 0;    // distinct weight tensors
  double kv_cache_bytes = 0;  // distinct KV-cache tensors
};
GraphTotals totals(const Graph& graph);

std::string shape_text(const Shape& shape);  // "[2, 128, 4096]"

}  // namespace xpusim::ir
