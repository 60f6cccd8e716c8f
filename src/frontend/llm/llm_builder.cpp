#include "frontend/llm/llm_builder.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace xpusim::frontend {
namespace {

using ir::DType;
using ir::Graph;
using ir::OpAttrs;
using ir::OpKind;
using ir::Phase;
using ir::Shape;
using ir::TensorId;
using ir::TensorRole;

// Sizes of one tensor-parallel rank.
struct Dims {
  std::int64_t hidden, heads, kv_heads, head_dim, v_head_dim, ffn, vocab, layers;
  int tp;
  std::int64_t heads_rank() const { return heads / tp; }
  // With fewer KV heads than ranks, each rank keeps one KV head (Megatron replicates them).
  std::int64_t kv_heads_rank() const { return std::max<std::int64_t>(1, kv_heads / tp); }
};

Dims dims_of(const spec::ModelSpec& m, int tp) {
  Dims d{m.hidden, m.heads, m.kv_head_count(), m.head_size(), m.head_size(), m.ffn_hidden, m.vocab, m.layers, tp};
  if (m.has_mla) {
    d.head_dim = m.mla.qk_nope_head_dim + m.mla.qk_rope_head_dim;
    d.v_head_dim = m.mla.v_head_dim;
    d.kv_heads = m.heads;
  }
  return d;
}

bool gated(const spec::ModelSpec& m) {
  return m.activation == "swiglu" || m.activation == "geglu";
}

// Expected distinct experts that `assignments` uniformly routed token-slots reach out of `experts`.
double experts_reached(double experts, double assignments) {
  return experts * (1.0 - std::pow(1.0 - 1.0 / experts, assignments));
}

// Builds one rank's graph. Forward ops are emitted through the helpers below; a training step then
// walks the recorded forward ops of a region backwards and emits their gradient ops.
class Builder {
 public:
  Builder(const spec::ModelSpec& model, const LlmOptions& options)
      : m_(model), o_(options), d_(dims_of(model, options.tp)) {
    graph.reserve(256, 512);  // a training step's ops and tensors, without regrowth
  }

  Graph graph;
  bool training_ = false;  // dropout runs only in training
  TensorId embedding_table_ = -1;
  // Vocabulary-parallel layers pad the vocabulary to a multiple of tp, as Megatron-LM does.
  std::int64_t vocab_rank() const { return (d_.vocab + o_.tp - 1) / o_.tp; }

  // Weights are shared between a layer's forward and its recomputation: one tensor per name.
  TensorId weight(const std::string& name, Shape shape, std::int64_t copies) {
    const std::string full = weight_prefix_ + name;
    if (auto it = weights_.find(full); it != weights_.end()) return it->second;
    const TensorId id = graph.add_tensor(full, std::move(shape), o_.dtype, TensorRole::weight, copies);
    weights_.emplace(full, id);
    return id;
  }
  bool is_weight(TensorId id) const {
    const ir::Tensor& t = graph.tensor(id);
    return t.role == TensorRole::weight || weight_views_.count(id) > 0;
  }
  TensorId activation(const std::string& name, Shape shape, DType dtype) {
    return graph.add_tensor(name, std::move(shape), dtype, TensorRole::activation);
  }
  TensorId op(OpKind kind, const std::string& name, std::vector<TensorId> inputs, OpAttrs attrs = {}) {
    return graph.add_op(kind, prefix_ + name, std::move(inputs), std::move(attrs), repeat_, phase_);
  }
  TensorId view(TensorId x, Shape shape) {
    OpAttrs attrs;
    attrs.shape = std::move(shape);
    const TensorId out = op(OpKind::view, graph.tensor(x).name + ".view", {x}, attrs);
    if (is_weight(x)) weight_views_.insert(out);
    return out;
  }
  // Products with a weight (the linear layers) compute in gemm_dtype when one is set.
  TensorId matmul(const std::string& name, TensorId x, TensorId w, std::optional<DType> compute = std::nullopt) {
    OpAttrs attrs;
    attrs.compute_dtype = compute ? compute : (is_weight(w) ? o_.gemm_dtype : std::nullopt);
    return op(OpKind::matmul, name, {x, w}, attrs);
  }
  TensorId all_reduce(const std::string& name, TensorId x) {
    if (o_.tp == 1) return x;
    OpAttrs attrs;
    attrs.group_size = o_.tp;
    return op(OpKind::all_reduce, name, {x}, attrs);
  }
  TensorId norm(const std::string& name, TensorId x) {
    return op(m_.norm == "rmsnorm" ? OpKind::rmsnorm : OpKind::layernorm, name, {x});
  }
  TensorId add(const std::string& name, TensorId a, TensorId b) { return op(OpKind::elementwise, name, {a, b}); }

  // Ops emitted from here on repeat `repeat` times, belong to `phase`, and carry `prefix` in their names.
  void region(std::int64_t repeat, Phase phase, std::string prefix, std::string weight_prefix) {
    repeat_ = repeat;
    phase_ = phase;
    prefix_ = std::move(prefix);
    weight_prefix_ = std::move(weight_prefix);
  }

  TensorId permute(const std::string& name, TensorId x, Shape shape, double flops_per_element = 0) {
    OpAttrs attrs;
    attrs.shape = std::move(shape);
    attrs.flops_per_element = flops_per_element;
    return op(OpKind::permute, name, {x}, attrs);
  }

  // Attention sub-block of one layer: norm, projections, rope, attention, output projection, residual.
  // Prefill and training attend over the sequence itself; decode attends over the KV cache.
  TensorId attention_block(TensorId x, std::int64_t batch, std::int64_t q_len, std::int64_t kv_len, bool decode) {
    if (m_.has_mla) return latent_attention_block(x, batch, q_len, kv_len, decode);
    const std::int64_t L = repeat_;
    const std::int64_t heads = d_.heads_rank(), kv_heads = d_.kv_heads_rank(), hd = d_.head_dim;
    const TensorId normed = norm("attn_norm", x);
    const TensorId qkv = matmul("qkv", normed, weight("w_qkv", {d_.hidden, (heads + 2 * kv_heads) * hd}, L));
    const TensorId rotated = m_.positional == "rope" ? op(OpKind::rope, "rope", {qkv}) : qkv;
    // Q, K and V are slices of one projection output: the attention kernel reads them in place.
    const TensorId q = slice(rotated, {batch, heads, q_len, hd}, "q");
    TensorId k, v;
    if (decode) {
      k = cache("k_cache", {batch, kv_heads, kv_len, hd});
      v = cache("v_cache", {batch, kv_heads, kv_len, hd});
    } else {
      k = slice(rotated, {batch, kv_heads, kv_len, hd}, "k");
      v = slice(rotated, {batch, kv_heads, kv_len, hd}, "v");
    }
    const TensorId attn = decode || o_.flash_attention
                              ? op(OpKind::attention, "attention", {q, k, v}, attention_attrs())
                              : unfused_attention(q, k, v);
    const TensorId flat = view(attn, {batch * q_len, heads * hd});
    TensorId out = matmul("attn_out", flat, weight("w_o", {heads * hd, d_.hidden}, L));
    out = all_reduce("attn_all_reduce", out);
    return add("attn_residual", x, out);
  }

  // Multi-head latent attention (DeepSeek-V2/V3). Prefill and training expand the compressed KV per
  // head. Decode keeps it compressed: W_uk is absorbed into the query and W_uv into the output, so every
  // query head reads one shared latent cache of kv_lora_rank + rope dims (used as both K and V; the V
  // product then spans the rope dims too, 11% more than it needs for DeepSeek-V3).
  TensorId latent_attention_block(TensorId x, std::int64_t batch, std::int64_t q_len, std::int64_t kv_len,
                                  bool decode) {
    const auto& a = m_.mla;
    const std::int64_t L = repeat_, heads = d_.heads_rank(), tokens = batch * q_len;
    const std::int64_t qk = a.qk_nope_head_dim + a.qk_rope_head_dim, latent = a.kv_lora_rank + a.qk_rope_head_dim;
    const TensorId normed = norm("attn_norm", x);
    TensorId q_in = normed;
    std::int64_t q_width = d_.hidden;
    if (a.q_lora_rank > 0) {
      q_in = norm("q_norm", matmul("q_down", normed, weight("w_q_down", {d_.hidden, a.q_lora_rank}, L)));
      q_width = a.q_lora_rank;
    }
    TensorId q = matmul("q_up", q_in, weight("w_q_up", {q_width, heads * qk}, L));
    const TensorId kv_latent = norm("kv_norm", matmul("kv_down", normed, weight("w_kv_down", {d_.hidden, latent}, L)));
    TensorId attn;
    std::int64_t v_dim = a.v_head_dim;
    if (decode) {
      const TensorId q_nope = permute("q_nope", q, {heads, tokens, a.qk_nope_head_dim});
      const TensorId q_absorbed =
          matmul("q_absorb", q_nope, weight("w_uk", {heads, a.qk_nope_head_dim, a.kv_lora_rank}, L));
      const TensorId q4 = permute("q_latent", q_absorbed, {batch, heads, q_len, latent});
      const TensorId cached = cache("latent_cache", {batch, 1, kv_len, latent});
      attn = op(OpKind::attention, "attention", {q4, cached, cached}, attention_attrs());
      const TensorId per_head = permute("attn_latent", attn, {heads, tokens, a.kv_lora_rank});
      attn = matmul("v_absorb", per_head, weight("w_uv", {heads, a.kv_lora_rank, a.v_head_dim}, L));
    } else {
      const TensorId kv =
          matmul("kv_up", kv_latent, weight("w_kv_up", {latent, heads * (a.qk_nope_head_dim + a.v_head_dim)}, L));
      const TensorId q4 = slice(q, {batch, heads, q_len, qk}, "q");
      const TensorId k4 = permute("k", kv, {batch, heads, kv_len, qk});  // nope part plus the shared rope key
      const TensorId v4 = slice(kv, {batch, heads, kv_len, v_dim}, "v");
      attn = o_.flash_attention ? op(OpKind::attention, "attention", {q4, k4, v4}, attention_attrs())
                                : unfused_attention(q4, k4, v4);
    }
    const TensorId flat = view(attn, {tokens, heads * v_dim});
    TensorId out = matmul("attn_out", flat, weight("w_o", {heads * v_dim, d_.hidden}, L));
    out = all_reduce("attn_all_reduce", out);
    return add("attn_residual", x, out);
  }

  TensorId dense_ffn(const std::string& name, TensorId x, std::int64_t width) {
    const std::int64_t L = repeat_;
    const std::int64_t w = width / o_.tp;
    if (gated(m_)) {
      const TensorId gate = matmul(name + "_gate", x, weight("w_" + name + "_gate", {d_.hidden, w}, L));
      const TensorId up = matmul(name + "_up", x, weight("w_" + name + "_up", {d_.hidden, w}, L));
      const TensorId act = op(OpKind::swiglu, name + "_swiglu", {gate, up});
      return matmul(name + "_down", act, weight("w_" + name + "_down", {w, d_.hidden}, L));
    }
    const TensorId up = matmul(name + "_up", x, weight("w_" + name + "_up", {d_.hidden, w}, L));
    const TensorId act = op(m_.activation == "relu" ? OpKind::elementwise : OpKind::gelu, name + "_act", {up});
    return matmul(name + "_down", act, weight("w_" + name + "_down", {w, d_.hidden}, L));
  }

  TensorId ffn_block(TensorId x, std::int64_t tokens, bool moe_layer, double capacity_factor) {
    const TensorId normed = norm("ffn_norm", x);
    TensorId out;
    if (!moe_layer) {
      const std::int64_t width = m_.has_moe ? m_.moe.dense_ffn_hidden.value_or(m_.ffn_hidden) : m_.ffn_hidden;
      out = dense_ffn("ffn", normed, width);
    } else {
      const auto& moe = m_.moe;
      const std::int64_t L = repeat_;
      const TensorId logits = matmul("router", normed, weight("w_router", {d_.hidden, moe.experts}, L));
      op(OpKind::softmax, "router_softmax", {logits});
      // Each token goes to top_k experts; with few tokens (decode) only some experts are reached and
      // only their weights are read. Token-slots spread as evenly as whole numbers allow: `big` experts
      // take one more than the rest, so the FLOPs are exact (a grouped GEMM does not pad).
      const double slots = std::ceil(static_cast<double>(tokens * moe.top_k) * capacity_factor);
      const double local_experts = static_cast<double>(moe.experts / std::max(1, o_.ep));
      const auto reached =
          static_cast<std::int64_t>(std::max(1.0, std::round(experts_reached(local_experts, slots))));
      const auto total = static_cast<std::int64_t>(slots);
      const std::int64_t base = total / reached, big = total % reached;
      const std::int64_t w = moe.expert_ffn_hidden / o_.tp;
      std::vector<TensorId> expert_outputs;
      for (const auto& [count, rows] : {std::pair{big, base + 1}, std::pair{reached - big, base}}) {
        if (count == 0 || rows == 0) continue;
        const std::string tag = rows == base + 1 && big > 0 && base > 0 ? "_a" : (big > 0 && rows == base ? "_b" : "");
        const TensorId dispatched = permute("moe_dispatch" + tag, normed, {count, rows, d_.hidden});
        TensorId h;
        if (gated(m_)) {
          const TensorId gate =
              matmul("expert_gate" + tag, dispatched, weight("w_expert_gate" + tag, {count, d_.hidden, w}, L));
          const TensorId up =
              matmul("expert_up" + tag, dispatched, weight("w_expert_up" + tag, {count, d_.hidden, w}, L));
          h = op(OpKind::swiglu, "expert_swiglu" + tag, {gate, up});
        } else {
          h = op(OpKind::gelu, "expert_act" + tag,
                 {matmul("expert_up" + tag, dispatched, weight("w_expert_up" + tag, {count, d_.hidden, w}, L))});
        }
        expert_outputs.push_back(
            matmul("expert_down" + tag, h, weight("w_expert_down" + tag, {count, w, d_.hidden}, L)));
      }
      // Combine: each token sums its top_k expert outputs, weighted by the router.
      OpAttrs combine;
      combine.shape = {tokens, d_.hidden};
      combine.flops_per_element = 2.0 * static_cast<double>(moe.top_k);
      out = op(OpKind::permute, "moe_combine", expert_outputs, combine);
      if (moe.shared_experts > 0)
        out = add("shared_add", out, dense_ffn("shared", normed, moe.shared_experts * moe.expert_ffn_hidden));
    }
    out = all_reduce("ffn_all_reduce", out);
    return add("ffn_residual", x, out);
  }

  // The transformer layers between embedding and head, for `q_len` new tokens per sequence.
  TensorId layers(TensorId x, std::int64_t batch, std::int64_t q_len, std::int64_t kv_len, bool decode, Phase phase,
                  double capacity_factor) {
    const std::int64_t tokens = batch * q_len;
    const std::int64_t dense = m_.has_moe ? m_.moe.dense_layers : m_.layers;
    const std::int64_t moe = m_.layers - dense;
    const std::string tag = phase == Phase::recompute ? "recompute." : "";
    TensorId out = x;
    layer_regions_.clear();
    if (dense > 0) {
      const std::string name = moe > 0 ? "dense_layer." : "layer.";
      region(dense, phase, tag + name, name);
      const std::size_t begin = graph.ops().size();
      out = ffn_block(attention_block(x, batch, q_len, kv_len, decode), tokens, false, capacity_factor);
      layer_regions_.push_back({begin, graph.ops().size(), dense, name});
    }
    if (moe > 0) {
      region(moe, phase, tag + "moe_layer.", "moe_layer.");
      const std::size_t begin = graph.ops().size();
      out = ffn_block(attention_block(x, batch, q_len, kv_len, decode), tokens, true, capacity_factor);
      layer_regions_.push_back({begin, graph.ops().size(), moe, "moe_layer."});
    }
    return out;
  }

  TensorId embed(std::int64_t tokens) {
    region(1, Phase::forward, "", "");
    const TensorId ids = graph.add_tensor("token_ids", {tokens}, DType::int8, TensorRole::activation);
    graph.tensor(ids).dtype = DType::fp32;  // 32-bit token ids
    const TensorId table = weight("w_embedding", {vocab_rank(), d_.hidden}, 1);
    embedding_table_ = table;
    return all_reduce("embedding_all_reduce", op(OpKind::embedding, "embedding", {ids, table}));
  }

  TensorId head(TensorId x, std::int64_t tokens) {
    region(1, Phase::forward, "", "");
    const TensorId last =
        tokens == graph.tensor(x).shape[0] ? x : activation("last_hidden", {tokens, d_.hidden}, o_.dtype);
    const TensorId normed = norm("final_norm", last);
    // Tied embeddings reuse the input table ([vocab, hidden]); its transpose is a free view.
    const TensorId w = m_.tied_embeddings ? view(embedding_table_, {d_.hidden, vocab_rank()})
                                          : weight("w_lm_head", {d_.hidden, vocab_rank()}, 1);
    // The output layer stays in the tensors' type (Transformer Engine's fp8 covers the transformer layers).
    return matmul("lm_head", normed, w, o_.dtype);
  }

  const Dims& dims() const { return d_; }

  // A run of forward ops that repeats `repeat` times (the transformer layers).
  struct Region {
    std::size_t begin, end;
    std::int64_t repeat;
    std::string name;
  };
  const std::vector<Region>& layer_regions() const { return layer_regions_; }

  // Emits the gradient ops of forward ops [begin, end), last first, repeating `repeat` times.
  void backward(std::size_t begin, std::size_t end, std::int64_t repeat, const std::string& prefix) {
    region(repeat, Phase::backward, prefix + "grad.", "");
    for (std::size_t i = end; i-- > begin;) {
      const ir::Op fwd = graph.ops()[i];  // a copy: emitting ops may reallocate the list
      backward_of(fwd);
    }
  }

  // Re-emits forward attention ops of [begin, end) for selective recomputation.
  // Selective recomputation (Korthikanti et al.): the attention core runs again in the backward pass.
  void recompute_attention(std::size_t begin, std::size_t end, std::int64_t repeat, const std::string& prefix) {
    region(repeat, Phase::recompute, "recompute." + prefix, "");
    for (std::size_t i = begin; i < end; ++i) {
      const ir::Op fwd = graph.ops()[i];
      const std::string base = fwd.name.substr(fwd.name.find_last_of('.') + 1);
      if (fwd.kind == OpKind::attention || base.starts_with("attn_core"))
        graph.add_op(fwd.kind, prefix_ + base, fwd.inputs, fwd.attrs, repeat_, phase_);
    }
  }

  TensorId gradient_of(TensorId y) {
    if (auto it = grad_.find(y); it != grad_.end()) return it->second;
    const ir::Tensor& t = graph.tensor(y);
    return graph.add_tensor("d." + t.name, t.shape, t.dtype, TensorRole::gradient);
  }

 private:
  // Attention without fusion: scores = Q K^T for every head and every (masked or not) pair, a fused
  // scale-mask-softmax, dropout in training, then P V; the score matrix goes through HBM each time.
  TensorId unfused_attention(TensorId q, TensorId k, TensorId v) {
    const Shape& qs = graph.tensor(q).shape;  // [b, h, s, d]
    const Shape& ks = graph.tensor(k).shape;
    const Shape& vs = graph.tensor(v).shape;
    const std::int64_t bh = qs[0] * qs[1], s_q = qs[2], s_kv = ks[2], d = qs[3], dv = vs[3];
    const TensorId q3 = view(q, {bh, s_q, d});
    // K^T and V per query head: a free view with as many KV heads as query heads, else a copy (GQA).
    const bool same_heads = ks[1] == qs[1];
    const TensorId k_t = same_heads ? view(k, {bh, d, s_kv}) : permute("attn_core_k_expand", k, {bh, d, s_kv});
    const TensorId v3 = same_heads ? view(v, {bh, s_kv, dv}) : permute("attn_core_v_expand", v, {bh, s_kv, dv});
    TensorId p = op(OpKind::matmul, "attn_core_scores", {q3, k_t});
    p = op(OpKind::softmax, "attn_core_softmax", {p});
    if (training_) {
      OpAttrs dropout;
      dropout.flops_per_element = 2;  // random mask and scale
      p = op(OpKind::elementwise, "attn_core_dropout", {p}, dropout);
    }
    const TensorId context = op(OpKind::matmul, "attn_core_context", {p, v3});
    return view(context, {qs[0], qs[1], s_q, dv});
  }

  // A slice of a fused projection (Q of QKV) in the attention layout: a view when it is the whole
  // tensor, else a new tensor standing for the slice, which the attention kernel reads in place.
  TensorId slice(TensorId x, Shape shape, const std::string& what) {
    double elements = 1;
    for (std::int64_t dim : shape) elements *= static_cast<double>(dim);
    if (elements == graph.tensor(x).elements()) return view(x, std::move(shape));
    return activation(prefix_ + what, std::move(shape), graph.tensor(x).dtype);
  }
  TensorId cache(const std::string& name, Shape shape) {
    return graph.add_tensor(prefix_ + name, std::move(shape), o_.kv_dtype, TensorRole::kv_cache, repeat_);
  }
  OpAttrs attention_attrs() const {
    OpAttrs attrs;
    attrs.causal = true;
    attrs.skip_masked = o_.skip_masked_attention;
    return attrs;
  }

  void accumulate(TensorId x, TensorId dx) {
    if (is_weight(x) || graph.tensor(x).role == TensorRole::kv_cache) return;
    auto [it, fresh] = grad_.emplace(x, dx);
    if (!fresh) it->second = add("grad_accumulate", it->second, dx);
  }

  TensorId elementwise_grad(const std::string& name, std::vector<TensorId> inputs, double flops_per_element) {
    OpAttrs attrs;
    attrs.flops_per_element = flops_per_element;
    return op(OpKind::elementwise, name, std::move(inputs), attrs);
  }

  static Shape transposed(Shape shape) {
    std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
    return shape;
  }

  void backward_of(const ir::Op& fwd) {
    const std::string& name = fwd.name.substr(fwd.name.find_last_of('.') + 1);
    const TensorId y = fwd.outputs[0];
    switch (fwd.kind) {
      case OpKind::matmul: {
        const TensorId a = fwd.inputs[0], b = fwd.inputs[1];
        const TensorId dy = gradient_of(y);
        // The gradient GEMMs compute in the forward GEMM's type (fp8 e5m2 gradients in Transformer Engine).
        const std::optional<DType> compute = fwd.attrs.compute_dtype;
        if (!is_weight(a))
          accumulate(a, matmul(name + ".dx", dy, view(b, transposed(graph.tensor(b).shape)), compute));
        if (is_weight(b)) {
          // Weight gradients accumulate in fp32 (Megatron-LM's main_grad).
          const TensorId dw = matmul(name + ".dw", view(a, transposed(graph.tensor(a).shape)), dy, compute);
          graph.tensor(dw).dtype = DType::fp32;
          graph.tensor(dw).role = TensorRole::gradient;
        } else {
          accumulate(b, matmul(name + ".db", view(a, transposed(graph.tensor(a).shape)), dy, compute));
        }
        break;
      }
      case OpKind::attention: {
        std::vector<TensorId> inputs = fwd.inputs;
        inputs.push_back(y);
        inputs.push_back(gradient_of(y));
        const std::vector<TensorId> d =
            graph.add_op_multi(OpKind::attention_backward, prefix_ + name, inputs, fwd.attrs, repeat_, phase_);
        for (std::size_t i = 0; i < 3; ++i) accumulate(fwd.inputs[i], d[i]);
        break;
      }
      case OpKind::view:
      case OpKind::permute: {
        const TensorId x = fwd.inputs[0];
        if (is_weight(x)) break;
        OpAttrs attrs = fwd.attrs;
        attrs.shape = graph.tensor(x).shape;
        accumulate(x, op(fwd.kind, name + ".grad", {gradient_of(y)}, attrs));
        break;
      }
      case OpKind::all_reduce:
        accumulate(fwd.inputs[0], op(OpKind::all_reduce, name, {gradient_of(y)}, fwd.attrs));
        break;
      case OpKind::swiglu: {
        const TensorId dy = gradient_of(y);
        accumulate(fwd.inputs[0], elementwise_grad(name + ".dgate", {fwd.inputs[0], fwd.inputs[1], dy}, 8));
        accumulate(fwd.inputs[1], elementwise_grad(name + ".dup", {fwd.inputs[0], dy}, 5));
        break;
      }
      case OpKind::elementwise:
        if (fwd.inputs.size() == 2 && fwd.attrs.flops_per_element == 1) {  // a residual add passes dy through
          const TensorId dy = gradient_of(y);
          accumulate(fwd.inputs[0], dy);
          accumulate(fwd.inputs[1], dy);
          break;
        }
        [[fallthrough]];
      default: {
        // Pointwise ops and norms: the gradient reads the input and dy, about twice the forward arithmetic.
        const ir::OpCost cost = ir::op_cost(graph, fwd);
        const double per_element = 2.0 * cost.flops / std::max(1.0, graph.tensor(y).elements());
        const TensorId x = fwd.inputs[0];
        if (fwd.kind == OpKind::embedding) {
          elementwise_grad(name + ".dtable", {gradient_of(y)}, 1);  // scatter-add into the table's gradient
        } else if (!is_weight(x)) {
          accumulate(x, elementwise_grad(name + ".dx", {x, gradient_of(y)}, per_element));
        }
      }
    }
  }

  const spec::ModelSpec& m_;
  const LlmOptions& o_;
  Dims d_;
  std::int64_t repeat_ = 1;
  Phase phase_ = Phase::forward;
  std::string prefix_;
  std::string weight_prefix_;
  std::map<std::string, TensorId> weights_;
  std::set<TensorId> weight_views_;
  std::map<TensorId, TensorId> grad_;
  std::vector<Region> layer_regions_;
};

}  // namespace

std::string_view recompute_name(Recompute recompute) {
  switch (recompute) {
    case Recompute::none:
      return "none";
    case Recompute::selective:
      return "selective";
    case Recompute::full:
      return "full";
  }
  return "?";
}

Expected<bool> check_llm_shape(const spec::ModelSpec& model, std::int64_t batch, std::int64_t tokens,
                               const LlmOptions& options) {
  if (batch < 1) return Error("batch must be at least 1, got " + std::to_string(batch));
  if (tokens < 1) return Error("the sequence must hold at least 1 token, got " + std::to_string(tokens));
  if (tokens > model.max_seq_len)
    return Error(std::to_string(tokens) + " tokens exceed " + model.name + "'s context of " +
                 std::to_string(model.max_seq_len) + " (max_seq_len)");
  const int tp = options.tp;
  if (tp < 1) return Error("tp must be at least 1, got " + std::to_string(tp));
  if (model.heads % tp != 0)
    return Error("tp " + std::to_string(tp) + " does not divide " + model.name + "'s " + std::to_string(model.heads) +
                 " attention heads");
  const std::int64_t kv = model.kv_head_count();
  if (!model.has_mla && kv % tp != 0 && tp % kv != 0)
    return Error("tp " + std::to_string(tp) + " neither divides nor is a multiple of " + model.name + "'s " +
                 std::to_string(kv) + " KV heads");
  const std::int64_t ffn = model.has_moe ? model.moe.expert_ffn_hidden : model.ffn_hidden;
  if (ffn % tp != 0) return Error("tp " + std::to_string(tp) + " does not divide the FFN width " + std::to_string(ffn));
  if (options.ep < 1) return Error("ep must be at least 1, got " + std::to_string(options.ep));
  if (options.ep > 1 && !model.has_moe)
    return Error("ep " + std::to_string(options.ep) + " needs a mixture-of-experts model; " + model.name + " is dense");
  if (options.ep > 1 && model.moe.experts % options.ep != 0)
    return Error("ep " + std::to_string(options.ep) + " does not divide " + model.name + "'s " +
                 std::to_string(model.moe.experts) + " experts");
  return true;
}

Expected<ir::Graph> build_prefill(const spec::ModelSpec& model, std::int64_t batch, std::int64_t prompt,
                                  const LlmOptions& options) {
  if (auto ok = check_llm_shape(model, batch, prompt, options); !ok) return ok.error();
  Builder b(model, options);
  const TensorId x = b.embed(batch * prompt);
  const TensorId y = b.layers(x, batch, prompt, prompt, false, Phase::forward, 1.0);
  b.head(y, batch);  // only the last position's logits are needed to sample the first token
  return std::move(b.graph);
}

Expected<ir::Graph> build_decode(const spec::ModelSpec& model, std::int64_t batch, std::int64_t context,
                                 const LlmOptions& options) {
  if (auto ok = check_llm_shape(model, batch, context + 1, options); !ok) return ok.error();
  Builder b(model, options);
  const TensorId x = b.embed(batch);
  const TensorId y = b.layers(x, batch, 1, context + 1, true, Phase::forward, 1.0);
  b.head(y, batch);
  return std::move(b.graph);
}

Expected<ir::Graph> build_training_step(const spec::ModelSpec& model, std::int64_t micro_batch, std::int64_t seq,
                                        Recompute recompute, const LlmOptions& options) {
  if (auto ok = check_llm_shape(model, micro_batch, seq, options); !ok) return ok.error();
  Builder b(model, options);
  b.training_ = true;
  const std::int64_t tokens = micro_batch * seq;
  const double capacity = model.has_moe ? model.moe.capacity_factor : 1.0;

  const std::size_t embed_begin = b.graph.ops().size();
  const TensorId x = b.embed(tokens);
  const std::size_t layers_begin = b.graph.ops().size();
  const TensorId y = b.layers(x, micro_batch, seq, seq, false, Phase::forward, capacity);
  const auto regions = b.layer_regions();
  const std::size_t head_begin = b.graph.ops().size();
  const TensorId logits = b.head(y, tokens);  // every position predicts its next token
  b.op(OpKind::softmax, "cross_entropy", {logits});
  const std::size_t head_end = b.graph.ops().size();

  b.backward(head_begin, head_end, 1, "head.");
  for (auto it = regions.rbegin(); it != regions.rend(); ++it) {
    if (recompute == Recompute::full) b.layers(x, micro_batch, seq, seq, false, Phase::recompute, capacity);
    if (recompute == Recompute::selective) b.recompute_attention(it->begin, it->end, it->repeat, it->name);
    b.backward(it->begin, it->end, it->repeat, it->name);
  }
  (void)layers_begin;
  b.backward(embed_begin, layers_begin, 1, "embedding.");

  // Adam over this rank's share of the parameters: fp32 gradients, master weights and two moments.
  b.region(1, Phase::optimizer, "", "");
  const double params = spec::count_parameters(model).total / static_cast<double>(options.tp);
  const auto n = static_cast<std::int64_t>(std::ceil(params));
  const TensorId grads = b.graph.add_tensor("gradients", {n}, DType::fp32, TensorRole::gradient);
  const TensorId master = b.graph.add_tensor("master_weights", {n}, DType::fp32, TensorRole::optimizer_state);
  const TensorId m1 = b.graph.add_tensor("adam_m", {n}, DType::fp32, TensorRole::optimizer_state);
  const TensorId m2 = b.graph.add_tensor("adam_v", {n}, DType::fp32, TensorRole::optimizer_state);
  const TensorId updated = b.op(OpKind::optimizer_update, "adam", {grads, master, m1, m2});
  b.graph.tensor(updated).dtype = options.dtype;
  return std::move(b.graph);
}

ServingMemory serving_memory(const spec::ModelSpec& model, std::int64_t batch, std::int64_t prompt,
                             std::int64_t context, const LlmOptions& options) {
  ServingMemory memory;
  const double tp = options.tp;
  const spec::ParameterCount params = spec::count_parameters(model);
  const double held = params.total - spec::routed_expert_parameters(model) * (1.0 - 1.0 / std::max(1, options.ep));
  memory.weight_bytes = held * ir::dtype_bytes(options.dtype) / tp;
  const Dims d = dims_of(model, options.tp);
  const double layers = static_cast<double>(model.layers);
  const double per_token_values =
      model.has_mla ? layers * static_cast<double>(model.mla.kv_lora_rank + model.mla.qk_rope_head_dim)
                    : 2.0 * layers * static_cast<double>(d.kv_heads_rank() * d.head_dim);
  memory.kv_cache_bytes = per_token_values * ir::dtype_bytes(options.kv_dtype) * static_cast<double>(batch * context);
  // The widest live activations of a prefill: the FFN's gate and up outputs plus the residual stream,
  // for every prompt token at once (one layer at a time).
  const double width =
      static_cast<double>(model.has_moe ? model.moe.expert_ffn_hidden * model.moe.top_k : model.ffn_hidden) / tp;
  memory.activation_bytes = static_cast<double>(batch * prompt) *
                            (2 * width + 2.0 * static_cast<double>(model.hidden)) * ir::dtype_bytes(options.dtype);
  // Kernel workspaces (cuBLAS), the CUDA context and allocator slack: about 1 GiB on current runtimes.
  memory.workspace_bytes = 1024.0 * 1024 * 1024;
  return memory;
}

}  // namespace xpusim::frontend
