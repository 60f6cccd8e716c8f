// Figures derived from a spec (peak TFLOP/s per dtype, ridge point, parameter counts, ...), shown by
// `xpusim specs show` beside the spec itself.
#pragma once

#include <string>
#include <vector>

#include "spec/document.h"

namespace xpusim::spec {

struct DerivedFigure {
  std::string key;  // snake_case with its unit, e.g. "peak_tflops.bf16", "ridge_point_flop_per_byte"
  double value = 0;
  std::string unit;  // for people: "TFLOP/s"
  std::string doc;   // how it is derived
};

// References (a system's chip) are followed through `resolver` when given.
std::vector<DerivedFigure> derived_figures(const Document& doc, const SpecResolver* resolver);

}  // namespace xpusim::spec
