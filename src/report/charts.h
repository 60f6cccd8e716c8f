// The report's charts as Vega-Lite specifications built from the comparison document. Internal to
// src/report.
#pragma once

#include <string>
#include <vector>

#include "report/document.h"

namespace xpusim::report::detail {

struct Chart {
  std::string id;       // element id of the chart's container: "chart-cost", ...
  std::string heading;  // the section heading
  std::string caption;  // what the chart shows, one or two sentences (plain text)
  Json spec;            // the Vega-Lite spec, data inline; null when no system has data for it
  std::string empty;    // said instead of the chart when `spec` is null
  std::string note;     // systems left out and why; may be empty
};

// Cost against throughput, cost per token against production volume, time per op kind, power per
// component, tokens per joule and TCO per hour, in that order. Systems without results are in none of
// them.
std::vector<Chart> comparison_charts(const Json& comparison);

// Options for vegaEmbed shared by every chart: SVG renderer, no action menu, fonts and sizes.
Json embed_options();

}  // namespace xpusim::report::detail
