// One llama3-8b decode step on xpu-1, compiled whole (every layer unrolled, about a million
// instructions) and cycle-simulated: the aim is under 10 s for the two together. The
// benchmark checks the step against the HBM roofline (weights and KV cache / peak bandwidth), so a fast wrong answer
// fails, and reports simulated cycles per second of wall time.
#include <benchmark/benchmark.h>

#include <chrono>

#include "compiler/compiler.h"
#include "frontend/llm/llm_builder.h"
#include "perfsim/simulator.h"
#include "bench_library.h"

namespace {

using namespace xpusim;

void BM_Llama3_8bDecodeStepCompiledAndSimulated(benchmark::State& state) {
  const auto& model = bench::spec_named<spec::ModelSpec>(spec::Kind::model, "llama3-8b");
  const auto& chip = bench::spec_named<spec::ChipSpec>(spec::Kind::chip, "xpu-1");
  const std::int64_t batch = state.range(0);
  Expected<ir::Graph> graph = frontend::build_decode(model, batch, 2048, {});
  if (!graph.ok()) {
    state.SkipWithError("cannot build the decode step");
    return;
  }
  double cycles = 0, seconds = 0, instructions = 0, compile_s = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    Expected<compiler::Compiled> compiled = compiler::compile(*graph, chip, {});
    compile_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!compiled.ok()) {
      state.SkipWithError(compiled.error().to_string().c_str());
      return;
    }
    instructions = 0;
    for (const isa::CoreCode& core : compiled->program.cores) instructions += static_cast<double>(core.code.size());
    Expected<perfsim::SimResult> sim = perfsim::simulate(compiled->program, chip, {});
    if (!sim.ok()) {
      state.SkipWithError(sim.error().to_string().c_str());
      return;
    }
    cycles = static_cast<double>(sim->cycles);
    seconds = sim->seconds;
  }
  // The weights (16 GB in bf16) and the KV cache must stream from HBM once: the step cannot beat that.
  const ir::GraphTotals totals = ir::totals(*graph);
  const double roofline_s = (totals.weight_bytes + totals.kv_cache_bytes) / (chip.hbm.bandwidth_tb_s * 1e12);
  if (seconds < roofline_s) state.SkipWithError("faster than the HBM roofline");
  state.counters["instructions"] = instructions;
  state.counters["simulated_cycles"] = cycles;
  state.counters["step_ms"] = seconds * 1e3;
  state.counters["of_hbm_roofline"] = roofline_s / seconds;
  state.counters["compile_s"] = compile_s;
  state.counters["simulated_cycles_per_s"] = benchmark::Counter(cycles, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Llama3_8bDecodeStepCompiledAndSimulated)->Arg(1)->Arg(64)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
