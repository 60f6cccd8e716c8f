// The cycle-level simulator (docs/perfsim.md): cycle counts worked out by hand from the formulas of
// docs/perfsim.md for single instructions and small programs, HBM streaming against its peak and its
// refresh share, two cores sharing HBM, bank conflicts, runtime errors and determinism.
#include <gtest/gtest.h>

#include <string>

#include "isa/assembler.h"
#include "perfsim/simulator.h"

namespace xpusim::perfsim {
namespace {

// A 1 GHz chip (a cycle is a nanosecond) with xpu-1's core: 4 MXUs of 128 x 128, VMEM 16 MiB at
// 8 KiB a cycle in 64 banks (128 B a cycle each), a 2048-lane vector unit, and one HBM3 stack of
// 32 pseudo-channels at 1.024 TB/s: 1024 B a cycle, 32 B a cycle per pseudo-channel.
spec::ChipSpec test_chip(int cores = 2, bool double_buffered = true) {
  spec::ChipSpec chip;
  chip.name = "test-xpu";
  chip.clock_mhz = 1000;
  chip.tdp_w = 100;
  chip.cores.count = cores;
  chip.cores.matrix_unit.count = 4;
  chip.cores.matrix_unit.tile.m = 1;
  chip.cores.matrix_unit.tile.n = 128;
  chip.cores.matrix_unit.tile.k = 128;
  chip.cores.matrix_unit.dataflow = "weight_stationary";
  chip.cores.matrix_unit.double_buffered = double_buffered;
  chip.cores.matrix_unit.macs_per_cycle = {{"bf16", 16384}, {"fp8", 32768}};
  chip.cores.vector_unit.lanes = 2048;
  chip.cores.vector_unit.fp32_flops_per_cycle = 4096;
  spec::CoreSram vmem;
  vmem.level = "vmem";
  vmem.capacity_kib = 16384;
  vmem.bandwidth_bytes_per_cycle = 8192;
  vmem.banks = 64;
  chip.cores.sram.push_back(vmem);
  chip.hbm.generation = "hbm3";
  chip.hbm.stacks = 1;
  chip.hbm.channels_per_stack = 16;
  chip.hbm.capacity_gib = 16;
  chip.hbm.bandwidth_tb_s = 1.024;
  return chip;
}

isa::Program program(const std::string& text) {
  Expected<isa::Program> p = isa::assemble(text, "t.s");
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().to_string());
  return p.ok() ? std::move(*p) : isa::Program{};
}

SimResult run(const std::string& text, const spec::ChipSpec& chip = test_chip(), SimOptions options = {}) {
  Expected<SimResult> r = simulate(program(text), chip, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(*r) : SimResult{};
}

std::string error_of(const std::string& text, const spec::ChipSpec& chip = test_chip()) {
  Expected<SimResult> r = simulate(program(text), chip);
  return r.ok() ? "(no error)" : r.error().to_string();
}

const EngineStats* stats(const SimResult& r, std::uint32_t core, isa::Engine e) {
  for (const EngineStats& s : r.engines)
    if (s.core == core && s.engine == e) return &s;
  return nullptr;
}

// ldw: k = 128 cycles. mm: m + k + n - 2 = 128 + 254 = 382, from 128 (its slot is loaded) to 510.
// st: m = 128 cycles, after the multiply's last row leaves: 510 to 638.
TEST(Perfsim, LoadMultiplyStoreByHand) {
  const SimResult r =
      run("mxu.ldw unit=0 slot=0 dtype=bf16 src=0x0 k=128 n=128 stride=0x100\n"
          "mxu.mm unit=0 slot=0 dtype=bf16 src=0x8000 m=128 stride=0x100 acc=0\n"
          "mxu.st unit=0 acc=0 m=128 n=128 dst=0x10000 stride=0x200\n"
          "halt\n");
  EXPECT_EQ(r.cycles, 638u);
  const EngineStats* mxu = stats(r, 0, isa::Engine::mxu0);
  ASSERT_NE(mxu, nullptr);
  EXPECT_EQ(mxu->instructions, 3u);
  EXPECT_EQ(mxu->busy_cycles, 638u);
  EXPECT_DOUBLE_EQ(r.mxu_macs, 128.0 * 128 * 128);
  // 128^3 MACs over 2 cores x 4 units x 16,384 MACs a cycle x 638 cycles.
  EXPECT_NEAR(r.mxu_utilization, 128.0 * 128 * 128 / (8 * 16384.0 * 638), 1e-12);
  EXPECT_DOUBLE_EQ(r.seconds, 638e-9);
}

// fp8 runs 32,768 / (128 x 128) = 2 rows a cycle: 128 rows stream in 64 cycles, plus 254.
TEST(Perfsim, Fp8StreamsTwoRowsACycle) {
  const SimResult r =
      run("mxu.ldw unit=0 slot=0 dtype=fp8_e4m3 src=0x0 k=128 n=128 stride=0x80\n"
          "mxu.mm unit=0 slot=0 dtype=fp8_e4m3 src=0x8000 m=128 stride=0x80 acc=0\n"
          "halt\n");
  EXPECT_EQ(r.cycles, 128u + 64 + 254);
}

// Two tiles of 1024 rows. Double buffered: the second load (128 cycles) hides behind the first
// multiply, and the second multiply streams as soon as the first has streamed (at 128 + 1024):
// 1152 + 1024 + 254 = 2430, then the store, 2558. Without: the second load waits for the first multiply
// to drain (1406), 1534, the multiply 1534 + 1278 = 2812, the store 2940.
TEST(Perfsim, DoubleBufferedWeightsHideTheLoad) {
  const std::string text =
      "mxu.ldw unit=0 slot=0 dtype=bf16 src=0x0 k=128 n=128 stride=0x100\n"
      "mxu.mm unit=0 slot=0 dtype=bf16 src=0x10000 m=1024 stride=0x100 acc=0\n"
      "mxu.ldw unit=0 slot=1 dtype=bf16 src=0x8000 k=128 n=128 stride=0x100\n"
      "mxu.mm unit=0 slot=1 dtype=bf16 src=0x10000 m=1024 stride=0x100 acc=0 accumulate=1\n"
      "mxu.st unit=0 acc=0 m=128 n=128 dst=0x80000 stride=0x200\n"
      "halt\n";
  EXPECT_EQ(run(text, test_chip(2, true)).cycles, 2558u);
  EXPECT_EQ(run(text, test_chip(2, false)).cycles, 2940u);
}

// vadd fp32 of 16,384: 3 x 64 KiB through VMEM at 8 KiB a cycle = 24 cycles (the lanes need 8), plus the
// 8-cycle pipeline = 32. vexp: 16,384 x 4 lane-cycles / 2048 lanes = 32 (VMEM: 16), plus 8 = 40.
TEST(Perfsim, VectorOpsByHand) {
  EXPECT_EQ(run("vadd dtype=fp32 dst=0x0 a=0x10000 b=0x20000 len=16384\nhalt\n").cycles, 32u);
  EXPECT_EQ(run("vexp dtype=fp32 dst=0x0 src=0x10000 len=16384\nhalt\n").cycles, 40u);
}

// Two matrix units whose input rows are 8 KiB apart read the same two banks (row i at 0x100000 +
// i x 0x2000 is bytes 0-255 of the bank cycle): each alone takes the banks' whole 128 B a cycle, so the
// second to start streams at half rate: 64 rows take 128 cycles. Both start at 129 (unit 1's load ends
// at 129 and the multiply on unit 0 waits for its token): 129 + 128 + 254 = 511. With rows 256 B apart
// (all 64 banks) neither slows: 129 + 64 + 254 = 447.
TEST(Perfsim, BankConflictStretchesTheLaterAccess) {
  auto text = [](const char* stride) {
    return std::string(
               "mxu.ldw unit=0 slot=0 dtype=bf16 src=0x0 k=128 n=128 stride=0x100\n"
               "mxu.ldw unit=1 slot=0 dtype=bf16 src=0x0 k=128 n=128 stride=0x100 signal=mxu0\n"
               "mxu.mm unit=0 slot=0 dtype=bf16 src=0x100000 m=64 stride=") +
           stride + " acc=0 wait=mxu1\nmxu.mm unit=1 slot=0 dtype=bf16 src=0x100000 m=64 stride=" + stride +
           " acc=0\nhalt\n";
  };
  const SimResult conflict = run(text("0x2000"));
  EXPECT_EQ(conflict.cycles, 511u);
  const std::uint64_t stalls = stats(conflict, 0, isa::Engine::mxu0)->stall_cycles.count("bank_conflict") +
                               stats(conflict, 0, isa::Engine::mxu1)->stall_cycles.count("bank_conflict");
  EXPECT_EQ(stalls, 1u);  // one of the two units
  // Rows 8 KiB apart again, but unit 1's start 256 B further: banks 2 and 3, no conflict.
  const std::string apart = text("0x2000");
  const std::string shifted =
      apart.substr(0, apart.rfind("src=0x100000")) + "src=0x100100" + apart.substr(apart.rfind("src=0x100000") + 12);
  EXPECT_EQ(run(shifted).cycles, 447u);
  EXPECT_EQ(run(text("0x100")).cycles, 447u);
}

// 64 MiB from HBM (64 KiB rows, written over one 64 KiB VMEM buffer): 65,536 cycles at the peak of
// 1024 B a cycle. All-bank refresh takes tRFC / tREFI = 350 / 3900 = 9.0% of every pseudo-channel's
// time, and the row misses hide behind the other bank groups, so the stream reaches 1 - 0.090 of the
// peak less a little (docs/perfsim.md: 0.89-0.91).
const char* kStream64MiB =
    "dma.size q=0 n0=8192 n1=1024 esize=8\n"
    "dma.sstride q=0 s1=0x10000\n"
    "dma.copy q=0 src=hbm:0x0 dst=vmem:0x0\n"
    "halt\n";

TEST(Perfsim, DmaStreamsAtTheHbmPeakLessRefresh) {
  const SimResult r = run(kStream64MiB);
  const double efficiency = 65536.0 / static_cast<double>(r.cycles);
  EXPECT_GT(efficiency, 0.89);
  EXPECT_LT(efficiency, 0.91);
  EXPECT_DOUBLE_EQ(r.hbm_read_bytes, 64.0 * 1024 * 1024);
  EXPECT_GT(stats(r, 0, isa::Engine::dma0)->stall_cycles.at("hbm"), 0u);
}

// Without refresh the same stream takes 1 - 350/3900 of the time (within 1%).
TEST(Perfsim, RefreshShareOfTime) {
  SimOptions off;
  off.hbm_refresh = false;
  const double with = static_cast<double>(run(kStream64MiB).cycles);
  const double without = static_cast<double>(run(kStream64MiB, test_chip(), off).cycles);
  EXPECT_NEAR(without / with, 1 - 350.0 / 3900, 0.01);
  EXPECT_GT(65536.0 / without, 0.98);  // nothing else costs more than 2%
}

// Two cores each streaming 32 MiB at once share HBM: each gets half (their DMA engines are busy equally
// long), so both take about twice one core's 32 MiB alone. Not quite: the two streams' chunks reach
// each pseudo-channel interleaved first come, first served, and hit other rows of the same banks
// (row misses a reordering controller would partly avoid): up to 8% more (docs/perfsim.md, Limits).
TEST(Perfsim, TwoCoresShareHbmHalfEach) {
  const char* half =
      "dma.size q=0 n0=8192 n1=512 esize=8\n"
      "dma.sstride q=0 s1=0x10000\n"
      "dma.copy q=0 src=hbm:0x0 dst=vmem:0x0\n"
      "halt\n";
  const std::string two = std::string(".core 0\n") + half + ".core 1\n" +
                          "dma.size q=0 n0=8192 n1=512 esize=8\n"
                          "dma.sstride q=0 s1=0x10000\n"
                          "dma.copy q=0 src=hbm:0x2000000 dst=vmem:0x0\n"
                          "halt\n";
  const double alone = static_cast<double>(run(half).cycles);
  const SimResult both = run(two);
  EXPECT_GT(static_cast<double>(both.cycles) / alone, 1.98);
  EXPECT_LT(static_cast<double>(both.cycles) / alone, 2.08);
  const double busy0 = static_cast<double>(stats(both, 0, isa::Engine::dma0)->busy_cycles);
  const double busy1 = static_cast<double>(stats(both, 1, isa::Engine::dma0)->busy_cycles);
  EXPECT_NEAR(busy0 / busy1, 1.0, 0.03);
}

// 4 KiB from CMEM (4 banks of 256 B a cycle, 1 KiB apart) into VMEM: dma.size takes cycle 0; the
// copy's 4 chunks leave at 2, 3, 4, 5 (the core's port, 1 KiB a cycle), reach their banks 20 cycles
// later, take 1024 / 256 = 4 cycles each and come back in 20: 26 + 20 ... 29 + 20 = 49.
TEST(Perfsim, CmemCopyByHand) {
  spec::ChipSpec chip = test_chip();
  spec::SharedSram cmem;
  cmem.level = "cmem";
  cmem.capacity_mib = 128;
  cmem.bandwidth_gb_s = 1024;
  cmem.banks = 4;
  chip.shared_sram.push_back(cmem);
  const SimResult r = run("dma.size q=0 n0=4096\ndma.copy q=0 src=cmem:0x0 dst=vmem:0x0\nhalt\n", chip);
  EXPECT_EQ(r.cycles, 49u);
  EXPECT_DOUBLE_EQ(r.cmem_bytes, 4096);
  EXPECT_DOUBLE_EQ(r.vmem_bytes, 4096);
}

// A memory without a rate would make every access to it take forever (a run to max_cycles): such a
// chip is refused before the run, naming the chip and the missing field.
TEST(Perfsim, MemoryWithoutBandwidthIsRefused) {
  spec::ChipSpec chip = test_chip();
  spec::SharedSram cmem;
  cmem.level = "cmem";
  cmem.capacity_mib = 128;
  chip.shared_sram.push_back(cmem);
  const std::string copy = "dma.size q=0 n0=4096\ndma.copy q=0 src=cmem:0x0 dst=vmem:0x0\nhalt\n";
  EXPECT_EQ(error_of(copy, chip),
            "error: chip test-xpu cannot be simulated: its shared SRAM cmem (shared_sram level cmem) has no "
            "bandwidth_gb_s");
  chip.shared_sram.back().bandwidth_gb_s = 1024;
  EXPECT_EQ(error_of(copy, chip), "(no error)");
  chip.cores.sram.back().bandwidth_bytes_per_cycle = 0;
  EXPECT_EQ(error_of("halt\n", chip),
            "error: chip test-xpu cannot be simulated: its VMEM (cores.sram level vmem) has no "
            "bandwidth_bytes_per_cycle");
}

// 4 KiB from core 0's VMEM into core 1's: chunks read at 1 KiB a cycle (2, 3, 4, 5), leave core 0's
// port (3 ... 6), cross the network (20) and enter core 1's port (24 ... 27).
TEST(Perfsim, CoreToCoreCopyByHand) {
  const SimResult r =
      run(".core 0\ndma.size q=0 n0=4096\ndma.copy q=0 src=vmem:0x0 dst=rvmem:0x0 core=1\nhalt\n"
          ".core 1\nhalt\n");
  EXPECT_EQ(r.cycles, 27u);
  EXPECT_EQ(error_of(".core 0\ndma.copy q=0 src=vmem:0x0 dst=rvmem:0x0 core=5\nhalt\n"),
            "error: core 0, instruction 0 (dma.copy): core 5 is beyond the chip's 2 cores");
}

TEST(Perfsim, TokenDeadlockIsAnError) {
  EXPECT_EQ(error_of("vadd dtype=fp32 dst=0x0 a=0x0 b=0x0 len=4 wait=dma0\nhalt\n"),
            "error: core 0, instruction 0 (vadd): deadlock: vpu waits for a token from dma0 that nothing left to run "
            "will signal");
}

TEST(Perfsim, TokenNeverConsumedIsAnError) {
  EXPECT_EQ(error_of("vmov dtype=fp32 dst=0x0 src=0x100 len=4 signal=dma1\nhalt\n"),
            "error: core 0, instruction 0 (vmov): 1 token(s) from vpu to dma1 are never consumed");
}

TEST(Perfsim, TokenCounterPast255IsAnError) {
  std::string text;
  for (int i = 0; i < 256; ++i) text += "vmov dtype=fp32 dst=0x0 src=0x100 len=4 signal=dma1\n";
  EXPECT_EQ(error_of(text + "halt\n"),
            "error: core 0, instruction 255 (vmov): the token counter from vpu to dma1 passes 255");
}

TEST(Perfsim, AddressesOutsideTheChipAreErrors) {
  EXPECT_EQ(error_of("vmov dtype=fp32 dst=0xfffff0 src=0x0 len=8\nhalt\n"),
            "error: core 0, instruction 0 (vmov): the destination at vmem:0xfffff0 ends past the chip's VMEM of "
            "16777216 bytes");
  EXPECT_EQ(
      error_of("dma.copy q=0 src=hbm:0x400000000 dst=vmem:0x0\nhalt\n"),
      "error: core 0, instruction 0 (dma.copy): source hbm:0x400000000 ends past the chip's HBM of 17179869184 bytes");
  EXPECT_EQ(error_of("dma.copy q=0 src=cmem:0x0 dst=vmem:0x0\nhalt\n"),
            "error: core 0, instruction 0 (dma.copy): source cmem:0x0 ends past the chip's CMEM of 0 bytes");
  EXPECT_EQ(error_of(".core 2\nhalt\n"), "error: core 2, instruction 0 (halt): the chip test-xpu has 2 cores (0-1)");
}

TEST(Perfsim, MultiplyOnAnEmptySlotIsAnError) {
  EXPECT_EQ(error_of("mxu.mm unit=0 slot=1 dtype=bf16 src=0x0 m=4 stride=0x100 acc=0\nhalt\n"),
            "error: core 0, instruction 0 (mxu.mm): weight slot 1 of mxu0 holds no weights (no mxu.ldw before)");
}

TEST(Perfsim, ChipBarrierNeverReachedIsADeadlock) {
  EXPECT_EQ(error_of(".core 0\nbarrier scope=chip id=1\nhalt\n.core 1\nhalt\n"),
            "error: core 0, instruction 0 (barrier): deadlock: chip barrier 1 is never reached by core 1");
}

TEST(Perfsim, MaxCyclesIsAnError) {
  SimOptions options;
  options.max_cycles = 100;
  Expected<SimResult> r = simulate(program(kStream64MiB), test_chip(), options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().to_string(),
            "error: core 0, instruction 2 (dma.copy): the program runs past 100 cycles (max_cycles)");
}

// A core barrier waits for every engine: the vector op after it starts when the load has drained.
TEST(Perfsim, CoreBarrierOrdersEngines) {
  const SimResult r =
      run("mxu.ldw unit=0 slot=0 dtype=bf16 src=0x0 k=128 n=128 stride=0x100\n"
          "barrier scope=core id=0\n"
          "vadd dtype=fp32 dst=0x100000 a=0x110000 b=0x120000 len=16384\n"
          "halt\n");
  // ldw 0-128; the front end reaches the barrier at 1, passes it at 128 and dispatches the vadd a
  // cycle later: 129 + 32. The vector unit idles 0-129: 127 at the barrier, 2 dispatching.
  EXPECT_EQ(r.cycles, 161u);
  EXPECT_EQ(stats(r, 0, isa::Engine::vpu)->stall_cycles.at("barrier"), 127u);
  EXPECT_EQ(stats(r, 0, isa::Engine::vpu)->stall_cycles.at("dispatch"), 2u);
}

// Same program, same bytes out: results and traces are bit for bit equal.
TEST(Perfsim, Deterministic) {
  const std::string text = std::string(".core 1\n") + kStream64MiB +
                           ".core 0\n"
                           "mxu.ldw unit=0 slot=0 dtype=bf16 src=0x0 k=128 n=128 stride=0x100\n"
                           "mxu.mm unit=0 slot=0 dtype=bf16 src=0x8000 m=4096 stride=0x100 acc=0\n"
                           "halt\n";
  SimOptions options;
  options.trace = true;
  const spec::ChipSpec chip = test_chip();
  const SimResult a = run(text, chip, options), b = run(text, chip, options);
  EXPECT_EQ(a.cycles, b.cycles);
  EXPECT_EQ(perfetto_json(a, chip), perfetto_json(b, chip));
  EXPECT_NE(perfetto_json(a, chip).find("\"name\":\"mxu.mm\""), std::string::npos);
}

// Energy from the process figures: MACs x pJ, bytes x 8 x pJ/bit, static x TDP x time.
TEST(Perfsim, EnergyByComponent) {
  spec::ProcessSpec process;
  process.name = "p";
  process.has_energy = true;
  process.energy.mac_pj = {{"bf16", 0.5}, {"fp32", 1.0}};
  process.energy.sram_pj_per_bit = 0.25;
  process.energy.hbm_pj_per_bit = 4;
  process.energy.static_fraction = 0.5;
  Expected<SimResult> r = simulate(program("mxu.ldw unit=0 slot=0 dtype=bf16 src=0x0 k=128 n=128 stride=0x100\n"
                                           "mxu.mm unit=0 slot=0 dtype=bf16 src=0x8000 m=128 stride=0x100 acc=0\n"
                                           "halt\n"),
                                   test_chip(), {}, &process);
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->energy_j.at("mxu"), 128.0 * 128 * 128 * 0.5e-12);
  // VMEM: the weights (32 KiB) and the inputs (32 KiB).
  EXPECT_DOUBLE_EQ(r->energy_j.at("sram"), 65536.0 * 8 * 0.25e-12);
  EXPECT_DOUBLE_EQ(r->energy_j.at("hbm"), 0);
  EXPECT_DOUBLE_EQ(r->energy_j.at("static"), 0.5 * 100 * r->seconds);
}

}  // namespace
}  // namespace xpusim::perfsim
