// Model rules and parameter counting, checked against counts published by the models' authors.
#include <gtest/gtest.h>

#include "spec_test_util.h"

namespace xpusim::spec {
namespace {

using testing::check_yaml;
using testing::only;
using testing::replace;

const char* kModel = R"(kind: model
name: m
family: llama
layers: 32
hidden: 4096
heads: 32
kv_heads: 8
ffn_hidden: 14336
vocab: 128256
max_seq_len: 8192
activation: swiglu
norm: rmsnorm
positional: rope
params_b: 8.03
)";

TEST(ModelRules, AcceptsLlama3_8bShape) {
  EXPECT_TRUE(check_yaml(kModel).empty()) << only(check_yaml(kModel));
}

TEST(ModelRules, HeadsMustDivideHidden) {
  EXPECT_EQ(only(check_yaml(replace(replace(kModel, "heads: 32", "heads: 30"), "kv_heads: 8", "kv_heads: 6"))),
            "test.yaml:6:8: error: heads: 30 heads do not divide hidden 4096 (give head_dim, or a head count that "
            "divides the hidden size)");
}

TEST(ModelRules, KvHeadsMustDivideHeads) {
  EXPECT_EQ(only(check_yaml(replace(kModel, "kv_heads: 8", "kv_heads: 5"))),
            "test.yaml:7:11: error: kv_heads: 5 KV heads do not divide 32 query heads; allowed a divisor of heads");
}

TEST(ModelRules, TopKMustFitTheExperts) {
  const std::string moe = replace(kModel, "params_b: 8.03", "moe: {experts: 8, top_k: 9, expert_ffn_hidden: 14336}");
  EXPECT_EQ(only(check_yaml(moe)), "test.yaml:14:26: error: moe.top_k: top-9 of 8 experts; allowed [1, 8]");
}

TEST(ModelRules, DenseLayersMustFitTheModel) {
  const std::string moe =
      replace(kModel, "params_b: 8.03", "moe: {experts: 8, top_k: 2, expert_ffn_hidden: 14336, dense_layers: 40}");
  EXPECT_EQ(only(check_yaml(moe)),
            "test.yaml:14:69: error: moe.dense_layers: 40 dense layers in a 32-layer model; "
            "allowed [0, 32]");
}

TEST(ModelRules, LatentAttentionHasNoKvHeads) {
  const std::string mla =
      replace(kModel, "params_b: 8.03",
              "mla: {kv_lora_rank: 512, qk_nope_head_dim: 128, qk_rope_head_dim: 64, v_head_dim: 128}");
  EXPECT_EQ(only(check_yaml(mla)),
            "test.yaml:7:11: error: kv_heads: multi-head latent attention has no separate KV "
            "heads (remove kv_heads; mla.kv_lora_rank sets the cache size)");
}

TEST(ModelRules, PublishedParametersMustMatchTheArchitecture) {
  // A typo in ffn_hidden (1433 instead of 14336) leaves 2.96 billion parameters, far from 8.03.
  EXPECT_EQ(only(check_yaml(replace(kModel, "ffn_hidden: 14336", "ffn_hidden: 1433"))),
            "test.yaml:14:11: error: params_b: published 8.03 billion parameters, but the architecture has 2.957 "
            "billion; allowed within 5% (check hidden, ffn_hidden, layers, vocab and the activation)");
}

// Published totals from the models' papers and model cards.
struct PublishedCount {
  const char* model;
  double total_b;
  double active_b;  // 0: dense
  double tolerance;
};

class ParameterCounts : public ::testing::TestWithParam<PublishedCount> {};

TEST_P(ParameterCounts, MatchThePublishedFigure) {
  const PublishedCount& p = GetParam();
  const Document* doc = testing::builtin_library().find(Kind::model, p.model);
  ASSERT_NE(doc, nullptr) << p.model;
  const ParameterCount count = count_parameters(std::get<ModelSpec>(doc->spec));
  EXPECT_NEAR(count.total / 1e9, p.total_b, p.tolerance * p.total_b);
  if (p.active_b > 0) {
    EXPECT_NEAR(count.active_per_token / 1e9, p.active_b, p.tolerance * p.active_b);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Library, ParameterCounts,
    ::testing::Values(
        PublishedCount{"gpt2-small", 0.124, 0, 0.01},  // HF model card: 124M with tied embeddings
        PublishedCount{"gpt3-175b", 174.6, 0, 0.005},  // Brown et al. 2020: 175.0B; 12 l h^2 = 173.9B + embeddings
        PublishedCount{"megatron-gpt-1t", 1008.0, 0, 0.001},  // Narayanan et al. 2021, Table 1
        PublishedCount{"llama2-70b", 68.98, 0, 0.005},        // HF config: 68,976,648,192 weights
        PublishedCount{"llama3-8b", 8.03, 0, 0.005},          // Meta model card: 8.03B
        PublishedCount{"llama3-405b", 405.85, 0, 0.005},      // Llama 3 paper: 405B (405,853,388,800 weights)
        PublishedCount{"mixtral-8x7b", 46.7, 12.9, 0.01},     // Mistral: 46.7B total, 12.9B active
        PublishedCount{"deepseek-v3", 671.0, 37.0, 0.02}),    // DeepSeek-V3 report: 671B total, 37B active (no MTP)
    [](const ::testing::TestParamInfo<PublishedCount>& param_info) {
      std::string name = param_info.param.model;
      for (char& c : name)
        if (c == '-' || c == '.') c = '_';
      return name;
    });

}  // namespace
}  // namespace xpusim::spec
