// Speed of the cycle-level simulator (issue 12 item 8): a matmul-heavy program on xpu-1, 64 MiB of bf16
// weights (2,048 tiles of 128 x 128) streamed from HBM through all 16 cores x 4 matrix units, each tile
// multiplied by 512 (or 2,048) rows of activations held in VMEM. DMA queue 0 brings 4 tiles per step
// into one half of a VMEM double buffer; each matrix unit loads its tile into alternate weight slots
// and multiplies; tokens keep the copy of step g + 2 behind the loads of step g. Reported: simulated
// cycles per second of CPU time on one core (the `cycles_per_second` counter). The benchmark checks its
// answer: every MAC done and the run no shorter than the matrix units' own time.
#include <benchmark/benchmark.h>

#include <string>

#include "isa/assembler.h"
#include "perfsim/simulator.h"
#include "spec/loader.h"

namespace {

using namespace xpusim;

constexpr int kCores = 16, kUnits = 4, kSteps = 32;  // 16 x 4 x 32 tiles = 2,048 = 64 MiB

std::string program_text(int rows) {
  std::string text;
  for (int core = 0; core < kCores; ++core) {
    text += ".core " + std::to_string(core) + "\n";
    text += "dma.size q=0 n0=65536 esize=2\n";  // 4 tiles, 128 KiB
    const std::uint64_t base = static_cast<std::uint64_t>(core) * kSteps * 0x20000;
    for (int g = 0; g < kSteps; ++g) {
      const std::uint64_t half = 0x100000 + static_cast<std::uint64_t>(g % 2) * 0x20000;
      text += "dma.copy q=0 src=hbm:" + isa::hex_text(base + static_cast<std::uint64_t>(g) * 0x20000) +
              " dst=vmem:" + isa::hex_text(half) + " signal=mxu0,mxu1,mxu2,mxu3" +
              (g >= 2 ? " wait=mxu0,mxu1,mxu2,mxu3" : "") + "\n";
      for (int u = 0; u < kUnits; ++u) {
        const std::string unit = std::to_string(u), slot = std::to_string(g % 2);
        text += "mxu.ldw unit=" + unit + " slot=" + slot +
                " dtype=bf16 src=" + isa::hex_text(half + static_cast<std::uint64_t>(u) * 0x8000) +
                " k=128 n=128 stride=0x100 wait=dma0" + (g + 2 < kSteps ? " signal=dma0" : "") + "\n";
        text += "mxu.mm unit=" + unit + " slot=" + slot +
                " dtype=bf16 src=" + isa::hex_text(static_cast<std::uint64_t>(u) * 0x20000) +
                " m=" + std::to_string(rows) + " stride=0x100 acc=0 accumulate=" + (g > 0 ? "1" : "0") + "\n";
      }
    }
    for (int u = 0; u < kUnits; ++u)
      text += "mxu.st unit=" + std::to_string(u) + " acc=0 m=" + std::to_string(rows) +
              " n=128 dst=" + isa::hex_text(0x200000 + static_cast<std::uint64_t>(u) * 0x40000) + " stride=0x200\n";
    text += "halt\n";
  }
  return text;
}

void BM_PerfsimMatmul64MiBWeights16Cores(benchmark::State& state) {
  spec::LoadResult loaded = spec::load_spec_file(XPUSIM_SOURCE_DIR "/specs/chips/xpu-1.yaml");
  const auto rows = static_cast<int>(state.range(0));
  Expected<isa::Program> program = isa::assemble(program_text(rows), "bench.s");
  if (loaded.documents.empty() || !program.ok()) {
    state.SkipWithError("cannot load xpu-1 or assemble the program");
    return;
  }
  const auto& chip = std::get<spec::ChipSpec>(loaded.documents.front().spec);
  std::uint64_t cycles = 0;
  double macs = 0;
  for (auto _ : state) {
    Expected<perfsim::SimResult> r = perfsim::simulate(*program, chip);
    if (!r.ok()) {
      state.SkipWithError(r.error().to_string().c_str());
      return;
    }
    cycles = r->cycles;
    macs = r->mxu_macs;
    benchmark::DoNotOptimize(cycles);
  }
  const double expected_macs = 2048.0 * rows * 128 * 128;
  // Each unit streams 32 tiles x `rows` rows: at least 32 x rows cycles.
  if (macs != expected_macs || cycles < static_cast<std::uint64_t>(kSteps * rows))
    state.SkipWithError("wrong MAC count or a run shorter than the matrix units' own time");
  state.counters["simulated_cycles"] = static_cast<double>(cycles);
  state.counters["cycles_per_second"] = benchmark::Counter(
      static_cast<double>(cycles) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
// 512 rows: decode-to-prefill sized batches, the matrix units about 86% busy; 2048: a prefill-sized
// GEMM, four times the cycles for the same HBM traffic.
BENCHMARK(BM_PerfsimMatmul64MiBWeights16Cores)->Arg(512)->Arg(2048)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
