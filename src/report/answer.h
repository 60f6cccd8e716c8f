// The report's opening sentence: the answer to build-or-buy. Internal to src/report.
#pragma once

#include <string>

#include "report/document.h"

namespace xpusim::report::detail {

// One sentence, in plain text, that says what to do with the comparison `comparison` (the document
// `xpusim compare --json` prints): build the cheapest custom system, buy a system or rent it, on the
// basis of $ per million tokens at the document's "volume" (and the whole run's cost, "run.usd", when
// training), against the cheapest alternative, and from what volume the answer holds (the custom
// system's break-even volume against that alternative, or that it never breaks even). Prefixed "In Y,"
// when the document has a top-level "year". The alternatives are each priced system that is not custom,
// bought ("usd_per_million_tokens") and rented ("rent": the committed price when given, else on
// demand). Without a custom system it names the cheapest alternative and the next one; without any
// price, or without any row with results, it says so. Missing fields leave their clause out.
std::string answer_sentence(const Json& comparison);

}  // namespace xpusim::report::detail
