// The analytical model on cases whose answer follows by hand from the chip specs.
#include <gtest/gtest.h>

#include "perfmodel/chip_model.h"
#include "serve/serving.h"
#include "spec_test_util.h"

namespace xpusim::perfmodel {
namespace {

const spec::ChipSpec& chip(const char* name) {
  const spec::Document* doc = spec::testing::builtin_library().find(spec::Kind::chip, name);
  EXPECT_NE(doc, nullptr) << name;
  return std::get<spec::ChipSpec>(doc->spec);
}

OpTime time_matmul(const ChipModel& model, std::int64_t m, std::int64_t n, std::int64_t k, ir::DType dtype) {
  ir::Graph g;
  const ir::TensorId a = g.add_tensor("a", {m, k}, dtype, ir::TensorRole::activation);
  const ir::TensorId b = g.add_tensor("b", {k, n}, dtype, ir::TensorRole::weight);
  g.add_op(ir::OpKind::matmul, "mm", {a, b});
  Expected<OpTime> t = model.time_op(g, g.ops()[0], {});
  EXPECT_TRUE(t.ok());
  return t.ok() ? *t : OpTime{};
}

TEST(ChipModel, LargeGpuGemmRunsAtCalibratedEfficiencyTimesWaveUse) {
  const ChipModel h100(chip("h100-sxm"));
  // 16384^3 in 128 x 256 tiles: 8192 tiles on 132 SMs = 62.06 waves, rounded up to 63.
  const OpTime t = time_matmul(h100, 16384, 16384, 16384, ir::DType::bf16);
  const double expected_tflops = 989.4 * 0.70 * (8192.0 / 132) / 63;
  EXPECT_NEAR(t.flops / t.seconds / 1e12, expected_tflops, 0.005 * expected_tflops);
  EXPECT_EQ(t.bound, Bound::compute);
}

TEST(ChipModel, GemvIsBoundByReadingTheWeights) {
  const ChipModel h100(chip("h100-sxm"));
  // One token through an 8192 x 8192 bf16 weight: 134 MB at 86% of 3.35 TB/s, plus the 4.6 us overhead.
  const OpTime t = time_matmul(h100, 1, 8192, 8192, ir::DType::bf16);
  const double expected = 8192.0 * 8192 * 2 / (3.35e12 * 0.86) + 4.6e-6;
  EXPECT_NEAR(t.seconds, expected, 0.02 * expected);
  EXPECT_EQ(t.bound, Bound::memory);
}

TEST(ChipModel, SystolicGemmStreamsRowsThroughEachWeightBlock) {
  const ChipModel xpu(chip("xpu-1"));
  // 4096^3 bf16: 32 x 32 blocks of 128 x 128 on 16 cores x 4 arrays = 16 waves; each streams 4096 rows
  // plus 128 + 128 fill and drain cycles, at 1.2 GHz, plus the 1 us dispatch.
  const OpTime t = time_matmul(xpu, 4096, 4096, 4096, ir::DType::bf16);
  const double expected = 16 * (4096 + 256) / 1.2e9 + 1e-6;
  EXPECT_NEAR(t.seconds, expected, 0.001 * expected);
}

TEST(ChipModel, RingAllReduceMovesTwiceTheDataOverTheGroup) {
  const ChipModel h100(chip("h100-sxm"));
  ir::Graph g;
  const ir::TensorId x = g.add_tensor("x", {8 * 1024 * 1024}, ir::DType::bf16, ir::TensorRole::activation);
  ir::OpAttrs attrs;
  attrs.group_size = 8;
  g.add_op(ir::OpKind::all_reduce, "ar", {x}, attrs);
  const Interconnect nvlink{450, 2, 0.8};
  const OpTime t = *h100.time_op(g, g.ops()[0], nvlink);
  // 2 (g - 1) / g x 16 MiB at 80% of 450 GB/s, plus 14 steps of 2 us.
  const double expected = 2.0 * 7 / 8 * 16 * 1024 * 1024 / (450e9 * 0.8) + 14 * 2e-6;
  EXPECT_NEAR(t.seconds, expected, 1e-9);
}

TEST(ChipModel, RejectsADtypeTheChipLacks) {
  const ChipModel a100(chip("a100-sxm-80gb"));
  ir::Graph g;
  const ir::TensorId a = g.add_tensor("a", {64, 64}, ir::DType::fp8_e4m3, ir::TensorRole::activation);
  g.add_op(ir::OpKind::matmul, "mm", {a, a});
  const Expected<OpTime> t = a100.time_op(g, g.ops()[0], {});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().to_string(),
            "error: chip a100-sxm-80gb has no fp8 matrix units (it computes bf16, fp16, int8, tf32)");
}

const spec::ModelSpec& model(const char* name) {
  return std::get<spec::ModelSpec>(spec::testing::builtin_library().find(spec::Kind::model, name)->spec);
}

TEST(Serving, AModelTooLargeIsReportedNotTimed) {
  serve::ServeOptions options;
  const Expected<serve::ServeResult> r = serve::estimate_serving(model("llama3-405b"), chip("h100-sxm"), {}, options);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->fits);
  EXPECT_GT(r->memory.weight_bytes, 800e9);  // 405.85 B parameters x 2 bytes
  EXPECT_EQ(r->ttft_s, 0);
  EXPECT_TRUE(r->prefill.ops.empty());
}

TEST(Serving, DecodeCannotBeatReadingTheWeights) {
  serve::ServeOptions options;
  options.prompt = 512;
  options.gen = 64;
  const Expected<serve::ServeResult> r = serve::estimate_serving(model("llama3-8b"), chip("h100-sxm"), {}, options);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->fits);
  const double floor_s = r->memory.weight_bytes / (3.35e12 * 0.86);
  EXPECT_GT(r->tpot_s, floor_s);
  EXPECT_LT(r->tpot_s, 1.5 * floor_s);  // batch 1 decode is dominated by the weight stream
  EXPECT_NEAR(r->total_s, r->ttft_s + 63 * r->tpot_s, 1e-12);
  EXPECT_NEAR(r->output_tokens_per_s, 64 / r->total_s, 1e-9);
}

TEST(Serving, TensorParallelismNeedsAFabric) {
  serve::ServeOptions options;
  options.llm.tp = 2;
  spec::ChipSpec lonely = chip("h100-sxm");
  lonely.has_links = false;
  const Expected<serve::ServeResult> r = serve::estimate_serving(model("llama3-8b"), lonely, {}, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().to_string(),
            "error: tp 2 needs a scale-up fabric, and chip h100-sxm has no links (give --system)");
}

}  // namespace
}  // namespace xpusim::perfmodel
