// The LLM builder against closed forms from the literature, worked out independently of the graph.
#include "frontend/llm/llm_builder.h"

#include <gtest/gtest.h>

#include "spec_test_util.h"

namespace xpusim::frontend {
namespace {

const spec::ModelSpec& model(const char* name) {
  const spec::Document* doc = spec::testing::builtin_library().find(spec::Kind::model, name);
  EXPECT_NE(doc, nullptr) << name;
  return std::get<spec::ModelSpec>(doc->spec);
}

double flops(const Expected<ir::Graph>& graph) {
  EXPECT_TRUE(graph.ok()) << (graph.ok() ? "" : graph.error().to_string());
  return graph.ok() ? ir::totals(*graph).flops : 0;
}

// Narayanan et al. 2021, eq. 3: a GPT training iteration with full activation recomputation takes
// 96 B s l h^2 (1 + s / 6h + V / 16 l h) FLOPs (the whole score matrix counted, as their kernels did).
TEST(LlmBuilder, TrainingStepMatchesMegatronFormula) {
  for (const char* name : {"megatron-gpt-175b", "megatron-gpt-1t", "megatron-gpt-18b"}) {
    const spec::ModelSpec& m = model(name);
    LlmOptions options;
    options.skip_masked_attention = false;
    const double B = 4, s = 2048, l = static_cast<double>(m.layers), h = static_cast<double>(m.hidden),
                 V = static_cast<double>(m.vocab);
    const double expected = 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
    EXPECT_NEAR(flops(build_training_step(m, 4, 2048, Recompute::full, options)) / expected, 1.0, 0.01) << name;
  }
}

// Without recomputation the same step is 3x the forward pass: 72 B s l h^2 (1 + s / 6h) + 6 B s h V.
TEST(LlmBuilder, TrainingWithoutRecomputeIsThreeForwardPasses) {
  const spec::ModelSpec& m = model("gpt3-175b");
  LlmOptions options;
  options.skip_masked_attention = false;
  const double B = 1, s = 2048, l = 96, h = 12288, V = 50257;
  const double expected = 72 * B * s * l * h * h * (1 + s / (6 * h)) + 6 * B * s * h * V;
  EXPECT_NEAR(flops(build_training_step(m, 1, 2048, Recompute::none, options)) / expected, 1.0, 0.01);
  // Selective recomputation adds only the attention core: between none and full.
  const double selective = flops(build_training_step(m, 1, 2048, Recompute::selective, options));
  EXPECT_GT(selective / expected, 1.0);
  EXPECT_LT(selective / expected, 1.05);
}

// Inference: 2 N FLOPs per token for the weights outside the input embedding (Kaplan et al. 2020),
// plus attention: 2 (QK^T and PV) x 2 x layers x q_heads x head_dim per query-key pair.
double inference_reference(const spec::ModelSpec& m, double tokens, double logit_rows, double pairs) {
  const double h = static_cast<double>(m.hidden), V = static_cast<double>(m.vocab);
  const double layer_params = spec::count_parameters(m).total - V * h * (m.tied_embeddings ? 1 : 2);
  const double attention = 4.0 * static_cast<double>(m.layers * m.heads * m.head_size()) * pairs;
  return 2 * layer_params * tokens + 2 * V * h * logit_rows + attention;
}

TEST(LlmBuilder, PrefillIsTwoFlopsPerParameterPerTokenPlusAttention) {
  for (const char* name : {"gpt3-175b", "llama2-7b", "llama2-70b", "llama3-8b", "llama3-70b", "llama3-405b"}) {
    const spec::ModelSpec& m = model(name);
    const double b = 2, s = 2048;
    const double pairs = b * s * (s + 1) / 2;  // causal
    EXPECT_NEAR(flops(build_prefill(m, 2, 2048, {})) / inference_reference(m, b * s, b, pairs), 1.0, 0.01) << name;
  }
}

TEST(LlmBuilder, DecodeStepIsTwoFlopsPerParameterPlusCacheAttention) {
  for (const char* name : {"gpt3-175b", "llama2-70b", "llama3-8b", "llama3-405b"}) {
    const spec::ModelSpec& m = model(name);
    const double b = 16, context = 1000;
    const double pairs = b * (context + 1);  // the new token sees the cache and itself
    EXPECT_NEAR(flops(build_decode(m, 16, 1000, {})) / inference_reference(m, b, b, pairs), 1.0, 0.01) << name;
  }
}

TEST(LlmBuilder, MoeDecodeCountsOnlyTheExpertsUsed) {
  // Mixtral 8x7B: 12.9B active parameters per token (Mistral AI); one token uses 2 of 8 experts.
  const spec::ModelSpec& m = model("mixtral-8x7b");
  const spec::ParameterCount p = spec::count_parameters(m);
  const double V = static_cast<double>(m.vocab), h = static_cast<double>(m.hidden);
  const double expected = 2 * (p.active_per_token - V * h) + 4.0 * 32 * 32 * 128 * 101;
  EXPECT_NEAR(flops(build_decode(m, 1, 100, {})) / expected, 1.0, 0.01);
}

TEST(LlmBuilder, TensorParallelSplitsTheWork) {
  const spec::ModelSpec& m = model("llama3-70b");
  LlmOptions tp8;
  tp8.tp = 8;
  const Expected<ir::Graph> one = build_decode(m, 8, 512, {});
  const Expected<ir::Graph> eight = build_decode(m, 8, 512, tp8);
  ASSERT_TRUE(one.ok() && eight.ok());
  EXPECT_NEAR(ir::totals(*eight).weight_bytes / ir::totals(*one).weight_bytes, 1.0 / 8, 0.002);
  int all_reduces = 0;
  for (const ir::Op& op : eight->ops())
    if (op.kind == ir::OpKind::all_reduce) all_reduces += static_cast<int>(op.repeat);
  EXPECT_EQ(all_reduces, 2 * 80 + 1);  // two per layer and one after the vocabulary-parallel embedding
}

TEST(LlmBuilder, RejectsShapesTheModelCannotRun) {
  const spec::ModelSpec& m = model("llama3-8b");
  LlmOptions tp3;
  tp3.tp = 3;
  EXPECT_EQ(build_prefill(m, 1, 128, tp3).error().to_string(),
            "error: tp 3 does not divide llama3-8b's 32 attention heads");
  EXPECT_EQ(build_prefill(m, 0, 128, {}).error().to_string(), "error: batch must be at least 1, got 0");
  EXPECT_EQ(build_decode(m, 1, 8192, {}).error().to_string(),
            "error: 8193 tokens exceed llama3-8b's context of 8192 (max_seq_len)");
}

TEST(LlmBuilder, GraphsVerify) {
  for (const char* name : {"llama3-70b", "mixtral-8x7b", "deepseek-v3", "gpt2-small"}) {
    const spec::ModelSpec& m = model(name);
    for (const Expected<ir::Graph>& g : {build_prefill(m, 2, 256, {}), build_decode(m, 4, 300, {}),
                                         build_training_step(m, 1, 256, Recompute::full, {})}) {
      ASSERT_TRUE(g.ok()) << name;
      EXPECT_TRUE(ir::verify(*g).empty()) << name;
    }
  }
}

}  // namespace
}  // namespace xpusim::frontend
