// The model kind: a transformer LLM's architecture (dense, GQA/MQA, MoE, MLA).
//
// Rules: heads split the hidden size, KV heads split the heads, top-k fits the experts, and the
// published parameter count agrees with the count implied by the architecture, which catches a wrong
// width or a missing FFN matrix.
#include <cmath>

#include "spec/document.h"
#include "support/text.h"

namespace xpusim::spec {
namespace {

constexpr std::string_view kActivations[] = {"gelu", "relu", "silu", "swiglu", "geglu"};
constexpr std::string_view kNorms[] = {"layernorm", "rmsnorm"};
constexpr std::string_view kPositionals[] = {"learned", "rope", "alibi", "none"};

// Published counts are rounded ("8B", "70B") and some count a little more or less (MTP heads, extra
// norms); 5% still catches a wrong width.
constexpr double kParamTolerance = 0.05;

bool gated(const ModelSpec& m) {
  return m.activation == "swiglu" || m.activation == "geglu";
}

// Weights of one FFN of inner width `width`.
double ffn_params(const ModelSpec& m, double width) {
  const double h = static_cast<double>(m.hidden);
  const double matrices = gated(m) ? 3.0 : 2.0;
  const double bias = m.linear_bias ? (gated(m) ? 2.0 : 1.0) * width + h : 0.0;
  return matrices * h * width + bias;
}

double attention_params(const ModelSpec& m) {
  const double h = static_cast<double>(m.hidden);
  const double heads = static_cast<double>(m.heads);
  if (m.has_mla) {
    const MlaConfig& a = m.mla;
    const double qk_dim = static_cast<double>(a.qk_nope_head_dim + a.qk_rope_head_dim);
    const double q_lora = static_cast<double>(a.q_lora_rank);
    const double kv_lora = static_cast<double>(a.kv_lora_rank);
    const double q = a.q_lora_rank > 0 ? h * q_lora + q_lora + q_lora * heads * qk_dim : h * heads * qk_dim;
    const double kv = h * (kv_lora + static_cast<double>(a.qk_rope_head_dim)) + kv_lora +
                      kv_lora * heads * static_cast<double>(a.qk_nope_head_dim + a.v_head_dim);
    const double o = heads * static_cast<double>(a.v_head_dim) * h;
    return q + kv + o;
  }
  const double hd = static_cast<double>(m.head_size());
  const double kv = static_cast<double>(m.kv_head_count());
  const double weights = h * heads * hd * 2.0 + 2.0 * h * kv * hd;
  const double bias = m.linear_bias ? heads * hd + 2.0 * kv * hd + h : 0.0;
  return weights + bias;
}

}  // namespace

void MoeConfig::describe(SpecVisitor& v) {
  v.integer(Field("experts", "Routed experts per MoE layer").positive(1 << 16), experts);
  v.integer(Field("top_k", "Routed experts each token uses").positive(1 << 16), top_k);
  v.integer(Field("shared_experts", "Experts every token uses").optional().between(0, 1 << 16), shared_experts);
  v.integer(Field("expert_ffn_hidden", "Inner width of one expert's FFN").positive(1 << 24), expert_ffn_hidden);
  v.integer(Field("dense_layers", "Leading layers that keep a dense FFN").optional().between(0, 1 << 16), dense_layers);
  v.integer(
      Field("dense_ffn_hidden", "FFN width of the dense layers (default: ffn_hidden)").optional().positive(1 << 24),
      dense_ffn_hidden);
  v.number(Field("capacity_factor", "Tokens an expert accepts, relative to an even share").optional().between(1, 64),
           capacity_factor);
}

void MlaConfig::describe(SpecVisitor& v) {
  v.integer(Field("q_lora_rank", "Rank of the query compression (0: none)").optional().between(0, 1 << 20),
            q_lora_rank);
  v.integer(Field("kv_lora_rank", "Rank of the joint key-value compression").positive(1 << 20), kv_lora_rank);
  v.integer(Field("qk_nope_head_dim", "Per-head query/key size without rotary embedding").positive(1 << 16),
            qk_nope_head_dim);
  v.integer(Field("qk_rope_head_dim", "Per-head query/key size with rotary embedding").positive(1 << 16),
            qk_rope_head_dim);
  v.integer(Field("v_head_dim", "Per-head value size").positive(1 << 16), v_head_dim);
}

void ModelSpec::describe(SpecVisitor& v) {
  v.text(Field("name", "Name used to refer to this model"), name);
  v.text(Field("family", "Model family (gpt, llama, mixtral, deepseek, ...)"), family);
  v.text(Field("description", "One line for listings").optional(), description);
  v.integer(Field("layers", "Transformer blocks").positive(10000), layers);
  v.integer(Field("hidden", "Model width (d_model)").positive(1 << 20), hidden);
  v.integer(Field("heads", "Query heads").positive(1 << 16), heads);
  v.integer(Field("kv_heads", "Key/value heads (default: heads; fewer is GQA, 1 is MQA)").optional().positive(1 << 16),
            kv_heads);
  v.integer(Field("head_dim", "Size of one head (default: hidden / heads)").optional().positive(1 << 16), head_dim);
  v.integer(Field("ffn_hidden", "Inner width of the dense FFN").positive(1 << 24), ffn_hidden);
  v.integer(Field("vocab", "Vocabulary size").positive(1 << 24), vocab);
  v.integer(Field("max_seq_len", "Longest context the model was trained for", "tokens").positive(1 << 24), max_seq_len);
  v.choice(Field("activation", "FFN activation (swiglu and geglu are gated: three matrices)"), activation,
           kActivations);
  v.choice(Field("norm", "Normalisation"), norm, kNorms);
  v.choice(Field("positional", "Position encoding"), positional, kPositionals);
  v.flag(Field("tied_embeddings", "Output projection shares the input embedding").optional(), tied_embeddings);
  v.flag(Field("linear_bias", "Linear layers carry biases (GPT-2/3)").optional(), linear_bias);
  v.optional_object(Field("moe", "Mixture of experts").optional(), moe, has_moe);
  v.optional_object(Field("mla", "Multi-head latent attention").optional(), mla, has_mla);
  v.number(Field("params_b", "Published total parameters", "billion").optional().between(0.0001, 1e5), params_b);
  v.number(Field("active_params_b", "Published parameters active per token (MoE)", "billion").optional().between(0.0001, 1e5),
           active_params_b);
  v.text_map(Field("sources", "Where each published number comes from, by field path").optional(), sources);
}

ParameterCount count_parameters(const ModelSpec& m) {
  const double h = static_cast<double>(m.hidden);
  const double vocab = static_cast<double>(m.vocab);
  const double norm = m.norm == "layernorm" ? 2.0 * h : h;
  double embeddings = vocab * h + (m.tied_embeddings ? 0.0 : vocab * h);
  if (m.positional == "learned") embeddings += static_cast<double>(m.max_seq_len) * h;

  const double attention = attention_params(m) + 2.0 * norm;
  ParameterCount count;
  count.total = count.active_per_token = embeddings + norm;
  for (std::int64_t layer = 0; layer < m.layers; ++layer) {
    count.total += attention;
    count.active_per_token += attention;
    if (!m.has_moe || layer < m.moe.dense_layers) {
      const double width =
          static_cast<double>(m.has_moe ? m.moe.dense_ffn_hidden.value_or(m.ffn_hidden) : m.ffn_hidden);
      count.total += ffn_params(m, width);
      count.active_per_token += ffn_params(m, width);
      continue;
    }
    const double expert = ffn_params(m, static_cast<double>(m.moe.expert_ffn_hidden));
    const double router = h * static_cast<double>(m.moe.experts);
    count.total += router + expert * static_cast<double>(m.moe.experts + m.moe.shared_experts);
    count.active_per_token += router + expert * static_cast<double>(m.moe.top_k + m.moe.shared_experts);
  }
  return count;
}

double routed_expert_parameters(const ModelSpec& m) {
  if (!m.has_moe) return 0;
  return static_cast<double>((m.layers - m.moe.dense_layers) * m.moe.experts) *
         ffn_params(m, static_cast<double>(m.moe.expert_ffn_hidden));
}

void check_model(const ModelSpec& m, const Document& doc, Diagnostics& out) {
  const std::size_t errors_before = out.error_count();
  if (!m.head_dim && m.hidden % m.heads != 0)
    out.error(doc.where("heads"), "heads",
              std::to_string(m.heads) + " heads do not divide hidden " + std::to_string(m.hidden),
              "give head_dim, or a head count that divides the hidden size");
  if (m.kv_heads && (*m.kv_heads > m.heads || m.heads % *m.kv_heads != 0))
    out.error(doc.where("kv_heads"), "kv_heads",
              std::to_string(*m.kv_heads) + " KV heads do not divide " + std::to_string(m.heads) +
                  " query heads; allowed a divisor of heads");
  if (m.has_moe) {
    if (m.moe.top_k > m.moe.experts)
      out.error(doc.where("moe.top_k"), "moe.top_k",
                "top-" + std::to_string(m.moe.top_k) + " of " + std::to_string(m.moe.experts) +
                    " experts; allowed [1, " + std::to_string(m.moe.experts) + "]");
    if (m.moe.dense_layers > m.layers)
      out.error(doc.where("moe.dense_layers"), "moe.dense_layers",
                std::to_string(m.moe.dense_layers) + " dense layers in a " + std::to_string(m.layers) +
                    "-layer model; allowed [0, " + std::to_string(m.layers) + "]");
  }
  if (m.has_mla && m.kv_heads)
    out.error(doc.where("kv_heads"), "kv_heads", "multi-head latent attention has no separate KV heads",
              "remove kv_heads; mla.kv_lora_rank sets the cache size");
  if (out.error_count() > errors_before) return;  // the counts below rely on what was just found wrong

  const ParameterCount count = count_parameters(m);
  auto compare = [&](const std::optional<double>& published, double counted, const char* path) {
    if (!published) return;
    const double counted_b = counted / 1e9;
    if (std::abs(counted_b - *published) > kParamTolerance * *published)
      out.error(doc.where(path), path,
                "published " + format_number(*published) + " billion parameters, but the architecture has " +
                    format_number(std::round(counted_b * 1000) / 1000) + " billion; allowed within 5%",
                "check hidden, ffn_hidden, layers, vocab and the activation");
  };
  compare(m.params_b, count.total, "params_b");
  compare(m.active_params_b, count.active_per_token, "active_params_b");
}

}  // namespace xpusim::spec
