// Helpers for spec tests: a tiny valid chip and system to mutate, and parse-and-check shortcuts.
#pragma once

#include <stdexcept>
#include <string>

#include "spec/library.h"
#include "spec/loader.h"

namespace xpusim::spec::testing {

// A tiny but complete chip: 2 cores, one 4x4 systolic array each, 1 GHz.
// bf16 peak = 2 x 1 x 16 MAC x 2 x 1 GHz = 0.064 TFLOP/s.
inline const char* kTinyChip = R"(kind: chip
name: tiny
vendor: test
family: xpu
process_node: tsmc-n5
die_area_mm2: 10
clock_mhz: 1000
tdp_w: 5
cores:
  count: 2
  matrix_unit:
    count: 1
    tile: {m: 1, n: 4, k: 4}
    dataflow: weight_stationary
    macs_per_cycle: {bf16: 16, int8: 32}
  vector_unit: {lanes: 8, fp32_flops_per_cycle: 16}
  sram:
    - {level: scratchpad, capacity_kib: 64, bandwidth_bytes_per_cycle: 64}
hbm: {generation: hbm3, stacks: 1, capacity_gib: 16, bandwidth_tb_s: 0.8}
links: {technology: ethernet, count: 4, bandwidth_gb_s_per_direction: 50}
peak_tflops: {bf16: 0.064}
)";

// Replaces the first occurrence of `from` in `text` (the test fails loudly if it is absent).
std::string replace(std::string text, const std::string& from, const std::string& to);

// Parses `yaml` and, when it loads, runs the kind's rules with `resolver`.
Diagnostics check_yaml(const std::string& yaml, const SpecResolver* resolver = nullptr, bool strict = false);

// The one diagnostic of `diagnostics` as a line, or a list of all of them when there is not exactly one.
std::string only(const Diagnostics& diagnostics);

// The built-in library of the source tree.
const Library& builtin_library();

// A spec of the built-in library by kind and name (the test fails if it is missing).
template <class T>
const T& library_spec(Kind kind, const char* name) {
  const Document* doc = builtin_library().find(kind, name);
  if (!doc) throw std::runtime_error(std::string("no built-in spec named ") + name);
  return std::get<T>(doc->spec);
}

}  // namespace xpusim::spec::testing
