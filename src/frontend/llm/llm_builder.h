// The LLM builder: a transformer model spec becomes the graph of one inference prefill, one decode
// step, or one training step (forward, backward, recompute, optimizer), for one tensor-parallel rank.
//
// One transformer block is built once and its ops repeat `layers` times. Tensor parallelism follows
// Megatron-LM: attention heads and the FFN are split over `tp` ranks, with an all-reduce after the
// attention output projection and after the FFN down projection (two per layer and direction).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ir/graph.h"
#include "spec/specs.h"
#include "support/expected.h"

namespace xpusim::frontend {

enum class Recompute { none, selective, full };
std::string_view recompute_name(Recompute recompute);

struct LlmOptions {
  ir::DType dtype = ir::DType::bf16;     // weights and activations
  ir::DType kv_dtype = ir::DType::bf16;  // the KV cache
  int tp = 1;                            // tensor-parallel ranks
  // Expert-parallel ranks (MoE): each holds experts / ep of the routed experts and computes the token
  // slots its peers route to them, as many as its own tokens send out when routing is balanced.
  int ep = 1;
  // Linear-layer GEMMs (with their gradient GEMMs) compute in this type while tensors stay in `dtype`:
  // Transformer Engine's fp8 recipe, where attention, norms and the residual stream stay bf16.
  std::optional<ir::DType> gemm_dtype;
  // Flash attention skips the masked half of causal attention; Megatron-LM's 2021 kernels and its FLOP
  // formula compute (and count) the whole score matrix.
  bool skip_masked_attention = true;
  // Fused (flash) attention keeps the scores on chip. Without it (Megatron-LM before 2022), attention
  // is two batched matmuls around a softmax, and in training a dropout, over the whole score matrix
  // in HBM: masked scores computed too.
  bool flash_attention = true;
};

// Inference: `batch` prompts of `prompt` tokens each, producing the first token.
Expected<ir::Graph> build_prefill(const spec::ModelSpec& model, std::int64_t batch, std::int64_t prompt,
                                  const LlmOptions& options);
// Inference: one new token for each of `batch` sequences that already hold `context` tokens in cache.
Expected<ir::Graph> build_decode(const spec::ModelSpec& model, std::int64_t batch, std::int64_t context,
                                 const LlmOptions& options);
// Training: forward, backward and Adam update for one micro-batch of `micro_batch` sequences of `seq`.
// Gradients and optimizer states are fp32 (mixed precision with master weights).
Expected<ir::Graph> build_training_step(const spec::ModelSpec& model, std::int64_t micro_batch, std::int64_t seq,
                                        Recompute recompute, const LlmOptions& options);

// Memory one rank needs to serve `batch` sequences of up to `context` tokens.
struct ServingMemory {
  double weight_bytes = 0;      // every expert counts, touched or not
  double kv_cache_bytes = 0;    // at the longest context
  double activation_bytes = 0;  // the largest live activations of a prefill of `prompt` tokens
  double workspace_bytes = 0;   // kernel workspaces and the runtime's reserve
  double total() const { return weight_bytes + kv_cache_bytes + activation_bytes + workspace_bytes; }
};
ServingMemory serving_memory(const spec::ModelSpec& model, std::int64_t batch, std::int64_t prompt,
                             std::int64_t context, const LlmOptions& options);

// Checks that the shape is one this model can run with these options: tp divides the heads, sizes
// are positive, the context fits the model. The message says what and why.
Expected<bool> check_llm_shape(const spec::ModelSpec& model, std::int64_t batch, std::int64_t tokens,
                               const LlmOptions& options);

}  // namespace xpusim::frontend
