// The JavaScript the report inlines, built into the library from web/node_modules (see
// embedded_scripts.cpp). Internal to src/report.
#pragma once

#include <span>
#include <string_view>

namespace xpusim::report::detail {

struct EmbeddedScript {
  std::string_view package;  // "vega", "vega-lite", "vega-embed"
  std::string_view source;   // the package's minified browser build, without its source-map comment
};

// vega, vega-lite and vega-embed, in the order a page must load them. Static storage.
std::span<const EmbeddedScript> embedded_scripts();

}  // namespace xpusim::report::detail
