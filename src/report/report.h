// The build-or-buy comparison as one self-contained HTML page: a header that opens with the answer
// (build, buy or rent, and from what volume) and names the workload and the datacenter, the systems side
// by side in a table, and Vega-Lite charts (cost against throughput per chip, cost per token against
// production volume, time per op kind, power per component, tokens per joule, TCO per chip-hour) drawn
// by vega, vega-lite and vega-embed inlined in the page, so it opens from file:// with no network.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace xpusim::report {

// The page for `comparison`, the document `xpusim compare --json` prints ({"workload", "serve" or
// "train", "datacenter", "volume", "op_time_basis"?, "systems": [...]}). Fields it lacks are left out
// of the page rather than treated as errors: a system without "tokens_per_s" (its "problem" says why)
// is a table row with its problem and no point in any chart, and a chart no system has data for is a
// sentence. Text from the document is escaped for HTML and for the inline scripts. Same input, same
// bytes. About 850 kB, nearly all of it the three JavaScript libraries.
std::string render_html(const nlohmann::ordered_json& comparison);

// The page's opening sentence for `comparison`, in plain text: build the custom system, buy a system or
// rent it, on $ per million tokens at the document's volume, from the break-even volume against the
// cheapest alternative ("In Y, ..." with a top-level "year"). docs/report.md, "The answer", gives the
// rule. For a text output that should answer first too.
std::string answer_sentence(const nlohmann::ordered_json& comparison);

}  // namespace xpusim::report
