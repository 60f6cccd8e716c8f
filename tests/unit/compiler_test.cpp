// The XPU compiler against counts worked out by hand from docs/compiler.md's rules, and its verifiers
// against programs broken on purpose.
#include "compiler/compiler.h"

#include <gtest/gtest.h>

#include "frontend/llm/llm_builder.h"
#include "isa/assembler.h"
#include "spec/loader.h"
#include "spec_test_util.h"

namespace xpusim::compiler {
namespace {

using isa::Engine;
using isa::Opcode;

const spec::ChipSpec& xpu1() {
  return spec::testing::library_spec<spec::ChipSpec>(spec::Kind::chip, "xpu-1");
}

ir::Graph matmul_graph(std::int64_t m, std::int64_t k, std::int64_t n) {
  ir::Graph g;
  const ir::TensorId a = g.add_tensor("x", {m, k}, ir::DType::bf16, ir::TensorRole::activation);
  const ir::TensorId w = g.add_tensor("w", {k, n}, ir::DType::bf16, ir::TensorRole::weight);
  g.add_op(ir::OpKind::matmul, "mm", {a, w});
  return g;
}

Compiled compiled(const ir::Graph& g, const CompileOptions& options = {}) {
  Expected<Compiled> c = compile(g, xpu1(), options);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().to_string());
  return c.ok() ? std::move(*c) : Compiled{};
}

std::size_t count(const std::array<std::size_t, 8>& counts, Engine e) {
  return counts[static_cast<std::size_t>(e)];
}

// The code of core 0 with `opcode` on `engine`, in order.
std::vector<isa::Instruction> on(const isa::Program& p, Engine engine) {
  std::vector<isa::Instruction> out;
  for (const isa::Instruction& i : p.cores[0].code)
    if (isa::engine_of(i) == engine) out.push_back(i);
  return out;
}

std::uint8_t bit(Engine e) {
  return static_cast<std::uint8_t>(1u << static_cast<int>(e));
}

// One 128x128x128 bf16 tile on xpu-1, weights streamed. Core 0 holds the only n tile:
//   dma0: dma.size + dma.sstride + dma.dstride + copy of x (128 x 128, rows 256 B apart on both sides),
//         then the same four for w, laid out by core shard in HBM and read as one contiguous run of
//         16,384 elements (strides 0)                                                        8
//   mxu0: ldw, mm (k = 128: one tile), st                                                     3
//   vpu:  vcvt fp32 -> bf16                                                                   1
//   dma1: dma.size + dma.sstride + dma.dstride + copy of y                                    4
//   ctl:  one chip barrier and halt on each of the 16 cores                                  32
TEST(Compiler, SingleTileMatmulHandCounted) {
  CompileOptions streamed;
  streamed.resident_weights = false;
  const Compiled c = compiled(matmul_graph(128, 128, 128), streamed);
  EXPECT_EQ(count(c.engine_instructions, Engine::dma0), 8u);
  EXPECT_EQ(count(c.engine_instructions, Engine::mxu0), 3u);
  EXPECT_EQ(count(c.engine_instructions, Engine::mxu1), 0u);
  EXPECT_EQ(count(c.engine_instructions, Engine::vpu), 1u);
  EXPECT_EQ(count(c.engine_instructions, Engine::dma1), 4u);
  EXPECT_EQ(c.engine_instructions[7], 32u);
  EXPECT_EQ(c.program.cores.size(), 16u);
  EXPECT_EQ(c.mxu_macs, 128.0 * 128 * 128);
  // x and y are activations in CMEM; only w (128 x 128 bf16) comes from HBM.
  EXPECT_EQ(c.hbm_bytes, 32768.0);
  EXPECT_FALSE(c.weights_resident);
  // Tokens: ldw waits for w's copy (which also covers x's, earlier on dma0); vcvt for the store of the
  // accumulators; the store to memory for vcvt.
  const auto mxu = on(c.program, Engine::mxu0);
  ASSERT_EQ(mxu.size(), 3u);
  EXPECT_EQ(mxu[0].opcode, Opcode::mxu_ldw);
  EXPECT_EQ(mxu[0].wait, bit(Engine::dma0));
  EXPECT_EQ(mxu[1].wait, 0);
  EXPECT_EQ(mxu[2].signal, bit(Engine::vpu));
  EXPECT_EQ(on(c.program, Engine::vpu)[0].wait, bit(Engine::mxu0));
  EXPECT_EQ(on(c.program, Engine::dma1).back().wait, bit(Engine::vpu));
  EXPECT_EQ(verify_tokens(c.program), "");
}

// Streamed weights are laid out by core shard in HBM, as resident ones are in VMEM: w (256 x 4,096 bf16)
// is 32 n tiles, 2 per core, so core c's shard is [256, 256] at c x 256 x 256 x 2 = c x 131,072 bytes,
// and its one block is read as one contiguous run of 65,536 elements (row-major, it would be 256 rows of
// 256 elements, 8,192 bytes apart).
TEST(Compiler, StreamedWeightsLaidOutByCoreShard) {
  CompileOptions streamed;
  streamed.resident_weights = false;
  const Compiled c = compiled(matmul_graph(128, 256, 4096), streamed);
  EXPECT_EQ(c.hbm_bytes, 256.0 * 4096 * 2);  // x and y in CMEM
  const isa::Tensor* w = nullptr;
  for (const isa::Tensor& t : c.program.tensors)
    if (t.name == "w") w = &t;
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->shape, (std::vector<std::uint64_t>{16, 256, 256}));
  const std::uint64_t base = static_cast<std::uint64_t>(w->level) << 40 | w->address;
  for (std::uint32_t core : {0u, 1u, 15u}) {
    std::uint64_t n0 = 0, n1 = 0, src = 0;
    std::size_t copies = 0;
    for (const isa::Instruction& i : c.program.cores[core].code) {
      if (i.opcode == Opcode::dma_size && i.field("q") == 0) n0 = i.field("n0"), n1 = i.field("n1");
      if (i.opcode == Opcode::dma_copy && i.field("src") >= base && i.field("src") < base + 256 * 4096 * 2) {
        src = i.field("src");
        ++copies;
        EXPECT_EQ(n0, 65536u) << "core " << core;
        EXPECT_EQ(n1, 1u) << "core " << core;
      }
    }
    EXPECT_EQ(copies, 1u) << "core " << core;
    EXPECT_EQ(src, base + core * 131072u) << "core " << core;
  }
  EXPECT_EQ(verify_tokens(c.program), "");
}

// A GEMV whose core has fewer tiles than half its units splits k over two units: x [1, 256] times w
// [256, 256] is 2 n tiles, one per core on cores 0 and 1; each core's k tiles (2) alternate between mxu0
// (k tile 0) and mxu1 (k tile 1), each an ldw, an mm that starts its accumulator, and a store; the vector
// unit adds the two partial sums and converts: vadd + vcvt.
TEST(Compiler, FewRowsSplitKOverUnits) {
  CompileOptions streamed;
  streamed.resident_weights = false;
  const Compiled c = compiled(matmul_graph(1, 256, 256), streamed);
  EXPECT_EQ(c.mxu_macs, 256.0 * 256);
  for (Engine unit : {Engine::mxu0, Engine::mxu1}) {
    const auto code = on(c.program, unit);
    ASSERT_EQ(code.size(), 3u);
    EXPECT_EQ(code[1].opcode, Opcode::mxu_mm);
    EXPECT_EQ(code[1].field("accumulate"), 0u);
    EXPECT_EQ(code[1].field("m"), 1u);
  }
  EXPECT_TRUE(on(c.program, Engine::mxu2).empty());
  const auto vpu = on(c.program, Engine::vpu);
  ASSERT_EQ(vpu.size(), 2u);
  EXPECT_EQ(vpu[0].opcode, Opcode::vadd);
  EXPECT_EQ(vpu[1].opcode, Opcode::vcvt);
  EXPECT_EQ(verify_tokens(c.program), "");
}

// Resident: the same tile with w already in VMEM: no copy of w, no HBM traffic at all.
TEST(Compiler, SingleTileMatmulResident) {
  const Compiled c = compiled(matmul_graph(128, 128, 128));
  EXPECT_TRUE(c.weights_resident);
  EXPECT_EQ(count(c.engine_instructions, Engine::dma0), 4u);
  EXPECT_EQ(count(c.engine_instructions, Engine::mxu0), 3u);
  EXPECT_EQ(c.hbm_bytes, 0.0);
  EXPECT_EQ(on(c.program, Engine::mxu0)[1].wait, bit(Engine::dma0));  // mm waits for x
}

TEST(Compiler, MacsEqualHalfTheFlopsForRaggedShapes) {
  struct Case {
    std::int64_t m, k, n;
  };
  for (const Case& s : {Case{200, 300, 260}, Case{1, 4096, 1000}, Case{1100, 9000, 700}, Case{7, 129, 127}}) {
    const ir::Graph g = matmul_graph(s.m, s.k, s.n);
    for (bool resident : {false, true}) {
      CompileOptions options;
      options.resident_weights = resident;
      const Compiled c = compiled(g, options);
      const double macs = static_cast<double>(s.m) * static_cast<double>(s.k) * static_cast<double>(s.n);
      EXPECT_EQ(c.mxu_macs, macs) << s.m << "x" << s.k << "x" << s.n;
      EXPECT_EQ(c.mxu_macs, ir::totals(g).flops / 2);
      EXPECT_EQ(verify_tokens(c.program), "");
    }
  }
}

TEST(Compiler, BatchedMatmulCoversEveryMac) {
  ir::Graph g;
  const ir::TensorId a = g.add_tensor("x", {3, 70, 130}, ir::DType::bf16, ir::TensorRole::activation);
  const ir::TensorId w = g.add_tensor("w", {3, 130, 90}, ir::DType::bf16, ir::TensorRole::weight);
  g.add_op(ir::OpKind::matmul, "bmm", {a, w});
  EXPECT_EQ(compiled(g).mxu_macs, 3.0 * 70 * 130 * 90);
}

// dma.copy instructions whose source (or destination) lies in the tensor called `name`.
std::size_t copies_touching(const isa::Program& p, const std::string& name, const char* side) {
  std::size_t n = 0;
  for (const isa::Tensor& t : p.tensors) {
    if (t.name != name) continue;
    const std::uint64_t begin = static_cast<std::uint64_t>(t.level) << 40 | t.address, end = begin + isa::tensor_bytes(t);
    for (const isa::CoreCode& core : p.cores)
      for (const isa::Instruction& i : core.code)
        n += i.opcode == Opcode::dma_copy && i.field(side) >= begin && i.field(side) < end;
  }
  return n;
}

// The builder's transposes are views swapping a matrix's dims (a tied output layer reads the [vocab,
// hidden] table as [hidden, vocab]; backward GEMMs read W^T and X^T): those blocks are DMA'd with the
// transpose flag from the matrix as it is held, and every MAC is still issued once.
TEST(Compiler, TransposedViewsLoadTransposed) {
  ir::Graph g;
  const ir::TensorId x = g.add_tensor("x", {300, 200}, ir::DType::bf16, ir::TensorRole::activation);  // [k, m]
  const ir::TensorId w = g.add_tensor("w", {260, 300}, ir::DType::bf16, ir::TensorRole::weight);      // [n, k]
  ir::OpAttrs xt, wt;
  xt.shape = {200, 300};
  wt.shape = {300, 260};
  const ir::TensorId a = g.add_op(ir::OpKind::view, "x_t", {x}, xt);
  const ir::TensorId b = g.add_op(ir::OpKind::view, "w_t", {w}, wt);
  g.add_op(ir::OpKind::matmul, "mm", {a, b});
  const Compiled c = compiled(g);
  EXPECT_FALSE(c.weights_resident);  // a transposed weight is streamed
  EXPECT_EQ(c.mxu_macs, 200.0 * 300 * 260);
  std::size_t transposed_boxes = 0;
  for (const isa::CoreCode& core : c.program.cores)
    for (const isa::Instruction& i : core.code)
      transposed_boxes += i.opcode == Opcode::dma_size && i.field("transpose") == 1;
  // n = 260 is 3 tiles, one per core on cores 0-2; k = 300 fits one block, m = 200 one chunk: each of those
  // cores configures one transposed box for its X^T block (200 x 300) and one for its W^T block.
  EXPECT_EQ(transposed_boxes, 6u);
  EXPECT_EQ(verify_tokens(c.program), "");
}

spec::ModelSpec tiny_llama() {
  spec::LoadResult loaded = spec::load_spec_file(XPUSIM_SOURCE_DIR "/tests/golden/inputs/tiny-llama.yaml");
  EXPECT_EQ(loaded.documents.size(), 1u);
  return std::get<spec::ModelSpec>(loaded.documents.at(0).spec);
}

// tiny-llama (hidden 512, 4 layers, vocab 32,000) fits: every matmul weight's shards stay in VMEM, the
// KV cache and activations in CMEM, so the only HBM traffic of a decode step is the one embedding row
// the gather copies: 512 bf16 values.
TEST(Compiler, SmallModelDecodeIsResident) {
  const spec::ModelSpec model = tiny_llama();
  Expected<ir::Graph> g = frontend::build_decode(model, 1, 64, {});
  ASSERT_TRUE(g.ok());
  const Compiled c = compiled(*g);
  EXPECT_TRUE(c.weights_resident);
  EXPECT_TRUE(c.kv_cache_on_chip);
  EXPECT_EQ(c.hbm_bytes, 512.0 * 2);
  EXPECT_TRUE(c.skipped.empty());
  // Gate, up and swiglu run as one kernel; attention is one flash kernel per layer.
  bool fused_swiglu = false;
  for (const OpPlacement& op : c.ops) fused_swiglu |= op.op.find("swiglu") != std::string::npos && op.op.find("ffn_up") != std::string::npos;
  EXPECT_TRUE(fused_swiglu);
  // Q is read in place from the QKV rows; the new token's K and V rows are appended to the caches, one
  // copy per layer (4) and KV head (2) each.
  EXPECT_EQ(copies_touching(c.program, "layer_q", "src"), 0u);
  EXPECT_EQ(copies_touching(c.program, "layer_k_cache", "dst"), 8u);
  EXPECT_EQ(copies_touching(c.program, "layer_v_cache", "dst"), 8u);
  // With weights forced out, each layer streams them: qkv 512 x (8 + 2 x 2) x 64, w_o 512 x 512, gate, up
  // and down 3 x 512 x 1536, times 4 layers, plus the head's 512 x 32,000, all bf16.
  CompileOptions streamed;
  streamed.resident_weights = false;
  const Compiled s = compiled(*g, streamed);
  const double layer = 512.0 * 768 + 512.0 * 512 + 3 * 512.0 * 1536;
  EXPECT_EQ(s.hbm_bytes, (4 * layer + 512.0 * 32000) * 2 + 512.0 * 2);
}

// Activations kept off chip: the same tile reads x (128 x 128 bf16) and writes y (same) in HBM beside w:
// 3 x 32,768 bytes, and CMEM holds nothing.
TEST(Compiler, ActivationsForcedOffChip) {
  CompileOptions off;
  off.resident_weights = false;
  off.activations_on_chip = false;
  const Compiled c = compiled(matmul_graph(128, 128, 128), off);
  EXPECT_EQ(c.hbm_bytes, 3 * 32768.0);
  EXPECT_EQ(c.cmem_bytes, 0u);
  EXPECT_EQ(verify_tokens(c.program), "");
  // tiny-llama's decode keeps its KV cache in CMEM unless told not to; then the new token's K and V rows
  // (2 KV heads x 64 bf16 values each, per layer) are written to HBM: at least 4 x 2 x 2 x 128 bytes more.
  Expected<ir::Graph> g = frontend::build_decode(tiny_llama(), 1, 64, {});
  ASSERT_TRUE(g.ok());
  const Compiled on_chip = compiled(*g);
  CompileOptions hbm;
  hbm.activations_on_chip = false;
  const Compiled in_hbm = compiled(*g, hbm);
  EXPECT_TRUE(on_chip.kv_cache_on_chip);
  EXPECT_FALSE(in_hbm.kv_cache_on_chip);
  EXPECT_TRUE(in_hbm.weights_resident);
  EXPECT_GE(in_hbm.hbm_bytes, on_chip.hbm_bytes + 4 * 2 * 2 * 128.0);
  EXPECT_EQ(verify_tokens(in_hbm.program), "");
}

// llama3-8b's weights (16 GB) cannot stay on chip: each op once (per-op mode), one layer's weights and
// the head stream from HBM, plus the gathered embedding row.
TEST(Compiler, LargeModelDecodeStreamsWeights) {
  const auto& model = spec::testing::library_spec<spec::ModelSpec>(spec::Kind::model, "llama3-8b");
  Expected<ir::Graph> g = frontend::build_decode(model, 1, 128, {});
  ASSERT_TRUE(g.ok());
  CompileOptions options;
  options.unroll_repeats = false;
  const Compiled c = compiled(*g, options);
  EXPECT_FALSE(c.weights_resident);
  const double layer = 4096.0 * 6144 + 4096.0 * 4096 + 3 * 4096.0 * 14336;
  EXPECT_EQ(c.hbm_bytes, (layer + 4096.0 * 128256) * 2 + 4096.0 * 2);
  CompileOptions forced;
  forced.unroll_repeats = false;
  forced.resident_weights = true;
  Expected<Compiled> refused = compile(*g, xpu1(), forced);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().to_string().find("cannot stay resident"), std::string::npos);
}

TEST(Compiler, TokenVerifierCatchesBrokenPrograms) {
  Compiled c = compiled(matmul_graph(128, 128, 128));
  ASSERT_EQ(verify_tokens(c.program), "");
  // The mm's wait removed: the token dma0 sent is never taken.
  isa::Program unmatched = c.program;
  for (isa::Instruction& i : unmatched.cores[0].code)
    if (i.opcode == Opcode::mxu_mm) i.wait = 0;
  EXPECT_EQ(verify_tokens(unmatched), "core 0 ends with 1 token(s) from dma0 to mxu0 never waited for");
  // A wait nobody signals: the vector unit waits for mxu1, which runs nothing (and dma1, behind it, for
  // the vector unit).
  isa::Program deadlock = c.program;
  for (isa::Instruction& i : deadlock.cores[0].code)
    if (i.opcode == Opcode::vcvt) i.wait |= bit(Engine::mxu1);
  EXPECT_EQ(verify_tokens(deadlock).find("core 0, vpu instruction 0"), 0u) << verify_tokens(deadlock);
  EXPECT_NE(verify_tokens(deadlock).find("waits for mxu1 forever"), std::string::npos);
  // A counter past 255: 256 signals from dma0 before mxu0 takes any.
  isa::Program deep;
  isa::CoreCode core;
  isa::Instruction size;
  size.opcode = Opcode::dma_size;
  size.signal = bit(Engine::mxu0);
  isa::Instruction ldw;
  ldw.opcode = Opcode::mxu_ldw;
  ldw.set("dtype", static_cast<std::uint64_t>(isa::DType::bf16)).set("k", 1).set("n", 1);
  ldw.wait = bit(Engine::dma0);
  core.code.assign(256, size);
  core.code.insert(core.code.end(), 256, ldw);
  isa::Instruction halt;
  halt.opcode = Opcode::halt;
  core.code.push_back(halt);
  deep.cores.push_back(core);
  EXPECT_NE(verify_tokens(deep).find("counter (dma0, mxu0) passes 255"), std::string::npos) << verify_tokens(deep);
  core.code.erase(core.code.begin() + 255, core.code.begin() + 256 + 1);  // 255 of each: fine
  deep.cores[0] = core;
  EXPECT_EQ(verify_tokens(deep), "");
}

TEST(Compiler, ProgramsRoundTripAndAreDeterministic) {
  const spec::ModelSpec model = tiny_llama();
  Expected<ir::Graph> g = frontend::build_prefill(model, 2, 96, {});
  ASSERT_TRUE(g.ok());
  const Compiled a = compiled(*g);
  const Compiled b = compiled(*g);
  const std::string bytes = isa::write_xbin(a.program);
  EXPECT_EQ(bytes, isa::write_xbin(b.program));
  Expected<isa::Program> back = isa::read_xbin(bytes, "compiled.xbin");
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_TRUE(*back == a.program);
  Expected<isa::Program> text = isa::assemble(isa::disassemble(a.program), "compiled.s");
  ASSERT_TRUE(text.ok()) << text.error().to_string();
  EXPECT_TRUE(*text == a.program);
  // Q, K and V are column ranges of the fused QKV rows that rope wrote: the slices the graph names for
  // them (tensors no op writes) are never read.
  for (const char* slice : {"layer_q", "layer_k", "layer_v"}) EXPECT_EQ(copies_touching(a.program, slice, "src"), 0u);
  // Prefill attention is causal: the mask table is in the constants, and the program's stats agree
  // with what the compiler reported.
  EXPECT_FALSE(a.program.constants.empty());
  const ProgramStats stats = program_stats(*back);
  EXPECT_EQ(stats.mxu_macs, a.mxu_macs);
  EXPECT_EQ(stats.hbm_bytes, a.hbm_bytes);
}

// A softmax over rows of 131,072 (wider than vsum's and vmaxr's 65,536 columns) reduces each row as two
// pieces of 65,536 and then the two partial results: 2 vmaxr and 2 vsum per row, one row per core.
TEST(Compiler, WideRowsReduceInPieces) {
  ir::Graph g;
  const ir::TensorId x = g.add_tensor("logits", {2, 131072}, ir::DType::bf16, ir::TensorRole::activation);
  g.add_op(ir::OpKind::softmax, "softmax", {x});
  const Compiled c = compiled(g);
  std::size_t vmaxr = 0, vsum = 0;
  for (const isa::CoreCode& core : c.program.cores)
    for (const isa::Instruction& i : core.code) {
      vmaxr += i.opcode == Opcode::vmaxr;
      vsum += i.opcode == Opcode::vsum;
      if (i.opcode == Opcode::vmaxr || i.opcode == Opcode::vsum) {
        EXPECT_LE(i.field("cols"), 65536u);
      }
    }
  EXPECT_EQ(vmaxr, 4u);
  EXPECT_EQ(vsum, 4u);
}

// Causal attention over 64 positions, 2 query heads sharing 1 KV head, head_dim 64: every block is one
// query block of 64 rows and one key block of 64 keys. Forward: S and P V, 2 products of 64^3 MACs per
// head. Backward: a sweep for the row statistics (S), a dQ sweep (S, dP, dQ), and a dK, dV pass (S, dP,
// dV, dK): 8 products per head.
TEST(Compiler, AttentionForwardAndBackwardMacs) {
  ir::Graph g;
  const ir::TensorId q = g.add_tensor("q", {1, 2, 64, 64}, ir::DType::bf16, ir::TensorRole::activation);
  const ir::TensorId k = g.add_tensor("k", {1, 1, 64, 64}, ir::DType::bf16, ir::TensorRole::activation);
  const ir::TensorId v = g.add_tensor("v", {1, 1, 64, 64}, ir::DType::bf16, ir::TensorRole::activation);
  ir::OpAttrs causal;
  causal.causal = true;
  const ir::TensorId o = g.add_op(ir::OpKind::attention, "attention", {q, k, v}, causal);
  const ir::TensorId d_o = g.add_tensor("d_o", {1, 2, 64, 64}, ir::DType::bf16, ir::TensorRole::activation);
  const Compiled forward = compiled(g);
  EXPECT_EQ(forward.mxu_macs, 2.0 * 2 * 64 * 64 * 64);
  g.add_op_multi(ir::OpKind::attention_backward, "attention_backward", {q, k, v, o, d_o}, causal, 1, ir::Phase::backward);
  const Compiled both = compiled(g);
  EXPECT_EQ(both.mxu_macs - forward.mxu_macs, 8.0 * 2 * 64 * 64 * 64);
  EXPECT_TRUE(both.skipped.empty());
  EXPECT_EQ(verify_tokens(both.program), "");
}

// Other shapes of XPU: 3 units a core (swiglu cannot split them in halves), 32 x 64 tiles, a small VMEM.
// Every phase compiles with every MAC of every matmul issued once (compile() checks that and the tokens).
TEST(Compiler, OtherChipShapes) {
  spec::ChipSpec chip = xpu1();
  chip.cores.count = 5;
  chip.cores.matrix_unit.count = 3;
  chip.cores.matrix_unit.tile.k = 32;
  chip.cores.matrix_unit.tile.n = 64;
  chip.cores.sram[0].capacity_kib = 4096;
  const spec::ModelSpec model = tiny_llama();
  for (const auto& graph : {frontend::build_decode(model, 2, 40, {}), frontend::build_prefill(model, 2, 40, {}),
                            frontend::build_training_step(model, 1, 40, frontend::Recompute::none, {})}) {
    ASSERT_TRUE(graph.ok());
    Expected<Compiled> c = compile(*graph, chip);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    EXPECT_EQ(c->program.cores.size(), 5u);
    EXPECT_EQ(c->engine_instructions[static_cast<std::size_t>(Engine::mxu3)], 0u);
  }
}

TEST(Compiler, ClearErrors) {
  const ir::Graph g = matmul_graph(128, 128, 128);
  const auto& h100 = spec::testing::library_spec<spec::ChipSpec>(spec::Kind::chip, "h100-sxm");
  Expected<Compiled> gpu = compile(g, h100);
  ASSERT_FALSE(gpu.ok());
  EXPECT_NE(gpu.error().to_string().find("not a systolic XPU"), std::string::npos);

  spec::ChipSpec no_vmem = xpu1();
  no_vmem.cores.sram.clear();
  Expected<Compiled> bare = compile(g, no_vmem);
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.error().to_string().find("no per-core VMEM"), std::string::npos);

  ir::Graph fp4;
  const ir::TensorId a = fp4.add_tensor("x", {4, 64}, ir::DType::fp4_e2m1, ir::TensorRole::activation);
  const ir::TensorId w = fp4.add_tensor("w", {64, 64}, ir::DType::fp4_e2m1, ir::TensorRole::weight);
  fp4.add_op(ir::OpKind::matmul, "mm", {a, w});
  Expected<Compiled> narrow = compile(fp4, xpu1());
  ASSERT_FALSE(narrow.ok());
  EXPECT_NE(narrow.error().to_string().find("no type for"), std::string::npos);

  ir::Graph fp32 = matmul_graph(4, 64, 64);
  for (ir::TensorId t = 0; t < 2; ++t) fp32.tensor(t).dtype = ir::DType::fp32;
  Expected<Compiled> wide = compile(fp32, xpu1());
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.error().to_string().find("do not take"), std::string::npos);
}

}  // namespace
}  // namespace xpusim::compiler
