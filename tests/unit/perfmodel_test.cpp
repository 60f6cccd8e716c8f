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
  // 4096^3 bf16 on xpu-1, mapped as its compiler maps it: 32 n tiles of 128 dealt to 16 cores (2 each),
  // one per unit (half the units idle), each unit accumulating all 32 k tiles: 32 blocks. xpu-1
  // double-buffers its weights: each block streams its 4096 rows while the next loads behind it, and
  // the array fills and drains (128 + 128 cycles) once. At 1.2 GHz and the matmul efficiency fitted to
  // the cycle engine (0.83), plus its 0.15 us per op.
  const spec::ChipSpec& spec = chip("xpu-1");
  ASSERT_TRUE(spec.cores.matrix_unit.double_buffered);
  const OpTime t = time_matmul(ChipModel(spec), 4096, 4096, 4096, ir::DType::bf16);
  const double expected = (32 * 4096 + 256) / 1.2e9 / 0.83 + 0.15e-6;
  EXPECT_NEAR(t.seconds, expected, 0.001 * expected);
  // An array that loads each block only when the last has drained pays the fill and drain each time.
  spec::ChipSpec single = spec;
  single.cores.matrix_unit.double_buffered = false;
  const OpTime s = time_matmul(ChipModel(single), 4096, 4096, 4096, ir::DType::bf16);
  const double expected_single = 32 * (4096 + 256) / 1.2e9 / 0.83 + 0.15e-6;
  EXPECT_NEAR(s.seconds, expected_single, 0.001 * expected_single);
}

// Decode on a weight-stationary array: one token through an 8192 x 8192 fp8 weight. 64 n tiles give
// each core 4, one per unit, and each unit its 64 k tiles: 64 blocks that take 128 cycles to load and
// 1 to stream: 64 x 128 + 256 cycles, at the fitted 0.83: 8.5 us. HBM must deliver the 67 MB of weights
// at the fitted 81% of 8.19 TB/s: 10.1 us. The weights' bandwidth bounds it, as on real
// double-buffered arrays; once, paying 256 fill and drain cycles per block, the array was
// "compute-bound at 0.2% of peak" and twice as slow.
TEST(ChipModel, SystolicDecodeIsBoundByHbmWhenTheArrayDoubleBuffers) {
  const spec::ChipSpec& spec = chip("xpu-1");
  const OpTime t = time_matmul(ChipModel(spec), 1, 8192, 8192, ir::DType::fp8_e4m3);
  EXPECT_NEAR(t.compute_s, (64 * 128 + 256) / 1.2e9 / 0.83, 1e-12);
  const double weights_s = 8192.0 * 8192 / (8.19e12 * 0.81);
  EXPECT_EQ(t.bound, Bound::memory);
  EXPECT_NEAR(t.memory_s, weights_s, 0.01 * weights_s);  // the activations add 16 KB in, 16 KB out
  EXPECT_NEAR(t.seconds, t.memory_s + 0.15e-6, 1e-12);
  spec::ChipSpec single = spec;
  single.cores.matrix_unit.double_buffered = false;
  const OpTime s = time_matmul(ChipModel(single), 1, 8192, 8192, ir::DType::fp8_e4m3);
  EXPECT_NEAR(s.compute_s, 64 * (1 + 256) / 1.2e9 / 0.83, 1e-12);
  EXPECT_EQ(s.bound, Bound::compute);
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

// Two DGX H100 nodes on Quantum-2: 8 GPUs per NVSwitch domain, one 400 Gb/s NIC per GPU.
network::Topology two_dgx_h100() {
  const spec::Library& lib = spec::testing::builtin_library();
  return network::topology_of(std::get<spec::SystemSpec>(lib.find(spec::Kind::system, "dgx-h100")->spec),
                              &std::get<spec::NetworkSpec>(lib.find(spec::Kind::network, "nvlink4-switch")->spec), 2,
                              &std::get<spec::NetworkSpec>(lib.find(spec::Kind::network, "nvidia-quantum2-ndr")->spec),
                              1);
}

TEST(Serving, PipelineStagesSplitTheWeightsAndAddOneSendPerBoundary) {
  const network::Topology topology = two_dgx_h100();
  const network::Level& nvlink = topology.levels[0];
  const Interconnect link = link_of(nvlink);
  serve::ServeOptions options;
  options.batch = 4;
  options.prompt = 1024;
  options.gen = 32;
  options.llm.tp = 8;
  options.topology = &topology;
  const Expected<serve::ServeResult> one = serve::estimate_serving(model("llama3-70b"), chip("h100-sxm"), link, options);
  options.pp = 2;
  const Expected<serve::ServeResult> two = serve::estimate_serving(model("llama3-70b"), chip("h100-sxm"), link, options);
  ASSERT_TRUE(one.ok() && two.ok());
  ASSERT_TRUE(one->fits && two->fits);
  EXPECT_EQ(two->chips, 16);
  EXPECT_DOUBLE_EQ(two->memory.weight_bytes, one->memory.weight_bytes * 40 / 80);  // 80 layers, 40 per stage
  // Stage 0 (node 0) sends each TP rank's eighth of 4 x 1024 tokens x 8192 x 2 bytes to node 1 over
  // its NIC: one scale-out step (3 us software + the switch's latency) plus the bytes at 50 GB/s x eff.
  const network::Level& nic = topology.levels[1];
  const double bytes = 4.0 * 1024 * 8192 * 2 / 8;
  const double send_s = nic.latency_us * 1e-6 + bytes / (50e9 * nic.efficiency);
  EXPECT_NEAR(two->prefill_pp_s, send_s, 1e-12);
  EXPECT_NEAR(two->ttft_s, one->ttft_s + send_s, 1e-9);
  // Two batches in flight, one per stage.
  EXPECT_NEAR(two->output_tokens_per_s, 2 * 4 * 32 / two->total_s, 1e-9);
}

TEST(Serving, ExpertParallelismShardsTheRoutedExpertsAndPaysTwoAllToAllsPerMoeLayer) {
  const network::Topology topology = two_dgx_h100();
  serve::ServeOptions options;
  options.batch = 16;
  options.prompt = 256;
  options.gen = 8;
  options.llm.tp = 2;
  options.llm.ep = 4;
  options.topology = &topology;
  const spec::ModelSpec& mixtral = model("mixtral-8x7b");
  const network::Level& nvlink = topology.levels[0];
  const Interconnect link = link_of(nvlink);
  const Expected<serve::ServeResult> r = serve::estimate_serving(mixtral, chip("h100-sxm"), link, options);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->fits);
  // Each rank keeps 2 of the 8 experts: 46.7 B parameters of which 45.1 B are routed experts
  // (32 layers x 8 experts x 3 x 4096 x 14336), so it holds 46.7 - 45.1 x 3/4 B over tp 2, in bf16.
  const double routed = 32.0 * 8 * 3 * 4096 * 14336;
  const double total = spec::count_parameters(mixtral).total;
  EXPECT_NEAR(r->memory.weight_bytes, (total - routed * 0.75) * 2 / 2, 1.0);
  // The 4 ranks of an EP group sit 2 apart inside one node: all-to-all over NVLink of
  // 16 x 256 tokens x top-2 x 4096 x 2 bytes, dispatch and combine, in each of the 32 MoE layers.
  const double bytes = 16.0 * 256 * 2 * 4096 * 2;
  const double a2a_s = 3 * nvlink.latency_us * 1e-6 + 0.75 * bytes / (nvlink.bandwidth_gb_s * 1e9 * nvlink.efficiency);
  EXPECT_NEAR(r->prefill_ep_s, 2 * 32 * a2a_s, 1e-9);
  EXPECT_NEAR(r->output_tokens_per_s, 4 * 16 * 8 / r->total_s, 1e-9);  // every EP rank serves its batch
  options.llm.ep = 3;
  const Expected<serve::ServeResult> bad = serve::estimate_serving(mixtral, chip("h100-sxm"), link, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().to_string(), "error: ep 3 does not divide mixtral-8x7b's 8 experts");
}

// SRAM capacity buys speed only where a step's weights fit on chip. GPT-2 small's layers hold 85 M
// matmul weights, 85 MB in fp8 (12 x (4 x 768^2 + 2 x 768 x 3072)); its tied embedding table, 39 MB,
// also serves as the output layer and stays in HBM. xpu-1's 16 cores keep up to 3/4 of 16 MiB each,
// 192 MiB; with 4 MiB of VMEM a core keeps 3 MiB, 48 MiB in all.
TEST(Residency, SramCapacityBuysSpeedWhereTheWeightsFit) {
  const spec::ChipSpec& xpu1 = chip("xpu-1");
  spec::ChipSpec small = xpu1;
  small.cores.sram.front().capacity_kib = 4096;
  frontend::LlmOptions fp8;
  fp8.dtype = fp8.kv_dtype = ir::DType::fp8_e4m3;
  const Expected<ir::Graph> decode = frontend::build_decode(model("gpt2-small"), 1, 512, fp8);
  ASSERT_TRUE(decode.ok());
  EXPECT_TRUE(residency_of(*decode, xpu1).weights);
  EXPECT_FALSE(residency_of(*decode, small).weights);
  EXPECT_FALSE(residency_of(*decode, chip("h100-sxm")).weights);  // a cache keeps nothing for the step
  const Expected<GraphTime> resident = evaluate(ChipModel(xpu1), *decode, {});
  const Expected<GraphTime> streamed = evaluate(ChipModel(small), *decode, {});
  ASSERT_TRUE(resident.ok() && streamed.ok());
  // Streamed, the step reads every matmul weight from HBM; resident, none.
  EXPECT_NEAR(streamed->hbm_bytes - resident->hbm_bytes, 84.9e6, 0.02 * 84.9e6);
  EXPECT_LT(resident->seconds, streamed->seconds);
}

}  // namespace
}  // namespace xpusim::perfmodel
