// The IR: shape inference, its errors, and exact FLOP and byte counts worked out by hand.
#include <gtest/gtest.h>

#include "ir/graph.h"

namespace xpusim::ir {
namespace {

TEST(Dtype, SizesAndNames) {
  EXPECT_EQ(dtype_bytes(DType::bf16), 2);
  EXPECT_EQ(dtype_bytes(DType::tf32), 4);  // stored as fp32
  EXPECT_EQ(dtype_bytes(DType::int4), 0.5);
  EXPECT_EQ(parse_dtype("fp8"), DType::fp8_e4m3);
  EXPECT_EQ(dtype_compute_key(DType::fp8_e5m2), "fp8");
  EXPECT_FALSE(parse_dtype("fp7").has_value());
}

TEST(Matmul, InfersShapeAndCountsFlopsAndBytes) {
  Graph g;
  const TensorId a = g.add_tensor("a", {4, 128, 256}, DType::bf16, TensorRole::activation);
  const TensorId w = g.add_tensor("w", {256, 512}, DType::bf16, TensorRole::weight);
  const TensorId c = g.add_op(OpKind::matmul, "mm", {a, w});
  EXPECT_EQ(g.tensor(c).shape, (Shape{4, 128, 512}));
  const OpCost cost = op_cost(g, g.ops()[0]);
  EXPECT_DOUBLE_EQ(cost.flops, 2.0 * 4 * 128 * 512 * 256);
  EXPECT_DOUBLE_EQ(cost.bytes_read, (4 * 128 * 256 + 256 * 512) * 2.0);
  EXPECT_DOUBLE_EQ(cost.bytes_written, 4 * 128 * 512 * 2.0);
}

TEST(Matmul, ReportsMismatchedInnerDimensions) {
  Graph g;
  const TensorId a = g.add_tensor("a", {8, 16}, DType::bf16, TensorRole::activation);
  const TensorId b = g.add_tensor("b", {32, 4}, DType::bf16, TensorRole::weight);
  const Expected<std::vector<Shape>> shapes = infer_shapes(g, OpKind::matmul, {a, b}, {});
  ASSERT_FALSE(shapes.ok());
  EXPECT_EQ(shapes.error().to_string(), "error: matmul of [8, 16], [32, 4]: inner dimensions 16 and 32 differ");
}

TEST(Attention, CausalPairsAreCountedExactly) {
  Graph g;
  // 1 sequence, 2 heads of 64, 4 queries over 4 keys: causal pairs = 1 + 2 + 3 + 4 = 10.
  const TensorId q = g.add_tensor("q", {1, 2, 4, 64}, DType::bf16, TensorRole::activation);
  const TensorId k = g.add_tensor("k", {1, 2, 4, 64}, DType::bf16, TensorRole::activation);
  OpAttrs causal;
  causal.causal = true;
  g.add_op(OpKind::attention, "attn", {q, k, k}, causal);
  const OpCost cost = op_cost(g, g.ops()[0]);
  EXPECT_DOUBLE_EQ(cost.flops, 2.0 * 2 * 10 * (64 + 64));
  // K is passed as V as well: read once.
  EXPECT_DOUBLE_EQ(cost.bytes_read, 2.0 * (2 * 4 * 64) * 2);
  // Without skipping the masked blocks all 16 pairs are computed.
  g.ops()[0].attrs.skip_masked = false;
  EXPECT_DOUBLE_EQ(op_cost(g, g.ops()[0]).flops, 2.0 * 2 * 16 * 128);
}

TEST(Attention, DecodeQueriesSeeTheWholeCache) {
  Graph g;
  // One new query over 100 cached positions: 100 pairs; with 8 query heads sharing 2 KV heads (GQA).
  const TensorId q = g.add_tensor("q", {1, 8, 1, 128}, DType::bf16, TensorRole::activation);
  const TensorId k = g.add_tensor("k", {1, 2, 100, 128}, DType::bf16, TensorRole::kv_cache);
  const TensorId v = g.add_tensor("v", {1, 2, 100, 128}, DType::bf16, TensorRole::kv_cache);
  OpAttrs causal;
  causal.causal = true;
  const TensorId o = g.add_op(OpKind::attention, "attn", {q, k, v}, causal);
  EXPECT_EQ(g.tensor(o).shape, (Shape{1, 8, 1, 128}));
  EXPECT_DOUBLE_EQ(op_cost(g, g.ops()[0]).flops, 2.0 * 8 * 100 * 256);
  const TensorId bad_k = g.add_tensor("k3", {1, 3, 100, 128}, DType::bf16, TensorRole::kv_cache);
  EXPECT_FALSE(infer_shapes(g, OpKind::attention, {q, bad_k, bad_k}, causal).ok());
}

TEST(Graph, TotalsMultiplyRepeatsAndCopies) {
  Graph g;
  const TensorId x = g.add_tensor("x", {2, 8}, DType::fp32, TensorRole::activation);
  const TensorId w = g.add_tensor("w", {8, 8}, DType::fp32, TensorRole::weight, 10);
  g.add_op(OpKind::matmul, "mm", {x, w}, {}, 10);
  const GraphTotals t = totals(g);
  EXPECT_DOUBLE_EQ(t.flops, 10 * 2.0 * 2 * 8 * 8);
  EXPECT_DOUBLE_EQ(t.weight_bytes, 10 * 64 * 4.0);
  EXPECT_TRUE(verify(g).empty());
}

TEST(View, KeepsElementsAndCostsNothing) {
  Graph g;
  const TensorId x = g.add_tensor("x", {6, 4}, DType::bf16, TensorRole::activation);
  OpAttrs attrs;
  attrs.shape = {2, 3, 4};
  g.add_op(OpKind::view, "v", {x}, attrs);
  EXPECT_EQ(op_cost(g, g.ops()[0]).bytes(), 0);
  attrs.shape = {5, 5};
  EXPECT_FALSE(infer_shapes(g, OpKind::view, {x}, attrs).ok());
}

}  // namespace
}  // namespace xpusim::ir
