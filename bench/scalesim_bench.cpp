// Speed of the SCALE-Sim-compatible mode (issue 12 item 8): ResNet-18 on a 128 x 128 output-stationary
// array, topology file read and parsed and every layer timed, in under 0.35 s on one core: 1000x faster
// than SCALE-Sim v2, which takes 346 s for it on this project's machines. Each benchmark checks its
// answer against SCALE-Sim's own total (262,370 cycles), so a fast wrong model fails.
#include <benchmark/benchmark.h>

#include <optional>

#include "perfsim/scalesim_compat.h"

namespace {

using namespace xpusim;

constexpr std::int64_t kScaleSimResnet18OsCycles = 262370;

// ResNet-18 from its CSV, or nullopt with the benchmark marked failed.
std::optional<perfsim::Topology> load_resnet18(benchmark::State& state) {
  Expected<perfsim::Topology> topology = perfsim::load_topology(
      XPUSIM_SOURCE_DIR "/tests/data/scalesim/Resnet18.csv", "Resnet18.csv", perfsim::TopologyFormat::conv);
  if (topology.ok()) return std::move(*topology);
  state.SkipWithError(topology.error().to_string().c_str());
  return std::nullopt;
}

// Total cycles on 128 x 128, output stationary; -1 on an error.
std::int64_t resnet18_os_cycles(const perfsim::Topology& topology) {
  Expected<perfsim::ScaleSimRun> run = perfsim::run_scalesim(topology, {128, 128}, perfsim::Dataflow::output_stationary);
  return run.ok() ? run->total_cycles : -1;
}

void check_cycles(benchmark::State& state, std::int64_t cycles) {
  if (cycles != kScaleSimResnet18OsCycles) state.SkipWithError("total cycles differ from SCALE-Sim's 262,370");
}

// Read, parse and time: what `xpusim scalesim` does, and what SCALE-Sim's 346 s covers.
void BM_ScaleSimResnet18Os128FromFile(benchmark::State& state) {
  std::int64_t cycles = 0;
  for (auto _ : state) {
    const std::optional<perfsim::Topology> topology = load_resnet18(state);
    if (!topology) return;
    cycles = resnet18_os_cycles(*topology);
    benchmark::DoNotOptimize(cycles);
  }
  check_cycles(state, cycles);
}
BENCHMARK(BM_ScaleSimResnet18Os128FromFile)->Unit(benchmark::kMicrosecond);

// Timing alone, on a topology already parsed: what a sweep over array shapes pays per point.
void BM_ScaleSimResnet18Os128Timing(benchmark::State& state) {
  const std::optional<perfsim::Topology> topology = load_resnet18(state);
  if (!topology) return;
  std::int64_t cycles = 0;
  for (auto _ : state) {
    cycles = resnet18_os_cycles(*topology);
    benchmark::DoNotOptimize(cycles);
  }
  check_cycles(state, cycles);
}
BENCHMARK(BM_ScaleSimResnet18Os128Timing)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
